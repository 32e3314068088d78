"""The demo clinic's seeding (`nervecare demo`), one step a module: `people` (the clinic and its staff),
`cases` and `clients` (the clients taken in), `schedule`, `notes`, `money`, `claims` (outcome measures over
time), `footcheck`, `selfcare` and `trials`."""
