"""The OpenAPI description of every answer the API gives, errors included.

drf-spectacular documents the 200 of each operation; this adds what a client must also expect:
404 for a record that is not there (or that readers may not see) and for a damaged page
cursor, 400 for a filter the API refuses. A path's key is routed loosely (anything but a slash)
so that a bad one is a JSON 404 from the view rather than the URL resolver's HTML page; the
schema still states the key's exact form (the view's ``lookup_pattern``).
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.urls import reverse
from django.utils import translation
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    inline_serializer,
)
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import serializers

from core.dates import ACCEPTED_FORMS, MAX_LENGTH

VERSION = settings.SPECTACULAR_SETTINGS["VERSION"]
# Only these: Django keeps a translation object for every language code ever activated, and
# drf-spectacular activates whatever ``?lang=`` says (50 KiB a code, never freed).
LANGUAGES = frozenset(code for code, _ in settings.LANGUAGES)
_schemas: dict[tuple[str, str], bytes] = {}  # by language and media type; see SchemaView


def forget_schemas() -> None:
    """Tests that change the settings (or the URLconf) get a fresh one (api.signals)."""
    _schemas.clear()


NOT_FOUND = OpenApiResponse(
    inline_serializer("NotFound", {"detail": serializers.CharField()}),
    description="No such record (none a reader may see), or a damaged `cursor`.",
)
BAD_REQUEST = OpenApiResponse(
    {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    description="Parameters the API refuses: each name, with what is wrong with it.",
)

# What the date parameters take (the events' `from` and `to`, a dossier's `as_of`): a date at
# any precision, read as the site reads it. No regular expression says which texts are dates,
# so the schema says what each has (a year's three or four digits, at most MAX_LENGTH
# characters) and the 400 says why one is refused.
FUZZY_DATE = {
    "type": "string",
    "format": "fuzzy-date",
    "maxLength": MAX_LENGTH,
    "pattern": "^$|[0-9]{3}",
    "example": "May 2009",
}
FUZZY_DATE_HELP = (
    "A date at any precision, years 1000 to 2999; one the API cannot read is a 400 saying "
    "why. Accepted forms: " + "; ".join(ACCEPTED_FORMS) + "."
)
# A key (an ISO code) of the right form that names no state is a 400 naming it: the states are
# data (`/api/countries/`), not part of the schema.
COUNTRY_HELP = "An ISO code `/api/countries/` lists, any case (`by`); another is a 400."


class ApiSchema(AutoSchema):
    def get_response_serializers(self):
        serializer = super().get_response_serializers()
        if self.method != "GET" or isinstance(serializer, dict):
            return serializer  # extend_schema said it all
        responses = {200: serializer}
        listing = self._is_list_view(serializer)
        if not listing or getattr(self.view, "pagination_class", None):
            responses[404] = NOT_FOUND
        if listing and (
            getattr(self.view, "filterset_class", None)
            or getattr(self.view, "pagination_class", None)  # a bad `per_page`
        ):
            responses[400] = BAD_REQUEST
        return responses

    def get_override_parameters(self):
        parameters = list(super().get_override_parameters())
        pattern = getattr(self.view, "lookup_pattern", None)
        if pattern and self.view.action != "list":
            parameters.append(
                OpenApiParameter(
                    self.view.lookup_url_kwarg or self.view.lookup_field,
                    str,
                    OpenApiParameter.PATH,
                    pattern=f"^{pattern}$",
                )
            )
        return parameters


# --- The schema and its documentation page, served ------------------------------------------
class SchemaView(SpectacularAPIView):
    """The schema, as YAML or JSON. There is one version of the API: ``?version=`` may name it
    (drf-spectacular's own parameter) and anything else is a 400, as is a ``?lang=`` that is
    not one of the settings' languages. The download's file name is fixed, never built from
    the request (drf-spectacular copied ``version`` into ``Content-Disposition``: a newline or
    NUL there was a 500, a quote a forged file name)."""

    @extend_schema(exclude=True)
    def get(self, request, *args, **kwargs) -> HttpResponse:
        problems = {}
        if request.GET.get("version") not in (None, "", VERSION):
            problems["version"] = [f"There is one version of this API: {VERSION}."]
        if request.GET.get("lang") and request.GET["lang"] not in LANGUAGES:
            problems["lang"] = ["No such language; see LANGUAGES in the settings."]
        if problems:
            return JsonResponse(problems, status=400)
        return super().get(request, *args, **kwargs)

    def _get_version_parameter(self, request) -> None:
        return None  # the settings' version, whether or not the request names it

    def _get_schema_response(self, request) -> HttpResponse:
        """The schema, generated and written once per language and format: it changes only with
        the code, and generating and writing it cost a third of a second, a price anyone could
        otherwise make us pay at will."""
        renderer, _ = self.perform_content_negotiation(request)
        media_type = renderer.media_type  # not the Accept header's parameters: a bounded cache
        key = (translation.get_language(), media_type)
        content = _schemas.get(key)
        if content is None:
            generator = self.generator_class(urlconf=self.urlconf, patterns=self.patterns)
            schema = generator.get_schema(request=request, public=self.serve_public)
            content = _schemas[key] = renderer.render(schema, media_type, {"request": request})
        charset = f"; charset={renderer.charset}" if renderer.charset else ""
        response = HttpResponse(content, content_type=media_type + charset)
        response["Content-Disposition"] = f'inline; filename="relata-api.{renderer.format}"'
        return response


class DocsView(SpectacularSwaggerSplitView):
    """Swagger UI. OPTIONS answers with the methods, as Django's views do: DRF's metadata
    answer would be rendered by the page's only renderer, a template that it has none for (a
    500). The schema's address is ours alone (drf-spectacular passed ``lang`` and ``version``
    on from the page's query string; the site speaks one language, the API has one version)."""

    def _get_schema_url(self, request) -> str:
        return reverse(self.url_name)  # one version: nothing of the request's to pass on

    def options(self, request, *args, **kwargs) -> HttpResponse:
        response = HttpResponse()
        response.headers["Allow"] = ", ".join(self.allowed_methods)
        response.headers["Content-Length"] = "0"
        return response
