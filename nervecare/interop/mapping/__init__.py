"""NerveCare's records as FHIR R4 resources: pure functions from model instances to JSON-ready dicts, one
module per resource (common.py holds the code systems, status value sets and small builders they share).

Nothing here reads the database: callers (selectors) fetch the rows with what each function needs
(select_related/prefetch) and pass it in. Ids are stable: a row's primary key, or for resources made from
part of a row (an Observation per rating) the row's key and the part's name ("note-12-pain-before").
Codes come from data (codes.py); local codes live in NerveCare's own code systems.

The package's names are its interface (the FHIR API, the bulk export, the referral import and the tests call
`mapping.patient(...)`, `mapping.Context`, ...), so they are re-exported here.
"""

from nervecare.interop.mapping.appointment import appointment, encounter
from nervecare.interop.mapping.care_plan import care_plan
from nervecare.interop.mapping.common import (
    APPOINTMENT_STATUS,
    ASSERTED_DATE,
    CONDITION_RATINGS,
    ENCOUNTER_STATUS,
    NOTE_RATINGS,
    Context,
    Resource,
    iso,
    operation_outcome,
)
from nervecare.interop.mapping.condition import condition, condition_codings
from nervecare.interop.mapping.document_reference import document_reference
from nervecare.interop.mapping.flag import flag
from nervecare.interop.mapping.foot_check import foot_check_questionnaire, foot_check_response
from nervecare.interop.mapping.observation import (
    observation_for_response,
    observations_for_condition,
    observations_for_note,
)
from nervecare.interop.mapping.patient import organization, patient, practitioner
from nervecare.interop.mapping.procedure import procedure
from nervecare.interop.mapping.questionnaire import questionnaire, questionnaire_response

__all__ = [
    "APPOINTMENT_STATUS",
    "ASSERTED_DATE",
    "CONDITION_RATINGS",
    "ENCOUNTER_STATUS",
    "NOTE_RATINGS",
    "Context",
    "Resource",
    "appointment",
    "care_plan",
    "condition",
    "condition_codings",
    "document_reference",
    "encounter",
    "flag",
    "foot_check_questionnaire",
    "foot_check_response",
    "iso",
    "observation_for_response",
    "observations_for_condition",
    "observations_for_note",
    "operation_outcome",
    "organization",
    "patient",
    "practitioner",
    "procedure",
    "questionnaire",
    "questionnaire_response",
]
