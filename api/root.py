"""``/api/``: where everything is."""

from django.urls import reverse
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

LINKS = {
    "events": "api:event-list",
    "agreements": "api:agreement-list",
    "statements": "api:statement-list",
    "positions": "api:position-list",
    "memberships": "api:membership-list",
    "footnotes": "api:footnote-list",
    "countries": "api:country-list",
    "domains": "api:domain-list",
    "organisations": "api:organisation-list",
    "officials": "api:official-list",
    "sources": "api:source-list",
    "relations": "api:dossier-list",
    "relationships": "api:relationship-list",
    "changes": "api:changes",
    "fixture": "api:fixture",
    "schema": "api:schema",
    "docs": "api:docs",
}


class RootView(APIView):
    """The API's resources, its changes feed, its OpenAPI schema and its documentation."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(
        responses=inline_serializer(
            "Root", {name: serializers.URLField() for name in LINKS}, many=False
        )
    )
    def get(self, request: Request) -> Response:
        return Response(
            {name: request.build_absolute_uri(reverse(view)) for name, view in LINKS.items()}
        )
