.PHONY: demo test lint
demo:  ## install, load the seed and serve the demo on http://127.0.0.1:8000
	bin/demo
test:  ## install and run the whole test suite (PostgreSQL, then SQLite)
	bin/test
lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .
