"""The entity pages' bodies, rendered by Jinja2 (``templates/jinja2/reader/pages/``).

The busiest organisation's page shows some 330 notes and 60 claims: Django's template engine
spent two thirds of the page's Python time on them. Jinja2 renders them in the same markup, into
the Django page that shares the site's layout, as the dossier's body is rendered
(``reader.dossiers.render``). Its values are escaped as Django escapes them (``&#x27;``,
``&quot;``), so the pages read byte for byte as the Django templates wrote them.

Every page of ``reader.pages`` (and the admin's preview of a claim, ``relations.admin.review``)
renders its body here: the parts they share (a footnote marker, a date, a statement, a list of
notes...) are written once, as the macros of ``templates/jinja2/reader/pages/parts.html``.
"""

from __future__ import annotations

from functools import cache

from django.contrib.humanize.templatetags.humanize import intcomma
from django.template import defaultfilters, engines
from django.utils.formats import localize
from django.utils.html import conditional_escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.timezone import template_localtime
from jinja2 import Environment

from relations.presentation import record_linker, url_for


@cache
def _environment() -> Environment:
    """The reader's Jinja2 environment (``reader.jinja2``), every value given to Django's
    ``conditional_escape`` first: its output is safe (``__html__``) to Jinja2's autoescape.
    With Django's own filters for what the Django pages wrote with them (``date``,
    ``pluralize``, ``linebreaksbr``, humanize's ``intcomma``), and ``localize`` for a number
    Django's templates wrote localized (a Decimal's digits)."""
    env = engines["jinja2"].env.overlay(finalize=conditional_escape)
    env.filters = {
        **env.filters,
        "date": _date,
        "pluralize": defaultfilters.pluralize,
        "linebreaksbr": _linebreaksbr,
        "intcomma": intcomma,
        "localize": localize,
    }
    return env


def _date(value, arg=None) -> str:
    """Django's ``date``, given the time in the current time zone as Django's templates give it
    (``expects_localtime``)."""
    return defaultfilters.date(template_localtime(value), arg)


def _linebreaksbr(value) -> SafeString:
    return defaultfilters.linebreaksbr(value, autoescape=True)


def render(name: str, **context) -> SafeString:
    """``templates/jinja2/<name>`` with ``context``, ``url_of`` for this request's links and
    ``url_for`` (a page's URL by its name and key)."""
    context.setdefault("url_of", record_linker())
    context.setdefault("url_for", url_for)
    return mark_safe(_environment().get_template(name).render(context))
