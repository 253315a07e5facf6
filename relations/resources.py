"""CSV import of events (django-import-export): placeholder until the importer lands."""

from import_export import resources

from relations.models import Event


class EventResource(resources.ModelResource):
    class Meta:
        model = Event
        fields = ["slug", "title", "date", "summary", "place"]
        import_id_fields = ["slug"]
