"""The base of the LFR application service: wiring, loading, saving, and the audit of each event."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import Any, TypeVar
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application, ProcessingEvent
from eventsourcing.domain import Aggregate
from eventsourcing.persistence import (
    InfrastructureFactory,
    IntegrityError,
    JSONTranscoder,
    StoredEvent,
    Transcoder,
)
from eventsourcing.utils import Environment

from domain.access import ACROSS_DEPLOYMENTS, Appointments, NotAppointed, appointments
from domain.alert import Alert
from domain.authorisation import DeploymentApplication
from domain.authority_rules import DOCUMENT_VERSIONS
from domain.deployment import Deployment
from domain.errors import ConcurrentChange, NotFound
from domain.publication import PublicRecord, PublicStatus
from domain.sealing import Sealer
from domain.values import Actor, Audit, S62Operation
from services.transcodings import TRANSCODINGS, StoredEventJSON

A = TypeVar("A", bound=Aggregate)


class Collected(ProcessingEvent[UUID]):
    """The library's collector of new events, with a nominal check for aggregates: its
    checks against runtime protocols cost about 40 us per aggregate saved (an eighth of
    erasing an alert, a tenth of ingesting one)."""

    def collect_events(self, *objs: Any, **kwargs: Any) -> None:
        for obj in objs:
            if isinstance(obj, Aggregate):
                self.events += obj.collect_events()
                self.aggregates[obj.id] = obj
            elif isinstance(obj, Aggregate.Event):  # decided without its aggregate
                self.events.append(obj)
            else:
                super().collect_events(obj)
        self.saved_kwargs.update(kwargs)


@dataclass(frozen=True)
class Policy:
    """The authorised limits that settings may tighten (DOMAIN.md §b.9, §c)."""

    threshold_floor: float = 0.6
    urgent_confirmation: timedelta = timedelta(hours=48)
    # The continuing equality duty: each period this long is reviewed (DOMAIN.md §b.11).
    equality_review_interval: timedelta = timedelta(days=91)
    # The MPS LFR documents and their versions an authority may be granted under.
    document_versions: Mapping[str, frozenset[str]] = field(
        default_factory=lambda: dict(DOCUMENT_VERSIONS)
    )


class ServiceBase(Application):
    """What every group of commands shares. Commands load, call the aggregate, save."""

    name = "lfr"

    def __init__(
        self,
        env: Mapping[str, str] | None = None,
        *,
        sealer: Sealer,
        policy: Policy | None = None,
        clock: Callable[[], datetime] | None = None,
        factory: InfrastructureFactory | None = None,
    ) -> None:
        # The event store's factory (and so its datastore and connection pool), when the
        # composition root built it to share it with the key store.
        self._given_factory = factory
        self._reading = threading.local()  # per thread: see `_only_reading`
        super().__init__(env)
        self.sealer = sealer
        self.policy = policy or Policy()
        self.clock = clock or (lambda: datetime.now(UTC))

    def construct_factory(self, env: Environment) -> InfrastructureFactory:
        if self._given_factory is not None:
            return self._given_factory
        return super().construct_factory(env)

    def __del__(self) -> None:
        # A given event store may serve others still (the vault's key store): its pool
        # closes when `close` is called, or when nothing uses it any more.
        if self._given_factory is None:
            super().__del__()

    def construct_transcoder(self) -> Transcoder:
        # The library's JSON, written faster (services/transcodings.py).
        transcoder = StoredEventJSON()
        self.register_transcodings(transcoder)
        return transcoder

    def register_transcodings(self, transcoder: JSONTranscoder) -> None:
        super().register_transcodings(transcoder)
        for transcoding in TRANSCODINGS:
            transcoder.register(transcoding)

    # -- plumbing ----------------------------------------------------------------------------

    def audit(
        self,
        actor: Actor,
        justification: str = "",
        s62: S62Operation | None = None,
        deployment_id: object = "",
        authority_id: object = "",
    ) -> Audit:
        return Audit(
            actor.id,
            actor.role.value,
            self.clock(),
            justification,
            s62.value if s62 else "",
            str(deployment_id),
            str(authority_id),
        )

    def load(self, cls: type[A], aggregate_id: UUID) -> A:
        """The aggregate, up to date with the store: a copy of the cached one, unless this
        thread is `_only_reading`."""
        copy = not getattr(self._reading, "only", False)
        try:
            aggregate: Aggregate = self.repository.get(aggregate_id, deepcopy_from_cache=copy)
        except AggregateNotFoundError:
            raise NotFound(f"no {cls.__name__} with id {aggregate_id}") from None
        if not isinstance(aggregate, cls):
            raise NotFound(f"{aggregate_id} is not a {cls.__name__}")
        return aggregate

    def load_many(self, cls: type[A], aggregate_ids: Sequence[UUID]) -> list[A]:
        """`load` for a batch: one read of the store for all of them (the recorders here
        have `select_events_of`; any other recorder is read aggregate by aggregate)."""
        select = getattr(self.recorder, "select_events_of", None)
        if select is None:
            return [self.load(cls, aggregate_id) for aggregate_id in aggregate_ids]
        stored: dict[UUID, list[StoredEvent]] = {}
        for event in select(aggregate_ids):
            stored.setdefault(event.originator_id, []).append(event)
        loaded = []
        to_event = self.mapper.to_domain_event
        for aggregate_id in aggregate_ids:
            aggregate: Aggregate | None = None
            for event in stored.get(aggregate_id, ()):
                aggregate = to_event(event).mutate(aggregate)  # type: ignore[attr-defined]
            if aggregate is None:
                raise NotFound(f"no {cls.__name__} with id {aggregate_id}")
            if not isinstance(aggregate, cls):
                raise NotFound(f"{aggregate_id} is not a {cls.__name__}")
            loaded.append(aggregate)
        return loaded

    def save(self, *objs: Any, **kwargs: Any) -> Any:
        """The library's `save`, step for step, collecting with `Collected`."""
        collected = Collected()
        collected.collect_events(*objs, **kwargs)
        recordings = self._record(collected)
        self._take_snapshots(collected)
        self._notify(recordings)
        self.notify(collected.events)
        return recordings

    def commit(self, *aggregates: Aggregate | Aggregate.Event, **with_events: Any) -> None:
        """Saves atomically; someone else's change first is a conflict, never a lost update.
        `aggregates` may hold events decided without their aggregate (`Alert.raised`).
        `with_events`: what `_new_keys_saved_with_events` gave, stored in the same transaction."""
        try:
            self.save(*aggregates, **with_events)
        except IntegrityError:
            raise ConcurrentChange(
                "someone else changed this record at the same time; reload and try again"
            ) from None

    def record(self, events: Sequence[Any], **with_events: Any) -> None:
        """Stores events decided without loading their aggregates (e.g. `Alert.erasure`) in
        one transaction. Each names the version it follows: if any aggregate changed since,
        none is stored (ConcurrentChange). The aggregates' cache fast-forwards from the store
        at each read, so it never shows them without these events. `with_events`: writes
        stored in the same transaction (`_destroying_keys`)."""
        try:
            self.recorder.insert_events(self._stored_alike(events), **with_events)
        except IntegrityError:
            raise ConcurrentChange(
                "someone else changed these records at the same time; reload and try again"
            ) from None

    def _stored_alike(self, events: Sequence[Any]) -> list[StoredEvent]:
        """The events as stored. Events that share their field values but for their aggregate
        and version (the same objects: a batch's erasures share their audit, rule and
        timestamp) have the same stored state, so it is encoded once (unless a cipher makes
        each state its own). `events` keeps the values alive, so their ids are not reused."""
        to_stored = self.mapper.to_stored_event
        if self.mapper.cipher is not None:
            return [to_stored(event) for event in events]
        encoded: dict[tuple[Any, ...], StoredEvent] = {}
        stored: list[StoredEvent] = []
        for event in events:
            alike = (type(event), *map(id, _other_fields(event)))
            first = encoded.get(alike)
            if first is None:
                first = encoded[alike] = to_stored(event)
                stored.append(first)
            else:
                stored.append(
                    StoredEvent(
                        event.originator_id, event.originator_version, first.topic, first.state
                    )
                )
        return stored

    def exists(self, aggregate_id: UUID) -> bool:
        return bool(self.recorder.select_events(aggregate_id, limit=1))

    # -- helpers -----------------------------------------------------------------------------

    def _public_ending(self, deployment: Deployment) -> list[Aggregate]:
        """The public record of an announced deployment that ended before it started, with
        how it ended published on it (to commit with the ending); none otherwise."""
        record_id = PublicRecord.id_for(deployment.id)
        if deployment.started_at is not None or not self.exists(record_id):
            return []
        record = self.load(PublicRecord, record_id)
        if record.status is not PublicStatus.ANNOUNCED:
            return []
        record.close(deployment)
        return [record]

    def _deployment_and_authority(
        self, deployment_id: UUID
    ) -> tuple[Deployment, DeploymentApplication]:
        deployment = self.load(Deployment, deployment_id)
        return deployment, self.load(DeploymentApplication, deployment.authority_id)

    def appointments(
        self, application: DeploymentApplication, deployment: Deployment | None = None
    ) -> Appointments:
        """Who is appointed to the application and, once granted, to its deployment."""
        if deployment is None and application.gold_id:
            deployment = self.load(Deployment, Deployment.create_id(application.id))
        return appointments(application, deployment)

    def require_appointed(self, actor: Actor, deployment_id: UUID, doing: str = "read") -> None:
        """Refuses (NotAppointed) an actor not appointed to the deployment."""
        if actor.role not in ACROSS_DEPLOYMENTS:
            deployment, authority = self._deployment_and_authority(deployment_id)
            appointments(authority, deployment).require(actor, doing)

    def is_appointed(self, actor: Actor, deployment_id: UUID) -> bool:
        try:
            self.require_appointed(actor, deployment_id)
        except (NotAppointed, NotFound):
            return False
        return True

    def require_appointed_to_application(self, actor: Actor, application_id: UUID) -> None:
        if actor.role not in ACROSS_DEPLOYMENTS:
            application = self.load(DeploymentApplication, application_id)
            self.appointments(application).require(actor, "read")

    def _for(
        self, actor: Actor, application: DeploymentApplication, s62: S62Operation | None = None
    ) -> Audit:
        """The audit of a command on this application or its deployment, once the actor is
        found appointed to it (every command checks the object, not only the role)."""
        if actor.role not in ACROSS_DEPLOYMENTS:
            self.appointments(application).require(actor)
        return self._audit_for(actor, application, s62)

    def _audit_for(
        self, actor: Actor, application: DeploymentApplication, s62: S62Operation | None = None
    ) -> Audit:
        return self.audit(
            actor,
            s62=s62,
            deployment_id=Deployment.create_id(application.id),
            authority_id=application.id,
        )

    def _for_alert(self, actor: Actor, alert: Alert, s62: S62Operation | None = None) -> Audit:
        if actor.role not in ACROSS_DEPLOYMENTS:
            self.require_appointed(actor, alert.deployment_id, "act")
        return self.audit(
            actor, s62=s62, deployment_id=alert.deployment_id, authority_id=alert.authority_id
        )

    def _new_keys_saved_with_events(self) -> AbstractContextManager[dict[str, Any]]:
        """Seals made in the block create their subjects' data keys for the `commit` given what
        this yields to store in the events' own transaction: one commit, not two. Only for
        subjects the command creates (an existing key makes the commit a conflict)."""
        holding = getattr(self.sealer, "holding_new_keys", None)
        if holding is None or not getattr(self.recorder, "writes_with_events", False):
            return _KeysSavedWithEvents(None)  # keys are stored as they are made, as before
        return _KeysSavedWithEvents(holding())

    @contextmanager
    def _destroying_keys(self, subject_ids: list[str]) -> Iterator[dict[str, Any]]:
        """Yields what the save of erasure events (`commit`, `record`) takes to destroy the
        subjects' keys in its own transaction: an erasure and its key's destruction commit
        or fail together. Where the key store or the recorder cannot, the keys are destroyed
        once the block has stored the events (a crash between the two is repaired by the
        sweeper); if the block fails, no key is destroyed."""
        destroying = getattr(self.sealer, "destroyed_with_events", None)
        destruction = None
        if destroying is not None and getattr(self.recorder, "writes_with_events", False):
            destruction = destroying(subject_ids)
        yield {"with_events": (destruction,)} if destruction is not None else {}
        if destruction is None:
            for subject in subject_ids:
                self.sealer.destroy(subject)

    def _only_reading(self) -> AbstractContextManager[None]:
        """Loads in the block (this thread's) give the cached aggregates themselves, not the
        copies the library makes so that a command's changes cannot corrupt its cache: for
        a command that reads an aggregate to check its rules and never changes it (an alert
        reads its deployment; copying a deployment costs a tenth of raising an alert)."""
        return _OnlyReading(self._reading)

    def _replay_is_no_op(self) -> AbstractContextManager[None]:
        # Two deliveries of one message can race: the loser's insert conflicts, and that is fine.
        return contextlib.suppress(ConcurrentChange)


# The context managers a command enters for each alert are classes: a generator-based one
# costs several times as much to enter and leave (the ingest raises thousands a second).


class _KeysSavedWithEvents:
    """`_new_keys_saved_with_events`: yields the vault's held keys as the commit's
    `with_events` while the vault holds the keys it makes (without `holding`: nothing)."""

    def __init__(self, holding: AbstractContextManager[Any] | None) -> None:
        self._holding = holding

    def __enter__(self) -> dict[str, Any]:
        held = None if self._holding is None else self._holding.__enter__()
        return {"with_events": (held,)} if held is not None else {}

    def __exit__(self, *exc: Any) -> bool | None:
        return None if self._holding is None else self._holding.__exit__(*exc)


class _OnlyReading:
    """`_only_reading`: this thread's loads give the cached aggregates in the block."""

    def __init__(self, reading: threading.local) -> None:
        self._reading = reading

    def __enter__(self) -> None:
        self._reading.only = True

    def __exit__(self, *exc: object) -> None:
        self._reading.only = False


def _other_fields(event: Any) -> tuple[Any, ...]:
    """An event's field values but for its aggregate and version, in a fixed order (read by
    one `attrgetter` per event class: this runs for every event of a batch)."""
    known = _OTHER_FIELDS.get(type(event))
    if known is None:
        names = sorted(set(vars(event)) - {"originator_id", "originator_version"})
        known = _OTHER_FIELDS[type(event)] = (attrgetter(*names), len(names) == 1)
    getter, single = known
    return (getter(event),) if single else getter(event)


_OTHER_FIELDS: dict[type, tuple[attrgetter[Any], bool]] = {}
