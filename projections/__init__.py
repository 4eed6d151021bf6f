"""Read models built from the event notifications, and the Kafka ingest of match events.

Everything the API, the web pages and the demo need is on one query object:

    from projections import open_read_models
    models = open_read_models(settings, services)   # services: runtime.bootstrap.Services
    models.catch_up()                                # process every new event now (in-process)
    models.register_rows({"borough": "Westminster"}) # -> list[dict], REGISTER_COLUMNS only
    models.register_row(deployment_id)               # -> dict | None
    models.metrics(by="month")                       # "month" | "use_case" | "borough"
    models.alert_queue(deployment_id=None, pending_only=True)  # operator queue, no images
    models.timeline(deployment_id)                   # every event, in order, with actor and role
    models.aggregate_as_of(aggregate_id, version=None, at=None)  # past state of an aggregate

See `projections.readmodels.ReadModels` for the row shapes. Each register row carries
`notification_ids`: the notification ids of the events it was built from, for inclusion
proofs. Every read model is a set of tables in the event store's database, written in
the same transaction as the projection's tracking record (position), so it resumes
where it stopped and can be rebuilt from zero (`lfr project --rebuild`).

The ingest (`services.ingest`): `open_ingest(settings, services)` gives an
`IngestService`; `ingest_batch(ingest, messages)` turns worker messages into domain
commands with their offsets recorded in the same transaction; `drain_broker(ingest,
broker)` empties a `recognition.transport.InProcessBroker` into the store (the embedded
default); `adapters.kafka_ingest.KafkaIngest` is the `lfr ingest` loop.

Writing another projection (the retention view does this): see `projections.base`.
"""

from __future__ import annotations

from projections.readmodels import ReadModels, open_read_models
from projections.register import REGISTER_COLUMNS

__all__ = ["REGISTER_COLUMNS", "ReadModels", "open_read_models"]
