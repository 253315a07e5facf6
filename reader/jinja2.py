"""The Jinja2 environment of the reader site's hot templates: Django's static() and url(), and
the presentation module's helpers, under the names the templates use; Django's ``capfirst``
as a filter (Jinja2's ``capitalize`` lower-cases the rest: "Un Security Council")."""

from django.templatetags.static import static
from django.urls import reverse
from django.utils.text import capfirst
from jinja2 import Environment

from relations import presentation


def environment(**options) -> Environment:
    env = Environment(**options)
    env.globals.update(
        {
            "static": static,
            "url": lambda name, *args, **kwargs: reverse(name, args=args, kwargs=kwargs),
            "url_of": presentation.url,
            "when": presentation.when,
            "money": presentation.money,
            "organisation_name": presentation.organisation_name,
        }
    )
    env.filters["capfirst"] = capfirst
    return env
