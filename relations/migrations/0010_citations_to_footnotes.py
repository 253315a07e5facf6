"""A footnote is one record: each (source, locator) that citations name becomes one
``sources.Footnote`` (its excerpt the first non-empty one among them), and every citation links
to it. Citations of one claim to the same footnote were already unique by (source, locator)."""

from django.db import migrations
from django.utils.text import slugify


def to_footnotes(apps, schema_editor):
    Citation = apps.get_model("relations", "Citation")
    HistoricalCitation = apps.get_model("relations", "HistoricalCitation")
    Footnote = apps.get_model("sources", "Footnote")
    db = schema_editor.connection.alias
    footnotes: dict[tuple[int, str], object] = {}
    taken: set[str] = set(Footnote.objects.using(db).values_list("slug", flat=True))

    def footnote_for(source, locator: str, excerpt: str):
        key = (source.pk, locator)
        footnote = footnotes.get(key)
        if footnote is None:
            base = slugify(f"{source.slug} {locator}")[:150].strip("-") or "footnote"
            slug, n = base, 1
            while slug in taken:
                n += 1
                slug = f"{base}-{n}"
            taken.add(slug)
            footnote = Footnote.objects.using(db).create(
                slug=slug, source=source, locator=locator, excerpt=excerpt
            )
            footnotes[key] = footnote
        elif excerpt and not footnote.excerpt:
            footnote.excerpt = excerpt
            footnote.save(update_fields=["excerpt"])
        return footnote

    citations = Citation.objects.using(db).select_related("source").order_by("id")
    for citation in citations.iterator(chunk_size=2000):
        citation.footnote = footnote_for(citation.source, citation.locator, citation.excerpt)
        citation.save(update_fields=["footnote"])
    # History rows keep pointing at the place they cited, where it still exists.
    for row in HistoricalCitation.objects.using(db).filter(source__isnull=False).iterator():
        footnote = footnotes.get((row.source_id, row.locator))
        if footnote is not None:
            HistoricalCitation.objects.using(db).filter(pk=row.pk).update(footnote=footnote)


class Migration(migrations.Migration):
    dependencies = [("relations", "0009_fidelity"), ("sources", "0003_fidelity")]

    operations = [migrations.RunPython(to_footnotes, migrations.RunPython.noop)]
