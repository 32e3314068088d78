"""Reads of care plans."""

from typing import Any

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from nervecare.clients.models import Client
from nervecare.clients.selectors import client_get_for_user
from nervecare.clients.selectors import therapists_for_clinic as therapists_for_clinic  # the API lists them
from nervecare.core.models import User
from nervecare.plans.hooks import plan_sections
from nervecare.plans.models import CarePlan
from nervecare.plans.services import plan_recommendation
from nervecare.screening.selectors import blocking_flags, open_flags

BLOCKED_PREFIXES = ("Cannot start yet: ", "Sessions cannot go ahead while these flags are open: ")


def blocked_line(plan: CarePlan, blockers: list[Any]) -> str:
    """The plan's current blocker, in words, or "" when nothing blocks it (or the plan is over)."""
    if not blockers or plan.status not in (CarePlan.Status.PROPOSED, CarePlan.Status.ACTIVE):
        return ""
    prefix = BLOCKED_PREFIXES[0] if plan.status == CarePlan.Status.PROPOSED else BLOCKED_PREFIXES[1]
    return prefix + "; ".join(f"{f.get_level_display().lower()} — {f.title}" for f in blockers) + "."


def plan_rationale(plan: CarePlan, blockers: list[Any] | None = None) -> list[str]:
    """The plan's reasons as they stand now: the stored reasons (without the blocker line older plans stored
    when proposed) and, while a stop or clearance flag is open, which ones block it today (issue 19 point 9:
    after a clearance the plan no longer says it cannot start)."""
    standing = [line for line in plan.rationale if not str(line).startswith(BLOCKED_PREFIXES)]
    if blockers is None:
        blockers = (
            blocking_flags(plan.client, plan.modality)
            if plan.status in (CarePlan.Status.PROPOSED, CarePlan.Status.ACTIVE)
            else []
        )
    line = blocked_line(plan, blockers)
    return [*standing, line] if line else standing


def plans_for_client(client: Client) -> list[CarePlan]:
    return list(client.plans.select_related("therapist").prefetch_related("changes"))


def plan_get_for_client(client: Client, plan_id: int) -> CarePlan | None:
    return client.plans.select_related("therapist").filter(pk=plan_id).first()


def plan_get_for_user(user: User, client_id: int, plan_id: int) -> CarePlan:
    """A plan of a client the user may see (404 otherwise), with its therapist and client."""
    client = client_get_for_user(user, client_id)
    return get_object_or_404(
        CarePlan.objects.select_related("therapist", "client"), pk=plan_id, client=client
    )


def plan_page(user: User, plan: CarePlan) -> dict[str, Any]:
    """The plan page: the plan, the flags that block it, the therapist ranking, the change log and what the
    apps above add (the course's progress, from scheduling)."""
    flags = open_flags(plan.client)
    # The ranking for this plan's course: certifications valid on its start, and any expiring before its end.
    recommendation = plan_recommendation(
        plan.client, flags, starts_on=plan.start_date, course_weeks=plan.course_weeks
    )
    blocking = [
        f
        for f in flags
        if f.level in ("stop", "clearance") and (not f.applies_to or plan.modality in f.applies_to)
    ]
    return {
        "plan": plan,
        "client": plan.client,
        "flags": flags,
        "blocking": blocking,
        "rationale": plan_rationale(plan, blocking),
        "ranking": recommendation["therapist_ranking"],
        "changes": plan.changes.select_related("changed_by"),
        **plan_sections(plan),
    }


def record_card_plans(user: User, client: Client) -> dict[str, Any]:
    """The record page's care plan card."""
    return {"plans": plans_for_client(client)}


def client_list_plan_status(clients: QuerySet[Client], status: str) -> QuerySet[Client]:
    """The client list narrowed to clients with a plan in `status` ("none": no plan yet)."""
    if status == "none":
        return clients.filter(plans__isnull=True)
    if status:
        return clients.filter(plans__status=status)
    return clients
