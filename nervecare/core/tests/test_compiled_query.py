"""CompiledQuery (core/compiled.py, issue 20): a queryset compiled once, then run with new values, returns what
iterating the queryset returns (the same rows, converted values, select_related objects), and refuses the
querysets whose SQL it could not reuse safely."""

import datetime as dt
import hashlib

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, models
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from nervecare.core.compiled import CompiledQuery
from nervecare.core.models import ApiToken, User
from nervecare.core.services import api_token_create, api_token_find, api_token_revoke
from nervecare.core.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _tokens(shape, user_id: int, now: dt.datetime) -> models.QuerySet[ApiToken]:
    qs = ApiToken.objects.select_related("user").filter(user_id=user_id)
    if shape == "live":
        qs = qs.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )
    return qs.order_by("id")


@pytest.fixture
def tokens(clinic):
    ann = UserFactory(username="ann", clinic=clinic, role="therapist")
    ben = UserFactory(username="ben", clinic=clinic, role="therapist")
    now = timezone.now()
    scopes = ["clients:read"]
    made = {
        name: api_token_create(user=user, name=name, scopes=scopes)[0]
        for name, user in (("live", ann), ("expired", ann), ("later", ann), ("revoked", ann), ("ben", ben))
    }
    for name, expires in (("expired", now - dt.timedelta(hours=1)), ("later", now + dt.timedelta(hours=1))):
        ApiToken.objects.filter(pk=made[name].pk).update(expires_at=expires)
        made[name].refresh_from_db()
    api_token_revoke(token=made["revoked"])
    return ann, ben, made


def test_the_rows_are_the_querysets_rows_with_their_related_objects(tokens):
    ann, ben, made = tokens
    query = CompiledQuery(_tokens, user_id=int, now=dt.datetime)
    now = timezone.now()
    for shape in ("live", "all"):
        for user in (ann, ben):
            expected = list(_tokens(shape, user.pk, now))
            got = query.fetch(shape, user_id=user.pk, now=now)
            assert [t.pk for t in got] == [t.pk for t in expected]
            for a, b in zip(got, expected, strict=True):
                assert a.scopes == b.scopes  # the JSON column's converter ran
                assert a.expires_at == b.expires_at and a.created_at == b.created_at
                assert a._state.adding is False and a._state.db == "default"
    live = query.fetch("live", user_id=ann.pk, now=now)
    assert {t.name for t in live} == {"live", "later"}
    with CaptureQueriesContext(connection) as ctx:
        assert {t.user.username for t in live} == {"ann"}  # select_related: no query per row
    assert ctx.captured_queries == []


def test_one_statement_per_fetch_and_the_queryset_is_built_only_to_compile(tokens):
    ann, _ben, _made = tokens
    built = []

    def build(shape, user_id, now):
        built.append(shape)
        return _tokens(shape, user_id, now)

    query = CompiledQuery(build, user_id=int, now=dt.datetime)
    query.fetch("live", user_id=ann.pk, now=timezone.now())
    first = len(built)
    with CaptureQueriesContext(connection) as ctx:
        for _ in range(3):
            query.fetch("live", user_id=ann.pk, now=timezone.now())
    assert len(ctx.captured_queries) == 3
    assert len(built) == first


def test_the_time_value_is_compared_as_the_orm_would(tokens):
    ann, _ben, made = tokens
    query = CompiledQuery(_tokens, user_id=int, now=dt.datetime)
    later = made["later"].expires_at
    before = query.fetch("live", user_id=ann.pk, now=later - dt.timedelta(seconds=1))
    after = query.fetch("live", user_id=ann.pk, now=later)
    assert made["later"].pk in {t.pk for t in before}
    assert made["later"].pk not in {t.pk for t in after}
    with pytest.raises(TypeError, match="aware"):
        query.fetch("live", user_id=ann.pk, now=dt.datetime(2030, 1, 1))  # noqa: DTZ001 - the point
    with pytest.raises(TypeError, match="user_id"):
        query.fetch("live", user_id="1", now=later)


def test_an_id_no_column_holds_is_left_to_the_orm(tokens):
    # Beyond 64 bits the queryset itself runs (Django's integer lookups make it "no rows"), not the SQL.
    query = CompiledQuery(lambda shape, pk: ApiToken.objects.filter(pk=pk), pk=int)
    assert query.fetch(pk=tokens[2]["live"].pk)[0].name == "live"
    assert query.fetch(pk=2**70) == []
    assert query.fetch(pk=-(2**70)) == []


def test_an_empty_queryset_sends_nothing(tokens):
    ann, _ben, _made = tokens
    query = CompiledQuery(lambda shape, user_id: ApiToken.objects.filter(user_id=user_id).none(), user_id=int)
    with CaptureQueriesContext(connection) as ctx:
        assert query.fetch(user_id=ann.pk) == []
        assert query.first(user_id=ann.pk) is None
    assert ctx.captured_queries == []


@pytest.mark.parametrize(
    ("build", "message"),
    [
        # The value is written into the statement itself.
        (lambda shape, n: ApiToken.objects.extra(where=[f"id <> {n}"]), "depends on the values"),  # noqa: S610
        # The value is transformed before it is sent (a LIKE pattern).
        (lambda shape, n: ApiToken.objects.filter(name__icontains=n), "varies with the values"),
    ],
)
def test_a_queryset_that_cannot_be_reused_is_refused(build, message):
    kind = str if message == "varies with the values" else int
    with pytest.raises(ImproperlyConfigured, match=message):
        CompiledQuery(build, n=kind).fetch(n=kind(3) if kind is int else "x")


def test_the_token_lookup_still_refuses_revoked_expired_and_inactive(tokens):
    ann, _ben, made = tokens
    plain = {}
    for name, expires in (("fresh", None), ("soon", timezone.now() + dt.timedelta(minutes=5))):
        plain[name] = api_token_create(user=ann, name=name, scopes=["clients:read"], expires_at=expires)[1]
    assert api_token_find(plain["fresh"]).name == "fresh"
    assert api_token_find(plain["soon"]).name == "soon"
    assert api_token_find("nc_not-a-token") is None
    token = ApiToken.objects.get(token_hash=hashlib.sha256(plain["fresh"].encode()).hexdigest())
    api_token_revoke(token=token)
    assert api_token_find(plain["fresh"]) is None
    User.objects.filter(pk=ann.pk).update(is_active=False)
    assert api_token_find(plain["soon"]) is None
