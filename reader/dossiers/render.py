"""The dossier's markup: Jinja2 templates (``templates/jinja2/reader/dossier/``).

A busy dossier has some 60 paragraphs and 100 notes, each a dozen values and links: Django's
template engine renders them several times slower than Jinja2, so the page's shell (title,
form, lead) is a Django template that shares the site's layout, and its body one Jinja2 render.
The API renders each paragraph with the same macro.
"""

from __future__ import annotations

from typing import Any

from django.template import engines
from markupsafe import Markup

from reader.dossiers.build import Item
from relations.presentation import record_linker

PARAGRAPHS = "reader/dossier/paragraphs.html"
BODY = "reader/dossier/body.html"


def _jinja2():
    return engines["jinja2"].env


def body(sections: list, notes: list) -> Markup:
    """The sections (their paragraphs, "More on …" links) and the notes, as HTML."""
    template = _jinja2().get_template(BODY)
    # (``url_of`` for this request's links: its URL configuration read once, not per link)
    return Markup(template.render(sections=sections, notes=notes, url_of=record_linker()))


def paragraph(item: Item) -> Markup:
    """One item's paragraph, as the page shows it."""
    macros: Any = _jinja2().get_template(PARAGRAPHS).module
    return macros.paragraph(item)
