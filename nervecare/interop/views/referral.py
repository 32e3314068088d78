"""POST [base]: the referral import."""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse

from nervecare.core.bounds import non_finite_path
from nervecare.core.middleware import NUL_MESSAGE, nul_fields
from nervecare.core.models import User
from nervecare.interop import limits, mapping, selectors
from nervecare.interop.referral.service import BundleError, referral_import
from nervecare.interop.views.common import (
    FhirError,
    base_url,
    fhir_response,
    fhir_view,
)

# --- import (POST [base]) ------------------------------------------------------------------------------------


@fhir_view(("POST",))
def base(request: HttpRequest, user: User) -> HttpResponse:
    """POST a referral Bundle (transaction or collection): creates or updates a client, with a report."""
    selectors.scope_for(user)
    content_type = request.META.get("CONTENT_TYPE", "").split(";")[0].strip()
    if content_type not in ("application/fhir+json", "application/json"):
        raise FhirError(415, "not-supported", "Send the Bundle as application/fhir+json.")
    limits.check_declared_size(request.META.get("CONTENT_LENGTH"))  # before the body is read
    body = request.body or b""
    limits.check_body_size(body)
    try:
        bundle = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise FhirError(400, "structure", f"The body is not JSON: {exc}") from None
    except RecursionError:  # nested deeper than the parser goes: far beyond the limit
        raise limits.LimitError(
            422, f"The Bundle is nested more than {limits.MAX_DEPTH} levels deep."
        ) from None
    limits.check_structure(bundle)  # cheap bounds before any validation
    bad_number = non_finite_path(bundle)
    if bad_number is not None:  # 1e999 reads as infinity: no column stores it, no calculation survives it
        raise FhirError(422, "invalid", f"{bad_number} must be a finite number", expression=bad_number)
    nul = next(nul_fields(bundle), None)
    if nul is not None:  # no text column can store NUL (PostgreSQL refuses it)
        raise FhirError(422, "invalid", f"{nul} {NUL_MESSAGE}", expression=nul)
    try:
        report = referral_import(actor=user, bundle=bundle)
    except BundleError as exc:
        return fhir_response(mapping.operation_outcome(*exc.issues), exc.status)
    headers = {"Location": f"{base_url(request)}/Patient/{report.client.pk}"}
    return fhir_response(mapping.operation_outcome(*report.issues), 201 if report.created else 200, headers)
