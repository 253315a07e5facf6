"""A footnote is one record: each (source, locator) that citations name becomes one
``sources.Footnote`` (with the longest of their excerpts, which is the one excerpt in practice),
and every citation, and every history row of one, links to it. Set-based: one footnote per
distinct place, written in batches, then one UPDATE per table, so a knowledge base of a
million citations migrates in minutes rather than a save per row."""

from django.db import migrations
from django.db.models import Max, OuterRef, Subquery
from django.utils.text import slugify

BATCH = 5000


def to_footnotes(apps, schema_editor):
    Citation = apps.get_model("relations", "Citation")
    HistoricalCitation = apps.get_model("relations", "HistoricalCitation")
    Footnote = apps.get_model("sources", "Footnote")
    db = schema_editor.connection.alias
    taken: set[str] = set(Footnote.objects.using(db).values_list("slug", flat=True))

    def slug_for(source_slug: str, locator: str) -> str:
        base = slugify(f"{source_slug} {locator}")[:150].strip("-") or "footnote"
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        return slug

    places = (
        Citation.objects.using(db)
        .values("source_id", "source__slug", "locator")
        .annotate(excerpt=Max("excerpt"))
        .order_by("source_id", "locator")
    )
    batch = []
    for place in places.iterator(chunk_size=BATCH):
        batch.append(
            Footnote(
                slug=slug_for(place["source__slug"], place["locator"]),
                source_id=place["source_id"],
                locator=place["locator"],
                excerpt=place["excerpt"] or "",
            )
        )
        if len(batch) == BATCH:
            Footnote.objects.using(db).bulk_create(batch)
            batch = []
    Footnote.objects.using(db).bulk_create(batch)

    def place_of(model):
        footnote = Footnote.objects.using(db).filter(
            source_id=OuterRef("source_id"), locator=OuterRef("locator")
        )
        return (
            model.objects.using(db)
            .filter(source_id__isnull=False)
            .update(footnote_id=Subquery(footnote.values("pk")[:1]))
        )

    place_of(Citation)
    # History rows keep pointing at the place they cited, where it still exists.
    place_of(HistoricalCitation)


class Migration(migrations.Migration):
    dependencies = [("relations", "0009_fidelity"), ("sources", "0003_fidelity")]

    operations = [migrations.RunPython(to_footnotes, migrations.RunPython.noop)]
