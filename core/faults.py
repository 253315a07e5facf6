"""Faults answered honestly: a database that does not answer is a 503 with Retry-After."""


class DatabaseUnavailableMiddleware:
    """Placeholder until the faults work lands (issue 11, finding 10)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)
