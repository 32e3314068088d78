"""Writes for care plans: propose, change (with who and why), activate."""

from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.db import IntegrityError, transaction
from django.utils import timezone

from nervecare.clients.models import Client, ClientAccessGrant
from nervecare.clients.selectors import body_map_latest_two, body_map_marks
from nervecare.clients.services import client_access_grant, client_access_revoke
from nervecare.core.errors import FieldErrors, full_clean_or_collect
from nervecare.core.models import Therapist, User
from nervecare.core.permissions import require_clinical
from nervecare.core.services import audit_record
from nervecare.plans import recommend
from nervecare.plans.models import CarePlan, PlanChange
from nervecare.screening.models import SafetyFlag
from nervecare.screening.selectors import blocking_flags, latest_responses, open_flags
from nervecare.screening.services import safety_check_run, safety_evaluate

EDITABLE_FIELDS = (
    "modality",
    "scope",
    "pressure",
    "session_minutes",
    "sessions_per_week",
    "course_weeks",
    "reevaluation_weeks",
    "outcome_measures",
    "avoid_areas",
    "precautions",
    "therapist_id",
    "start_date",
)


LIVE_PLAN_STATUSES = (CarePlan.Status.PROPOSED, CarePlan.Status.ACTIVE)


def _plan_access_sync(*, actor: User, plan: CarePlan, old_therapist_id: int | None) -> None:
    """The plan's therapist sees the client's record while the plan is proposed or active (an explicit grant,
    audited); a therapist the plan no longer names, or every one once it is cancelled, loses that grant."""
    live = plan.status in LIVE_PLAN_STATUSES
    if old_therapist_id is not None and (old_therapist_id != plan.therapist_id or not live):
        old = Therapist.objects.select_related("user").get(pk=old_therapist_id)
        client_access_revoke(
            actor=actor,
            client=plan.client,
            user=old.user,
            reason=ClientAccessGrant.Reason.PLAN,
            source_id=plan.pk,
        )
    if live and plan.therapist_id is not None:
        therapist = Therapist.objects.select_related("user").get(pk=plan.therapist_id)
        client_access_grant(
            actor=actor,
            client=plan.client,
            user=therapist.user,
            reason=ClientAccessGrant.Reason.PLAN,
            source_id=plan.pk,
        )


class PlanBlockedError(Exception):
    """The plan cannot be activated: open stop or clearance flags. `flags` lists them."""

    def __init__(self, flags: list[SafetyFlag]):
        self.flags = flags
        super().__init__(
            "The plan cannot be activated while these flags are open: "
            + "; ".join(f"{f.level}: {f.title}" for f in flags)
        )


def _flag_view(flag: SafetyFlag) -> recommend.FlagView:
    return recommend.FlagView(
        rule_id=flag.rule_id,
        level=flag.level,
        area=flag.area,
        title=flag.title,
        actions=flag.actions,
        effects=flag.effects,
        applies_to=flag.applies_to,
    )


def flags_in_force(
    client: Client, *, fired: set[str] | None = None, open_now: list[SafetyFlag] | None = None
) -> list[SafetyFlag]:
    """Open flags, plus cleared ones whose rule still fires: a clearance lets treatment start, but its
    precautions (avoid the limb, moderate pressure) still apply to the plan.

    A caller that has just run the rules (`fired`: the ids of the rules that fired) or read the open flags
    (`open_now`, as open_flags returns them) passes them instead of having them computed again."""
    if fired is None:
        fired = {f.rule.id for f in safety_evaluate(client)}
    flags = open_flags(client) if open_now is None else list(open_now)
    seen = {f.rule_id for f in flags}
    for flag in client.flags.filter(resolution=SafetyFlag.Resolution.CLEARED).order_by("-resolved_at"):
        if flag.rule_id in fired and flag.rule_id not in seen:
            flags.append(flag)
            seen.add(flag.rule_id)
    return flags


def plan_recommendation(
    client: Client,
    flags: list[SafetyFlag],
    *,
    starts_on: date | None = None,
    course_weeks: int | None = None,
) -> dict[str, Any]:
    """The recommender's proposal for this client (read-only). Certifications count when the course starts
    (`starts_on`; without one, today in the clinic's time zone), and one that expires before the course ends
    is named in that therapist's reasons."""
    start = starts_on or timezone.localdate(timezone=ZoneInfo(client.clinic.timezone or "UTC"))
    therapists = []
    for t in Therapist.objects.filter(clinic_id=client.clinic_id, active=True):
        held = t.certifications_on(start)
        expiry = t.certification_expiry or {}
        therapists.append(
            recommend.TherapistView(
                id=t.id,
                name=t.display_name,
                years_experience=t.years_experience,
                certifications=held,
                is_primary=t.id == client.primary_therapist_id,
                expires={c: date.fromisoformat(str(expiry[c])) for c in held if expiry.get(c)},
            )
        )
    latest_map, _ = body_map_latest_two(client)
    medical = getattr(client, "medical", None)
    return recommend.recommend(
        conditions=[{"type": c.type, "cause": c.cause} for c in client.conditions.all()],
        marks=body_map_marks(latest_map) if latest_map else [],
        flags=[_flag_view(f) for f in flags],
        has_lymphedema=bool(medical and medical.lymphedema),
        baseline_instruments=latest_responses(client).keys(),
        therapists=therapists,
        starts_on=start,
        course_weeks=course_weeks,
    )


@transaction.atomic
def plan_propose(*, actor: User, client: Client) -> tuple[CarePlan, dict]:
    """Run the safety check, then store the recommended plan as a proposal with its reasons."""
    require_clinical(actor)
    if not client.conditions.exists():
        raise FieldErrors({"conditions": "record the client's neuropathy before proposing a plan"})
    safety_check_run(actor=actor, client=client)
    flags = flags_in_force(client)
    proposal = plan_recommendation(client, flags)
    best = next((t for t in proposal["therapist_ranking"] if t["eligible"]), None)
    rationale = list(proposal["rationale"])
    if best is None:
        rationale.append("No therapist in the clinic meets the qualifications: assign one who does.")
    # What blocks the plan is NOT stored with its reasons: it changes (a clearance, a healed ulcer) and is
    # read fresh every time the plan is shown (selectors.plan_rationale; issue 19 point 9).
    plan = CarePlan.objects.create(
        client=client,
        modality=proposal["modality"],
        scope=proposal["scope"],
        pressure=proposal["pressure"],
        session_minutes=proposal["session_minutes"],
        sessions_per_week=proposal["sessions_per_week"],
        course_weeks=proposal["course_weeks"],
        reevaluation_weeks=proposal["reevaluation_weeks"],
        outcome_measures=proposal["outcome_measures"],
        avoid_areas=proposal["avoid_areas"],
        precautions=proposal["precautions"],
        required_min_years=proposal["required_min_years"],
        required_certifications=proposal["required_certifications"],
        rationale=rationale,
        therapist_id=best["therapist_id"] if best else None,
        created_by=actor,
    )
    audit_record(actor=actor, action="create", obj=plan, summary=f"Plan proposed: {plan}")
    _plan_access_sync(actor=actor, plan=plan, old_therapist_id=None)
    return plan, proposal


def _validate_lists(plan: CarePlan, flags: list[SafetyFlag], errors: dict[str, str]) -> None:
    """Precautions and avoided areas that come from safety flags stay in the plan; free text stays sane."""
    for name, max_items, max_length in (("precautions", 50, 500), ("avoid_areas", 30, 200)):
        value = getattr(plan, name)
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            errors[name] = "must be a list of non-empty texts"
        elif len(value) > max_items or any(len(v) > max_length for v in value):
            errors[name] = f"at most {max_items} entries of at most {max_length} characters each"
    if "precautions" not in errors:
        missing = [a for a in recommend.precautions_for(flags) if a not in plan.precautions]
        if missing:
            errors["precautions"] = "the safety flags' precautions cannot be removed: " + "; ".join(missing)
    if "avoid_areas" not in errors:
        missing = [a for a in recommend.avoid_areas_for(flags) if a not in plan.avoid_areas]
        if missing:
            errors["avoid_areas"] = "areas named by safety flags cannot be removed: " + ", ".join(missing)
    if plan.start_date is not None and isinstance(plan.start_date, date):
        today = timezone.localdate()
        if not today - timedelta(days=365) <= plan.start_date <= today + timedelta(days=365):
            errors["start_date"] = "must be within a year of today"


def _validate_plan(plan: CarePlan, flags: list[SafetyFlag], errors: dict[str, str]) -> None:
    full_clean_or_collect(plan, errors, exclude=["client", "created_by", "activated_by", "therapist"])
    if errors:
        return
    caps = [(f, f.effects.get("max_pressure")) for f in flags if f.effects.get("max_pressure")]
    for flag, cap in caps:
        if recommend.PRESSURE_ORDER.index(plan.pressure) > recommend.PRESSURE_ORDER.index(cap):
            errors["pressure"] = (
                f"{plan.pressure} pressure is not safe: the flag '{flag.title}' allows {cap} at most"
            )
    _validate_lists(plan, flags, errors)
    for flag in flags:
        if plan.modality in flag.effects.get("exclude_modalities", []):
            errors["modality"] = f"{plan.get_modality_display()} is ruled out by the flag '{flag.title}'"
    weeks = plan.reevaluation_weeks
    if not isinstance(weeks, list) or not all(
        isinstance(w, int) and 1 <= w <= plan.course_weeks for w in weeks
    ):
        errors["reevaluation_weeks"] = f"must be a list of week numbers from 1 to {plan.course_weeks}"
    if plan.therapist_id is not None:
        therapist = Therapist.objects.filter(pk=plan.therapist_id, clinic_id=plan.client.clinic_id).first()
        if therapist is None:
            errors["therapist_id"] = "no such therapist in this clinic"
        else:
            # Valid when the course starts (today without a start date): an expired one does not count.
            held = therapist.certifications_on(
                plan.start_date
                if isinstance(plan.start_date, date)
                else timezone.localdate(timezone=ZoneInfo(plan.client.clinic.timezone or "UTC"))
            )
            missing = [c for c in plan.required_certifications if c not in held]
            if plan.modality == "mld" and "mld" not in held and "mld" not in missing:
                missing.append("mld")
            if missing:
                errors["therapist_id"] = (
                    f"{therapist.display_name} lacks the required training: {', '.join(missing)}"
                )
            elif therapist.years_experience < plan.required_min_years:
                errors["therapist_id"] = (
                    f"{therapist.display_name} has {therapist.years_experience} years of experience; "
                    f"this case needs {plan.required_min_years}"
                )


@transaction.atomic
def plan_update(*, actor: User, plan: CarePlan, changes: dict[str, Any], reason: str) -> CarePlan:
    """Change any part of a proposed or active plan; each changed field is logged with who and why."""
    require_clinical(actor)
    plan = CarePlan.objects.select_for_update().select_related("client").get(pk=plan.pk)
    errors: dict[str, str] = {}
    if plan.status not in {CarePlan.Status.PROPOSED, CarePlan.Status.ACTIVE}:
        errors["status"] = f"a {plan.status} plan cannot be changed"
    if not reason or not reason.strip():
        errors["reason"] = "say why the plan is changed"
    for key in changes:
        if key not in EDITABLE_FIELDS:
            errors[key] = "this part of the plan cannot be changed"
    if changes.get("modality") == "mld" and "mld" not in plan.required_certifications:
        plan.required_certifications = [*plan.required_certifications, "mld"]
    before = {k: getattr(plan, k) for k in changes if k in EDITABLE_FIELDS}
    old_therapist_id = plan.therapist_id
    for key, value in changes.items():
        if key in EDITABLE_FIELDS:
            setattr(plan, key, value)
    _validate_plan(plan, flags_in_force(plan.client), errors)
    if errors:
        raise FieldErrors(errors)
    plan.save()
    for key, old in before.items():
        new = getattr(plan, key)
        if old != new:
            PlanChange.objects.create(
                plan=plan,
                field=key,
                old_value=_json(old),
                new_value=_json(new),
                reason=reason.strip(),
                changed_by=actor,
            )
    audit_record(
        actor=actor,
        action="update",
        obj=plan,
        summary=f"Plan changed: {reason.strip()[:200]}",
        changes={k: [_json(v), _json(getattr(plan, k))] for k, v in before.items() if v != getattr(plan, k)},
    )
    _plan_access_sync(actor=actor, plan=plan, old_therapist_id=old_therapist_id)
    return plan


def _json(value: Any) -> Any:
    return value if isinstance(value, bool | int | float | str | list | dict) or value is None else str(value)


def plan_activate(*, actor: User, plan: CarePlan) -> CarePlan:
    """Activate a proposed plan. The safety check runs first; an open stop or clearance flag blocks it.

    The safety check commits on its own, before the activation: a flag that blocks the plan is kept (and can
    be seen and cleared) even though the activation itself is refused.
    """
    require_clinical(actor)
    safety_check_run(actor=actor, client=plan.client)
    with transaction.atomic():
        plan = CarePlan.objects.select_for_update().select_related("client").get(pk=plan.pk)
        if plan.status != CarePlan.Status.PROPOSED:
            raise FieldErrors({"status": f"only a proposed plan can be activated; this one is {plan.status}"})
        blockers = blocking_flags(plan.client, plan.modality)
        if blockers:
            raise PlanBlockedError(blockers)
        errors: dict[str, str] = {}
        if plan.therapist_id is None:
            errors["therapist_id"] = "assign a qualified therapist before activating the plan"
        _validate_plan(plan, flags_in_force(plan.client), errors)
        if errors:
            raise FieldErrors(errors)
        if (
            CarePlan.objects.filter(client=plan.client, status=CarePlan.Status.ACTIVE)
            .exclude(pk=plan.pk)
            .exists()
        ):
            raise FieldErrors({"status": "the client already has an active plan; cancel it first"})
        plan.status = CarePlan.Status.ACTIVE
        plan.activated_at = timezone.now()
        plan.activated_by = actor
        plan.start_date = plan.start_date or timezone.localdate()
        try:
            with transaction.atomic():
                plan.save()
        except IntegrityError:
            raise FieldErrors({"status": "the client already has an active plan"}) from None
        audit_record(actor=actor, action="update", obj=plan, summary="Plan activated")
        _plan_access_sync(actor=actor, plan=plan, old_therapist_id=plan.therapist_id)
    return plan


@transaction.atomic
def plan_cancel(*, actor: User, plan: CarePlan, reason: str) -> CarePlan:
    require_clinical(actor)
    if not reason.strip():
        raise FieldErrors({"reason": "say why the plan is cancelled"})
    plan = CarePlan.objects.select_for_update().select_related("client").get(pk=plan.pk)
    if plan.status in {CarePlan.Status.CANCELLED, CarePlan.Status.COMPLETED}:
        raise FieldErrors({"status": f"the plan is already {plan.status}"})
    old = plan.status
    plan.status = CarePlan.Status.CANCELLED
    plan.save(update_fields=["status", "updated_at"])
    PlanChange.objects.create(
        plan=plan,
        field="status",
        old_value=old,
        new_value="cancelled",
        reason=reason.strip(),
        changed_by=actor,
    )
    audit_record(
        actor=actor,
        action="update",
        obj=plan,
        summary=f"Plan cancelled: {reason.strip()[:200]}",
    )
    _plan_access_sync(actor=actor, plan=plan, old_therapist_id=plan.therapist_id)
    return plan
