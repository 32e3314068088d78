"""The FHIR R4 REST API (mounted at /fhir/R4/, outside the JSON API)."""
