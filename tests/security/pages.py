"""Every page type of the site, on the Belarus–Iran seed: for the header and CSP tests."""

from __future__ import annotations

from relations.models import Event

EVENT = "2009-05-semashko-raei-jofeir-oil-project"

PUBLIC = {
    "home": "/",
    "timeline": "/timeline/",
    "timeline filtered": "/timeline/?country=by&country=ir&domain=economic&from=2007&to=2010",
    "dossier": "/relations/by-ir/",
    "relationships index": "/relations/",
    "country index": "/countries/",
    "country": "/countries/by/",
    "organisation": "/organisations/non-aligned-movement/",
    "official": "/officials/alexander-lukashenko/",
    "agreement": "/agreements/central-bank-of-iran-loan-to-belarusneft-jofeir/",
    "event": f"/events/{EVENT}/",
    "source": "/sources/belarus-iran-foreign-relations-2010/",
    "API root": "/api/",
    "API docs": "/api/docs/",
}
# Not pages a browser shows, but answers all the same: the same headers.
DATA = {
    "timeline CSV": "/timeline.csv?country=by",
    "timeline JSON": "/timeline.json?country=by",
    "timeline Atom": "/timeline.atom",
    "API list": "/api/events/?country=by",
    "API schema": "/api/schema/",
    "API docs script": "/api/docs/?script=",
}
LOGIN = "/admin/login/"  # for the anonymous: a logged-in user is sent on to the index
ADMIN = {
    "admin index": "/admin/",
    "admin changelist": "/admin/relations/event/",
    "admin change form": "/admin/relations/event/{event}/change/",
    "admin history": "/admin/relations/event/{event}/history/",
    "CSV import": "/admin/relations/event/import/",
    "fixture import": "/admin/exchange/import/add/",
}


def admin_url(name: str) -> str:
    return ADMIN[name].format(event=Event.objects.get(slug=EVENT).pk)
