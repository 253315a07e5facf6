"""The Jinja2 environment of the reader site's hot templates: a record's public URL
(``relations.presentation.url``) and Django's ``capfirst`` as a filter (Jinja2's
``capitalize`` lower-cases the rest: "Un Security Council")."""

from django.utils.text import capfirst
from jinja2 import Environment

from relations import presentation


def environment(**options) -> Environment:
    env = Environment(**options)
    env.globals["url_of"] = presentation.url
    env.filters["capfirst"] = capfirst
    return env
