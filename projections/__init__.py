"""Read models built from the event notifications: what the API, the pages and the reports read.

Everything the API, the web pages and the demo need is on one query object:

    from runtime.bootstrap import open_read_models   # the composition root builds them
    models = open_read_models(settings, services)
    models.catch_up()                                # process every new event now (in-process)
    models.register_rows({"borough": "Westminster"}) # -> list[dict], REGISTER_COLUMNS only
    models.register_row(deployment_id)               # -> dict | None
    models.metrics(by="month")                       # "month" | "use_case" | "borough"
    models.alert_queue(deployment_id=None, pending_only=True)  # operator queue, no images
    models.timeline(deployment_id)                   # every event, in order, with actor and role
    models.directory("deployment")                   # ids of what exists, in order made
    models.consultations(after=0, limit=100)         # the s.62 log, a page at a time
    models.aggregate_as_of(aggregate_id, version=None, at=None)  # past state of an aggregate

See `projections.readmodels.ReadModels` for the row shapes. Each register row carries
`notification_ids`: the notification ids of the events it was built from, for inclusion
proofs. Every read model is a set of tables in the event store's database, written in
the same transaction as the projection's tracking record (position), so it resumes
where it stopped and can be rebuilt from zero (`lfr project --rebuild`).

Writing another projection (the retention view in `services.retention` does this): see
`projections.base`.
"""

from __future__ import annotations

from projections.readmodels import ReadModels
from projections.register import REGISTER_COLUMNS

__all__ = ["REGISTER_COLUMNS", "ReadModels"]
