"""The words and numbers of one client's outcomes: the ratings' names, the screening instruments shown as
trajectories, the PGIC answers' words, the caveat every page carries, and how a number is written."""

from django.utils.translation import gettext_lazy

from nervecare.screening.instruments import all_definitions

MEASURE_LABELS = {
    "pain": gettext_lazy("Pain"),
    "numbness": gettext_lazy("Numbness"),
    "tingling": gettext_lazy("Tingling"),
}
# Instruments shown as trajectories of their totals (no responder threshold is published for them here).
SCREENING_INSTRUMENTS = ("dn4", "dn4_interview", "mnsi_history", "mnsi_exam", "mnsi_exam_monofilament")


def pgic_labels() -> dict[int, str]:
    """PGIC answers and their words, from the instrument's own definition (screening/data/instruments)."""
    definition = all_definitions().get("pgic")
    options = definition.answer_sets.get("pgic", []) if definition else []
    return {int(o.score): o.label for o in options}


CAVEAT = gettext_lazy(
    "These are the client's own ratings, recorded in routine care, without a comparison (control) group. "
    "They show how the ratings changed, not whether massage caused the change: neuropathy symptoms also "
    "change with time, medicines, the course of the illness and the attention that comes with care, and "
    "ratings that start high tend to come down on their own (regression to the mean). Nothing here is a "
    "diagnosis or a promise of improvement."
)


def fmt(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    text = f"{value:.{digits}f}"
    return "0" if text in {"-0", "-0.0"} else text
