"""Relationship dossiers (placeholder: being built)."""

from django.views.generic import TemplateView


class RelationshipIndexView(TemplateView):
    template_name = "relations/placeholder.html"


class DossierView(TemplateView):
    template_name = "relations/placeholder.html"
