"""The FHIR referral import: bundle.py reads the Bundle, match.py finds the client it is about, service.py
writes it through the clinical record's services in one transaction."""
