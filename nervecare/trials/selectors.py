"""Reads for single-client trials: who may see which trial (the same rule as the client's outcomes), a
trial's state and today's prompt, and its analysis on the diary ratings."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from nervecare.clients.models import Client
from nervecare.clients.selectors import client_get_for_user, clients_visible_to
from nervecare.core.models import User
from nervecare.core.permissions import require_clinical
from nervecare.trials import hooks
from nervecare.trials.analysis import TrialSpec, analyse
from nervecare.trials.design import Schedule
from nervecare.trials.models import Trial
from nervecare.trials.rules import comparison
from nervecare.trials.services import client_today


def trials_visible_to(user: User) -> QuerySet[Trial]:
    """The trials of the clients whose clinical record the user may see (clients_visible_to)."""
    require_clinical(user)
    return Trial.objects.filter(client__in=clients_visible_to(user))


def trial_get_for_user(user: User, client_id: int, trial_id: int) -> Trial:
    """One trial of a client the user may see (client_get_for_user: 404 for a record they cannot see, 403 for
    a role that sees no clinical data); 404 for another client's trial."""
    client = client_get_for_user(user, client_id)
    trial = Trial.objects.filter(pk=trial_id, client=client).first()
    if trial is None:
        raise Http404("No such trial.")
    trial.client = client
    return trial


def trial_get_for_client(client: Client, trial_id: int) -> Trial:
    """One trial of this client (after the portal decided the client is the signed-in one); 404 otherwise."""
    trial = Trial.objects.filter(pk=trial_id, client=client).first()
    if trial is None:
        raise Http404("No such trial.")
    trial.client = client
    return trial


def client_trials(client: Client) -> list[Trial]:
    return list(client.trials.order_by("-created_at", "-id"))


def spec_of(trial: Trial) -> TrialSpec:
    return TrialSpec(
        comparison=trial.comparison,
        measure=trial.measure,
        start=trial.start_date,
        weeks_total=trial.weeks_total,
        phases=trial.phases,
        min_phase_weeks=trial.min_phase_weeks,
        randomise_first=trial.randomise_first,
        schedule_index=trial.schedule_index,
        alternative=trial.alternative,
        alpha=trial.alpha,
    )


def trial_state(trial: Trial, today: dt.date) -> str:
    """proposed, scheduled, running, completed, declined, stopped or withdrawn."""
    if trial.status != Trial.Status.ACTIVE:
        return trial.status
    if today < trial.start_date:
        return "scheduled"
    if today > trial.end_date:
        return "completed"
    return "running"


STATE_LABELS = {
    "proposed": "Proposed: waiting for the client's agreement",
    "scheduled": "Agreed: starts on the planned day",
    "running": "Running",
    "completed": "Completed",
    "declined": "Declined by the client",
    "stopped": "Ended early",
    "withdrawn": "Withdrawn by the client",
}


def today_prompt(trial: Trial, today: dt.date) -> dict[str, Any] | None:
    """During a running trial: today's phase, and whether today is a rating day."""
    if trial_state(trial, today) != "running":
        return None
    comp = comparison(trial.comparison)
    schedule = Schedule.from_dict(trial.schedule)
    for phase in schedule.phases(trial.start_date):
        if phase["start"] <= today <= phase["end"]:
            day = (today - trial.start_date).days
            return {
                "phase": phase,
                "label": comp["a"] if phase["condition"] == "A" else comp["b"],
                "is_pause": comp["pause"] == phase["condition"],
                "rating_day": day % trial.rating_every_days == 0,
                "day": day + 1,
                "days": 7 * trial.weeks_total,
            }
    return None


def trial_result(trial: Trial, *, today: dt.date | None = None) -> dict[str, Any]:
    """The trial's phases with the client's diary ratings of its measure; the test, the effect and the words
    once the whole schedule has run (a trial ended early has no test: it needs the planned schedule)."""
    today = today or client_today(trial.client)
    state = trial_state(trial, today)
    last = min(today, trial.end_date)
    ratings = (
        hooks.daily_ratings(client=trial.client, measure=trial.measure, first=trial.start_date, last=last)
        if last >= trial.start_date
        else {}
    )
    result = analyse(spec_of(trial), ratings, final=state == "completed")
    result.update(
        {
            "trial_id": trial.pk,
            "client_id": trial.client_id,
            "state": state,
            "state_label": STATE_LABELS[state],
            "ratings": {d.isoformat(): v for d, v in sorted(ratings.items())},
            "end_reason": trial.end_reason,
        }
    )
    return result


def client_for_trials(user: User, client_id: int) -> Client:
    """The client, if the user may see their clinical record (the outcomes' rule: client_get_for_user)."""
    return client_get_for_user(user, client_id)


def record_card_trials(user: User, client: Client) -> dict[str, Any]:
    """The record page's card: the client's trials and their state (the page checked who may see)."""
    today = client_today(client)
    return {"trials": [(t, STATE_LABELS[trial_state(t, today)]) for t in client_trials(client)]}
