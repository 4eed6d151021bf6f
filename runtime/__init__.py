"""The composition root: reads the settings once and builds the running system (stores,
vault, application service, read models, ledger) for one process, then hands it in to the
entry points (`cli`, `api`) and the use cases (`services`)."""
