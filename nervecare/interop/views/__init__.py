"""The FHIR R4 REST interface at /fhir/R4/: CapabilityStatement, read, search, Bulk Data export, referral import.

Plain Django views, thin: authenticate (session or bearer token), parse, call a selector or service, answer
application/fhir+json. Every error is an OperationOutcome with a 4xx status: 401 without a login, 403 for a
role that may not read clinical data, 404 for anything outside the caller's clinic. common.py holds what the
views share; resources.py (metadata, read, search), referral.py (the import) and export.py (Bulk Data) the
routes.
"""
