"""CSV imports from another practice system (issue 16 §5): `fields` (what can be imported, in the user's
words), `presets` (shipped column presets, data with their sources), `rows` (reading and checking a file:
the dry run), `apply` (the all-or-nothing import with bulk writes) and `services` (the audited steps a page,
the API, the CLI and the job queue call)."""
