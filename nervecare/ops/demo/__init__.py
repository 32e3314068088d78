"""The demo clinic's seeding (`nervecare demo`): the schedule and the signed session notes."""
