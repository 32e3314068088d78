"""Operations: work that spans the whole record (demo data, backup/restore, purge, the right-of-access export
and erasure). The top layer beside the pages, the portal and FHIR: it may import every domain app; none
imports it."""
