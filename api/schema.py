"""The OpenAPI description of every answer the API gives, errors included.

drf-spectacular documents the 200 of each operation; this adds what a client must also expect:
404 for a record that is not there (or that readers may not see) and for a damaged page
cursor, 400 for a filter the API refuses. A path's key is routed loosely (anything but a slash)
so that a bad one is a JSON 404 from the view rather than the URL resolver's HTML page; the
schema still states the key's exact form (the view's ``lookup_pattern``).
"""

from __future__ import annotations

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, inline_serializer
from rest_framework import serializers

NOT_FOUND = OpenApiResponse(
    inline_serializer("NotFound", {"detail": serializers.CharField()}),
    description="No such record (none a reader may see), or a damaged `cursor`.",
)
BAD_REQUEST = OpenApiResponse(
    {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    description="Parameters the API refuses: each name, with what is wrong with it.",
)


class ApiSchema(AutoSchema):
    def get_response_serializers(self):
        serializer = super().get_response_serializers()
        if self.method != "GET" or isinstance(serializer, dict):
            return serializer  # extend_schema said it all
        responses = {200: serializer}
        listing = self._is_list_view(serializer)
        if not listing or getattr(self.view, "pagination_class", None):
            responses[404] = NOT_FOUND
        if listing and getattr(self.view, "filterset_class", None):
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
