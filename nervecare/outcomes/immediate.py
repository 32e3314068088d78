"""The clinic's immediate effect: the within-session change (after − before) pooled across clients.

This is how the largest published cohort reported massage's effect (MSKCC cohort 2025, one CIPN massage
session, 23 clients: pain −1.6, 95% CI −1.9 to −1.2; clinical-reference.md §3): a mean paired change with its
95% confidence interval. Unlike the lasting effect, it needs no weeks of ratings after baseline: one signed
session with a before and an after rating makes a client count.

One value per client. A client's sessions are not independent (the same person, the same condition), and a
client seen 30 times would otherwise weigh 30 times as much as one seen once; so each client contributes the
mean of their own within-session changes, and the interval is a one-sample t interval over those client means
(SciPy's t distribution, stats.mean_ci). This answers "how much does a session change the rating, for a
typical client of this clinic". The first session alone (each client's earliest signed session) is shown
beside it: that is the MSKCC design exactly (one session per client, no selection by who kept coming).
A mixed model with a random intercept per client would use every session too; with the few sessions most
clients have and ratings on a 0–10 scale, the per-client means give the same answer more transparently.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, ExpressionWrapper, F, FloatField, OuterRef, Subquery, Sum

from nervecare.core.models import Clinic
from nervecare.outcomes import stats
from nervecare.outcomes.models import ClientOutcomeSummary
from nervecare.outcomes.series import MEASURES
from nervecare.visits.models import NoteAmendment, SessionNote

IMMEDIATE_NOTE = (
    "The change within a session (the rating just after minus the rating just before) shows how clients "
    "felt straight after massage, not whether symptoms stay lower. There is no comparison group: part of the "
    "change may come from resting, attention, expecting to feel better, or rating twice in a row, and clients "
    "rate themselves in front of their therapist. The published single-session cohort (MSKCC, 23 people with "
    "chemotherapy-induced neuropathy) reported a pain change of −1.6 points (95% CI −1.9 to −1.2) measured the "
    "same way; compare the lasting effect before drawing conclusions."
)
METHOD = (
    "One value per client (the mean of that client's within-session changes), then the mean across clients "
    "with a 95% t interval; the first-session row uses each client's earliest signed session only."
)


def _selection(clinic: Clinic, filters: Any) -> Any:
    """The selected clients' ids as a subquery (the same filters as the rest of the clinic page), or None."""
    if filters is None or not any((filters.type, filters.cause, filters.modality, filters.therapist_id)):
        return None
    rows = ClientOutcomeSummary.objects.filter(clinic=clinic)
    for name in ("type", "cause", "modality"):
        if getattr(filters, name):
            rows = rows.filter(**{name: getattr(filters, name)})
    if filters.therapist_id is not None:
        rows = rows.filter(therapist_id=filters.therapist_id)
    return rows.values("client_id")


def _amended(
    clinic: Clinic, measure: str, selection: Any
) -> dict[int, tuple[int, Any, float | None, float | None]]:
    """Signed notes whose before or after rating of this measure an amendment corrected:
    {note id: (client id, session start, before, after)} with the amendments applied in order."""
    names = {f"{measure}_before", f"{measure}_after"}
    amendments = NoteAmendment.objects.filter(
        note__client__clinic=clinic, note__client__deleted_at__isnull=True, note__signed_at__isnull=False
    )
    if selection is not None:
        amendments = amendments.filter(note__client_id__in=selection)
    corrected: dict[int, dict[str, Any]] = {}
    for note_id, changes in amendments.order_by("created_at", "id").values_list("note_id", "changes"):
        for name, change in (changes or {}).items():
            if name in names and isinstance(change, list | tuple) and len(change) == 2:
                corrected.setdefault(note_id, {})[name] = change[1]
    out: dict[int, tuple[int, Any, float | None, float | None]] = {}
    rows = SessionNote.objects.filter(pk__in=list(corrected)).values_list(
        "id", "client_id", "appointment__starts_at", f"{measure}_before", f"{measure}_after"
    )
    for note_id, client_id, starts_at, before, after in rows:
        values = corrected[note_id]
        before = values.get(f"{measure}_before", before)
        after = values.get(f"{measure}_after", after)
        out[note_id] = (
            client_id,
            starts_at,
            None if before in (None, "") else float(before),
            None if after in (None, "") else float(after),
        )
    return out


def per_client_changes(clinic: Clinic, measure: str, filters: Any = None) -> list[tuple[float, int, float]]:
    """(mean within-session change, sessions, first session's change) per client.

    Grouped in the database over the signed notes; the few notes an amendment corrected are read one by one
    with the correction applied (as the client page does) and merged in."""
    if measure not in MEASURES:
        raise ValueError(f"unknown measure {measure!r}")
    before, after = f"{measure}_before", f"{measure}_after"
    selection = _selection(clinic, filters)
    amended = _amended(clinic, measure, selection)
    notes = SessionNote.objects.filter(
        client__clinic=clinic,
        client__deleted_at__isnull=True,
        signed_at__isnull=False,
        **{f"{before}__isnull": False, f"{after}__isnull": False},
    ).exclude(pk__in=list(amended))
    if selection is not None:
        notes = notes.filter(client_id__in=selection)
    diff = ExpressionWrapper(F(after) - F(before), output_field=FloatField())
    earliest = notes.filter(client_id=OuterRef("client_id")).order_by("appointment__starts_at", "id")
    grouped = (
        notes.order_by()
        .values("client_id")
        .annotate(
            total=Sum(diff),
            n=Count("id"),
            first_at=Subquery(earliest.values("appointment__starts_at")[:1]),
            first=Subquery(earliest.annotate(d=diff).values("d")[:1], output_field=FloatField()),
        )
        .values_list("client_id", "total", "n", "first_at", "first")
    )
    per_client: dict[int, list[Any]] = {
        cid: [float(total), int(n), first_at, float(first)] for cid, total, n, first_at, first in grouped
    }
    for client_id, starts_at, b, a in amended.values():
        if b is None or a is None:
            continue
        row = per_client.setdefault(client_id, [0.0, 0, None, None])
        row[0] += a - b
        row[1] += 1
        if row[2] is None or starts_at < row[2]:
            row[2], row[3] = starts_at, a - b
    return [(total / n, n, first) for total, n, _at, first in per_client.values() if n]


def pooled_immediate_effect(rows: list[tuple[float, int, float]]) -> dict[str, Any]:
    """The pooled within-session change from per-client rows (see the module docstring for why)."""
    return {
        "per_client": stats.mean_ci([mean for mean, _n, _first in rows]),
        "first_session": stats.mean_ci([first for _mean, _n, first in rows]),
        "clients": len(rows),
        "sessions": sum(n for _mean, n, _first in rows),
        "method": METHOD,
        "caveat": IMMEDIATE_NOTE,
    }


def cohort_immediate_effect(clinic: Clinic, measure: str, filters: Any = None) -> dict[str, Any]:
    """The clinic's (or the filtered selection's) immediate effect on one measure."""
    return {"measure": measure} | pooled_immediate_effect(per_client_changes(clinic, measure, filters))
