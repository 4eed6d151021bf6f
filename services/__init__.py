"""The use cases: the LFR application service and its commands, the ingest of match events,
retention and the sweeper, watchlist uploads and enrolment, reports.

Services load aggregates, call them and save; what they need from outside (a key store, a
broker, a database) is handed in by the composition root (`runtime`)."""
