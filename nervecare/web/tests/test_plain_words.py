"""Issue 19, point 7: pages speak the user's words, never the code's.

The demo clinic is seeded and its pages are walked as a therapist, the clinic's admin and a portal client (every
link followed, a few pages of each kind); the visible text (and the labels a screen reader reads) of each page
must not hold a raw field or code name: `nrs_pain`, `diabetic_foot`, `right.appearance`, a YAML file, or a
model name like `clients.client#31`.
"""

import re
from html.parser import HTMLParser
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client as HttpClient

from nervecare.core import labels

SKIP_TAGS = {"script", "style", "template"}
SPOKEN_ATTRS = ("aria-label", "title", "placeholder", "alt")
# snake_case words; dotted item ids ("right.appearance"); "app.model#id"; file names of the data.
RAW = re.compile(
    r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b|\b[a-z]+\.[a-z_]+#\d+\b|\b[a-z]+\.[a-z_]{3,}\b|\.ya?ml\b|\.py\b"
)
# What may look like a code but is the user's data or plain writing: e-mail addresses and web addresses.
NOT_CODE = re.compile(r"\S+@\S+|https?://\S+|\b[\w.-]+\.(?:org|com|net|io|uk)\b|\be\.g\.|\bi\.e\.")
NOT_FOLLOWED = (
    "/accounts/logout",
    "/static/",
    "/admin/",
    "/api/",
    "export",
    ".pdf",
    ".csv",
    ".ics",
    "logout",
)


class _Visible(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.text: list[str] = []
        self.links: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in SKIP_TAGS:
            self._skip += 1
        a = dict(attrs)
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        self.text.extend(a[k] for k in SPOKEN_ATTRS if a.get(k))

    def handle_endtag(self, tag):
        if tag in SKIP_TAGS:
            self._skip = max(0, self._skip - 1)

    def handle_data(self, data):
        if not self._skip:
            self.text.append(data)


def raw_names(html: str) -> tuple[set[str], list[str]]:
    parser = _Visible()
    parser.feed(html)
    text = NOT_CODE.sub(" ", " ".join(" ".join(parser.text).split()))
    return {m.group(0) for m in RAW.finditer(text)}, parser.links


def walk(http: HttpClient, start: list[str], per_kind: int = 2, limit: int = 100) -> dict[str, set[str]]:
    """GET every page reachable from `start` (at most `per_kind` of each URL shape); raw names per page."""
    found: dict[str, set[str]] = {}
    seen: set[str] = set()
    kinds: dict[str, int] = {}
    queue = list(start)
    while queue and len(seen) < limit:
        url = queue.pop(0).split("#")[0]
        kind = re.sub(r"\d+", "N", url.split("?")[0])
        if url in seen or kinds.get(kind, 0) >= per_kind:
            continue
        seen.add(url)
        kinds[kind] = kinds.get(kind, 0) + 1
        response = http.get(url)
        if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
            continue
        names, links = raw_names(response.content.decode())
        if names:
            found[url] = names
        queue.extend(h for h in links if h.startswith("/") and not any(x in h for x in NOT_FOLLOWED))
    assert len(seen) > 5, "the walk reached too few pages to mean anything"
    return found


@pytest.mark.django_db
def test_no_page_shows_a_raw_field_or_code_name():
    """One seeding of the demo (the slow part), walked as a therapist, the admin and a portal client."""
    from nervecare.clients.models import Client
    from nervecare.portal.tests.factories import ClientAccountFactory

    call_command("demo", stdout=StringIO())
    found = {}
    for username in ("maria", "owner"):
        http = HttpClient()
        http.force_login(get_user_model().objects.get(username=username))
        start = ["/", "/clients/", "/audit/", "/outcomes/", "/review/", "/schedule/", "/instruments/"]
        found.update({f"{username} {url}": names for url, names in walk(http, start).items()})
    client = Client.objects.exclude(email="").order_by("id").first()
    account = ClientAccountFactory(client=client, user__username="portal-demo")
    http = HttpClient()
    http.force_login(account.user)
    found.update({f"client {url}": names for url, names in walk(http, ["/portal/"]).items()})
    assert found == {}


def test_the_walk_would_catch_a_raw_name():
    names, _links = raw_names(
        '<p>Repeat nrs_pain</p><p title="right.appearance">x</p><td>clients.client#31</td>'
        "<p>rules in outcomes/data/outcome_rules.yaml; write to ada@example.org</p>"
    )
    assert {"nrs_pain", "right.appearance", "clients.client#31", "outcome_rules", ".yaml"} <= names
    assert not any("example" in n for n in names)


def test_labels_come_from_the_apps_data():
    assert labels.label("nrs_pain", "instrument") == "NRS pain"
    assert labels.label("diabetic_foot", "qualification") == "Diabetic foot care training"
    assert labels.label("sole", "region") == "Sole of foot"
    assert labels.field_label("starts_at") == "Start"
    assert labels.field_label("changes.pain_after") == "Pain after the session"
    assert labels.field_label("marks[2].side") == "Row 3: side"
