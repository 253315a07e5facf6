"""One rule, one place: the source itself is held to it.

What a reader may see is decided in ``relations.visibility``; how a date or a sum reads in
``relations.presentation``; when a cached answer is stale in ``core.cache``; where a keyset page
starts in ``core.keyset``. These tests read the code (``ast``) and fail when a module outside
those homes decides such a thing for itself.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ("core", "relations", "sources", "reader", "exchange", "intake", "api", "config")

# Who may look at an editorial status: the rule itself, the models that define it, the
# admin's workflow (analysts and editors work on drafts), the importers' validation (they must
# know what they load) and the generator (it writes statuses).
STATUS_ALLOWED = (
    "relations/visibility.py",
    "relations/models/",
    "relations/admin/",
    "relations/roles.py",  # who may delete: a published claim, or what one uses, is an editor's
    "relations/merge.py",  # a merged duplicate is withdrawn to draft before it goes
    "intake/",  # an admin page that writes drafts ("published" there is a source's date)
    "core/admin_base.py",
    "relations/resources.py",
    "relations/generator.py",
    "exchange/clean.py",
    "exchange/load",
    "exchange/stage.py",
    "exchange/admin.py",
    "exchange/tasks.py",  # drives exchange.load's Importer, whose `status` reports its phase
)


def modules() -> list[Path]:
    return sorted(
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and "management" not in path.parts
    ) + sorted((ROOT / "relations" / "management").rglob("*.py"))


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def is_http_status(value: ast.expr) -> bool:
    """``status=400`` or ``status=HTTPStatus.BAD_REQUEST``: a response's code, not a claim's."""
    if isinstance(value, ast.Constant) and isinstance(value.value, int):
        return True
    if isinstance(value, ast.IfExp):
        return is_http_status(value.body) and is_http_status(value.orelse)
    return ast.unparse(value).startswith(("HTTPStatus.", "status.HTTP_"))


def status_lookups(tree: ast.AST) -> list[tuple[int, str]]:
    """Every place that reads or filters on an editorial status."""
    found = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"published", "drafts"}
            and not node.args
        ):
            found.append((node.lineno, f".{node.func.attr}()"))
        if isinstance(node, ast.Name) and node.id == "Status":
            found.append((node.lineno, "Status"))
        if isinstance(node, ast.Attribute) and node.attr in {"status", "PUBLISHED"}:
            found.append((node.lineno, f".{node.attr}"))
        if (
            isinstance(node, ast.keyword)
            and node.arg
            and (node.arg == "status" or node.arg.endswith("__status") or "__status__" in node.arg)
            and not is_http_status(node.value)
        ):
            found.append((node.lineno, f"{node.arg}="))
        if (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and ("__status" in node.value or node.value in {"status", "published", "draft"})
        ):
            found.append((node.lineno, repr(node.value)))
        if isinstance(node, ast.ImportFrom) and any(a.name == "Status" for a in node.names):
            found.append((node.lineno, "import Status"))
    return found


# Strings that name a *date* field "published" (a source's publication date) or a JSON key
# of the API, not an editorial status: allowed where they appear, listed so each is looked at.
DATE_NAMED_PUBLISHED = {
    "api/serializers.py",
    "reader/dossiers/build.py",
    "sources/",
}


@pytest.mark.parametrize("path", modules(), ids=relative)
def test_no_module_outside_the_visibility_module_looks_up_publication_status(path):
    name = relative(path)
    if name.startswith(STATUS_ALLOWED):
        return
    lookups = status_lookups(ast.parse(path.read_text(), filename=name))
    if name.startswith(tuple(DATE_NAMED_PUBLISHED)):
        # "published" there is Source.published (a fuzzy date) or an output key.
        lookups = [(line, what) for line, what in lookups if what != "'published'"]
    assert not lookups, (
        f"{name} decides for itself what readers may see; ask relations.visibility instead: "
        + ", ".join(f"line {line}: {what}" for line, what in lookups)
    )


def test_the_status_check_finds_what_it_is_meant_to_find():
    """The check above is only worth its passes if it catches each form of a status lookup."""
    source = """
events = Event.objects.published()
links = Through.objects.filter(agreement__status="published")
if event.status == Status.PUBLISHED: pass
rows = Event.objects.filter(status="draft")
"""
    found = {what for _, what in status_lookups(ast.parse(source))}
    assert {".published()", "agreement__status=", ".status", "Status", "status="} <= found


DEFINITIONS = {
    # name: (its home, what it decides)
    "money": ("relations/presentation.py", "how a sum reads"),
    "readable_date": ("relations/presentation.py", "how a date reads"),
    "when": ("relations/presentation.py", "how a date reads"),
    "machine_date": ("relations/presentation.py", "a <time datetime> value"),
    "datetime_attribute": ("relations/presentation.py", "a <time datetime> value"),
    "_machine_date": ("relations/presentation.py", "a <time datetime> value"),
    "long_date": ("core/dates.py", "how a day reads"),
    "url_for": ("relations/presentation.py", "a public page's URL"),
    "dossier_url": ("relations/presentation.py", "a dossier's URL"),
    "organisation_name": ("relations/presentation.py", "how an organisation is named"),
    "beyond": ("core/keyset.py", "where a keyset page starts"),
    "_after": ("core/keyset.py", "where a keyset page starts"),
    "bump_version": ("core/cache.py", "when a cached answer is stale"),
    "current_version": ("core/cache.py", "when a cached answer is stale"),
    "public_event": ("relations/visibility.py", "whether a statement's event is shown"),
}


def test_each_rule_is_defined_once():
    """A second definition of a presentation, cache or keyset rule is a copy waiting to
    disagree with the first (the dates, sums and cursors of issue 9 did)."""
    homes: dict[str, list[str]] = {}
    for path in modules():
        for node in ast.parse(path.read_text()).body:  # module level: a column may be "when"
            if isinstance(node, (ast.FunctionDef, ast.ClassDef)) and node.name in DEFINITIONS:
                homes.setdefault(node.name, []).append(relative(path))
            if isinstance(node, ast.ClassDef) and node.name == "_Urls":
                homes.setdefault("_Urls", []).append(relative(path))
    misplaced = {
        name: places
        for name, places in homes.items()
        if name == "_Urls" or any(place != DEFINITIONS[name][0] for place in places)
    }
    assert not misplaced, misplaced


def test_sources_imports_nothing_of_relations():
    for path in (ROOT / "sources").rglob("*.py"):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            names = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            assert not any(n == "relations" or n.startswith("relations.") for n in names), (
                relative(path),
                names,
            )


def test_no_public_surface_imports_a_view_module():
    """The API and the exporters build on the rules' modules, never on a page's view."""
    for app in ("api", "exchange"):
        for path in (ROOT / app).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text())):
                module = node.module if isinstance(node, ast.ImportFrom) else None
                if module and module.startswith(("reader", "relations")):
                    assert not module.endswith((".views", ".pages", ".timeline")), (
                        relative(path),
                        module,
                    )


def test_no_module_is_a_warehouse():
    """No module besides the generator, migrations and tests over ~600 lines."""
    big = {
        relative(path): n
        for path in modules()
        if (n := len(path.read_text().splitlines())) > 600 and path.name != "generator.py"
    }
    assert not big, big


def test_signals_are_connected_in_app_configs_not_as_import_side_effects():
    """Receivers live in signals.py modules, connected from AppConfig.ready()."""
    for path in modules():
        if path.name == "signals.py":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "connect"
                and path.name != "apps.py"
            ):
                target = ast.unparse(node.func.value)
                assert not target.endswith(
                    ("post_save", "post_delete", "m2m_changed", "pre_save", "pre_delete")
                ), (relative(path), node.lineno)
            if isinstance(node, ast.Name) and node.id == "receiver":
                pytest.fail(f"{relative(path)} registers a receiver outside signals.py")
