"""Read replicas against a real streaming replica (core.replica's one rule), over real HTTP.

Replay is paused on the replica so that it holds an older title than the primary: which title a
request shows says which database it read. One test function, in steps, so that the suite's
workers (``pytest-xdist --dist load``) never build the clusters twice.
"""

from __future__ import annotations

import html
import json
import re
import subprocess
import time
import urllib.parse
from html.parser import HTMLParser
from http import HTTPStatus
from http.cookies import SimpleCookie

import pytest

from tests.replica.conftest import EDITOR, EVENT, Site, caught_up

pytestmark = pytest.mark.slow

PAGE = f"/events/{EVENT}/"
API = f"/api/events/{EVENT}/"
#: Public pages of every kind, timeline, search, dossier, entities and API: each of their
#: queries (compiled once per process, raw SQL, prefetches) must read the replica.
PUBLIC = [
    "/timeline/",
    "/timeline/?q=nuclear&country=ir",
    "/relations/by-ir/",
    "/relations/",
    "/countries/by/",
    PAGE,
    API,
    "/api/events/?country=by&country=ir",
    "/timeline.csv?country=by",
]
SESSION = "sessionid"  # settings.SESSION_COOKIE_NAME
CHANGE_SQL = "UPDATE relations_event SET title = %s WHERE slug = %s"
PRIMARY = "should read the primary"


def test_public_reads_go_to_a_caught_up_replica_and_everything_else_to_the_primary(site: Site):
    primary, replica = site.primary, site.replica
    original = primary.one("SELECT title FROM relations_event WHERE slug = %s", (EVENT,))
    assert original, f"the seed event {EVENT} is missing on the primary"

    # a. Anonymous reads go to the replica, every query of them: the primary runs none.
    primary.query("SELECT pg_stat_statements_reset()")
    for path in PUBLIC:
        status, _, _ = site.request("GET", path)
        assert status == HTTPStatus.OK, f"{path} answered {status} to an anonymous reader"
    read_on_primary = primary.query(
        "SELECT query FROM pg_stat_statements WHERE dbid = "
        "(SELECT oid FROM pg_database WHERE datname = current_database()) "
        "AND query ~ '\"(relations|sources)_'"
    )
    assert not read_on_primary, (
        f"anonymous public pages read the primary: {[q[:120] for (q,) in read_on_primary]}"
    )

    # ...and with replay paused, they show the replica's data; a reader with a session, the
    # primary's.
    pause(site)
    primary.query(CHANGE_SQL, ("Quietly retitled on the primary", EVENT))  # no version bump
    # The session first: if any cache held the title, the anonymous read below could not
    # show an older one than this.
    assert_title(site, "Quietly retitled on the primary", session=True, why=PRIMARY)
    assert_title(site, original, session=False, why="should read the replica (replay paused)")

    # b. Writes go to the primary: the admin's change form saves (a replica would refuse).
    before = version(primary)
    cookies = log_in(site)
    status, _, body = change_title(site, cookies, "Retitled in the admin")
    assert status == HTTPStatus.FOUND, (
        f"the admin's change form did not save (status {status}): {errors(body)}"
    )
    written = primary.one("SELECT title FROM relations_event WHERE slug = %s", (EVENT,))
    assert written == "Retitled in the admin", f"the primary has {written!r} after the admin save"
    assert version(primary) > before, "the admin save did not bump the knowledge-base version"
    assert version(replica) == before, "the replica moved although its replay is paused"

    # c. The replica is behind the announced version: anonymous reads fall back to the primary.
    behind = "should fall back to the primary (the replica is behind)"
    assert_title(site, "Retitled in the admin", session=False, why=behind)

    # d. Replay resumed and caught up: anonymous reads are on the replica again.
    replica.query("SELECT pg_wal_replay_resume()")
    wait(lambda: version(replica) == version(primary), "the replica to catch up after resume")
    pause(site)
    primary.query(CHANGE_SQL, ("Quietly retitled again", EVENT))
    assert_title(site, "Quietly retitled again", session=True, why=PRIMARY)
    caught_up_again = "should read the replica again (caught up, then paused)"
    assert_title(site, "Retitled in the admin", session=False, why=caught_up_again)
    replica.query("SELECT pg_wal_replay_resume()")

    # e. A replica that stops answering is skipped: readers get the primary, not a 503.
    subprocess.run(
        ["pg_ctlcluster", "--skip-systemctl-redirect", replica.version, replica.name, "stop"],
        check=True,
        capture_output=True,
    )
    gone = "should fall back to the primary (the replica is down)"
    assert_title(site, "Quietly retitled again", session=False, why=gone)


def pause(site: Site) -> None:
    """Pause replay on the replica once it holds everything the primary has written."""
    wait(lambda: caught_up(site.primary, site.replica), "the replica to catch up")
    site.replica.query("SELECT pg_wal_replay_pause()")
    state = site.replica.one("SELECT pg_get_wal_replay_pause_state()")
    assert state in ("paused", "pause requested"), f"replay did not pause ({state})"


def version(cluster) -> int:
    return cluster.one("SELECT number FROM core_knowledgebaseversion WHERE id = 1")


def wait(condition, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, f"timed out after {seconds} s waiting for {what}"
        time.sleep(0.1)


def assert_title(site: Site, expected: str, *, session: bool, why: str) -> None:
    """The event page and the API's event both show ``expected`` to this reader."""
    reader = "a reader with a session" if session else "an anonymous reader"
    headers = {"Cookie": f"{SESSION}=not-a-session"} if session else {}
    status, _, body = site.request("GET", API, headers=headers)
    assert status == HTTPStatus.OK, f"{API} answered {status} to {reader}"
    shown = json.loads(body)["title"]
    assert shown == expected, (
        f"{reader} got the title {shown!r} from the API instead of {expected!r}: it {why}"
    )
    status, _, body = site.request("GET", PAGE, headers=headers)
    assert status == HTTPStatus.OK, f"{PAGE} answered {status} to {reader}"
    assert expected in html.unescape(body), (
        f"the event page does not show {expected!r} to {reader}: it {why}"
    )


# --- The admin, as a browser uses it -----------------------------------------------------------


def log_in(site: Site) -> SimpleCookie:
    cookies = SimpleCookie()
    status, headers, body = site.request("GET", "/admin/login/")
    assert status == HTTPStatus.OK, f"the admin's login page answered {status}"
    keep(cookies, headers)
    fields = Form("login-form").read(body)
    username, password = EDITOR
    fields += [("username", username), ("password", password), ("next", "/admin/")]
    status, headers, body = post(site, "/admin/login/", fields, cookies)
    keep(cookies, headers)
    assert status == HTTPStatus.FOUND and SESSION in cookies, (
        f"the editor could not log in to the admin (status {status}): {errors(body)}"
    )
    return cookies


def change_title(site: Site, cookies: SimpleCookie, title: str):
    pk = site.primary.one("SELECT id FROM relations_event WHERE slug = %s", (EVENT,))
    path = f"/admin/relations/event/{pk}/change/"
    status, _, body = site.request("GET", path, headers={"Cookie": header(cookies)})
    assert status == HTTPStatus.OK, f"the event's admin change form answered {status}"
    fields = [
        (name, title if name == "title" else value) for name, value in Form("event_form").read(body)
    ]
    assert ("title", title) in fields, "the admin's change form has no title field"
    return post(site, path, [*fields, ("_save", "Save")], cookies)


def post(site: Site, path: str, fields: list[tuple[str, str]], cookies: SimpleCookie):
    return site.request(
        "POST",
        path,
        body=urllib.parse.urlencode(fields),
        headers={
            "Cookie": header(cookies),
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )


def keep(cookies: SimpleCookie, headers) -> None:
    for value in headers.get_all("Set-Cookie") or []:
        cookies.load(value)


def header(cookies: SimpleCookie) -> str:
    return "; ".join(f"{name}={morsel.value}" for name, morsel in cookies.items())


def errors(body: str) -> str:
    """What an admin page says went wrong, for an assertion's message."""
    found = [
        " ".join(html.unescape(text).split())
        for text in re.findall(
            r'class="(?:errornote|errorlist[^"]*)"[^>]*>(.*?)</(?:p|ul)>', body, flags=re.DOTALL
        )
    ]
    return "; ".join(found) or body[:300]


class Form(HTMLParser):
    """The fields a browser would submit from a page's form (the first, or the one with
    ``form_id``): text and hidden inputs, checked boxes, selected options, text areas."""

    def __init__(self, form_id: str | None = None) -> None:
        super().__init__(convert_charrefs=True)
        self.form_id, self.inside, self.fields = form_id, False, []
        self.select: str | None = None
        self.textarea: str | None = None
        self.text: list[str] = []

    def read(self, page: str) -> list[tuple[str, str]]:
        self.feed(page)
        self.close()
        return self.fields

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.inside = self.form_id is None or a.get("id") == self.form_id
            return
        if not self.inside or (a.get("name") is None and tag != "option"):
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in ("submit", "button", "image", "file", "reset"):
                return
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value") or ("on" if kind == "checkbox" else "")))
        elif tag == "select":
            self.select = a["name"]
        elif tag == "option" and self.select and "selected" in a:
            self.fields.append((self.select, a.get("value", "")))
        elif tag == "textarea":
            self.textarea, self.text = a["name"], []

    def handle_data(self, data):
        if self.textarea:
            self.text.append(data)

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
            self.form_id = "\0"  # the first matching form only
        elif tag == "select":
            self.select = None
        elif tag == "textarea" and self.textarea:
            # A browser drops the one newline that may follow <textarea>.
            text = "".join(self.text)
            self.fields.append((self.textarea, text[1:] if text.startswith("\n") else text))
            self.textarea = None
