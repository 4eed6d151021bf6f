"""What the routes share: the domain service, and the read models, ledger and face engine,
each opened on first use so the command routes work even where those are not set up."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from fastapi import Request

from api.errors import Unavailable, database_unavailable
from api.public_cache import PublicCache
from api.register_proofs import RegisterProofs
from ledger.service import Ledger
from projections.readmodels import ReadModels
from recognition.engines import EngineUnavailable, load_engine
from runtime.bootstrap import Services
from runtime.settings import Settings
from services.lfr import LfrService
from services.report import cancellation_report_html, cancellation_report_pdf
from services.retention import erasure_proof, retention_view

PUBLIC_STALENESS_S = 1.0
# After the database was found out of reach, requests are answered 503 at once this long.
DOWN_PAUSE_S = 2.0


class ApiState:
    """The server's parts. `read_models`, `ledger` and `engine` are opened lazily, once."""

    def __init__(self, settings: Settings, services: Services) -> None:
        self.settings = settings
        self.services = services
        self._lock = threading.RLock()
        self._parts: dict[str, Any] = {}
        self._catch_up_lock = threading.Lock()
        self._caught_up_at = float("-inf")
        self._down_until = float("-inf")

    @property
    def lfr(self) -> LfrService:
        return self.services.lfr

    def _once(self, name: str, opener: Callable[[], Any]) -> Any:
        with self._lock:
            if name not in self._parts:
                self._parts[name] = opener()
            return self._parts[name]

    def read_models(self, public: bool = False) -> Any:
        """The projections' query object, caught up with the events stored so far.

        Public reads catch up at most every `PUBLIC_STALENESS_S`: the register may lag a
        command by that much, and 50 readers do not each query for new events."""
        models = self._once("read_models", self._open_read_models)
        now = time.monotonic()
        if not public or now - self._caught_up_at > PUBLIC_STALENESS_S:
            self._catch_up(models)
            self._caught_up_at = now
        return models

    def _catch_up(self, models: Any) -> None:
        """Catches the read models up; while the database is out of reach, answers 503 at
        once for a moment instead of every request waiting out the connect timeout."""
        self._refuse_while_down()
        if not self._catch_up_lock.acquire(timeout=self.settings.database_connect_timeout_s):
            raise Unavailable(
                "the database did not answer in time (read models catching up); try again shortly"
            )
        try:
            self._refuse_while_down()
            models.catch_up()
        except Exception as error:
            if database_unavailable(error):
                self._down_until = time.monotonic() + DOWN_PAUSE_S
            raise
        finally:
            self._catch_up_lock.release()

    def _refuse_while_down(self) -> None:
        if time.monotonic() < self._down_until:
            raise Unavailable("the database is not available; try again shortly")

    def public_answer(self, key: str, build: Callable[[], bytes]) -> bytes:
        """The public answer for `key`, rebuilt only when the public register changed."""
        return self._public_cache().get(key, build)

    def rendered_public_answer(self, key: str) -> bytes | None:
        """The current public answer for `key` from memory, or None (then `public_answer`)."""
        return self._public_cache().peek(key)

    def _public_cache(self) -> PublicCache:
        return self._once(
            "public_cache",
            lambda: PublicCache(
                lambda: self.read_models(public=True).public_head(), PUBLIC_STALENESS_S
            ),
        )

    def register_proofs(self) -> RegisterProofs:
        return self._once("register_proofs", lambda: RegisterProofs(self.ledger()))

    def _open_read_models(self) -> ReadModels:
        return self.services.read_models()

    def ledger(self) -> Ledger:
        return self.services.ledger()

    def retention_report(self) -> Any:
        """The DPO's retention view (`services.retention`)."""
        return retention_view(self.lfr, self.services.retention_rules, self.lfr.clock()).to_json()

    def erasure_proof(self, subject_id: Any) -> Any:
        services = self.services
        return erasure_proof(
            services.lfr, services.vault, services.retention_rules, self.ledger, subject_id
        )

    def cancellation_report(self, deployment_id: Any, version: int | None, form: str) -> Any:
        """The report as submitted (or one of its versions), as "html" text or "pdf" bytes."""
        if form == "pdf":
            return cancellation_report_pdf(self.lfr, deployment_id, version)
        return cancellation_report_html(self.lfr, deployment_id, version)

    def engine(self) -> Any:
        return self._once("engine", self._load_engine)

    def _load_engine(self) -> Any:
        try:
            return load_engine(self.settings)
        except EngineUnavailable as error:
            raise Unavailable(f"the face engine cannot be loaded: {error}") from None


async def api_state(request: Request) -> ApiState:
    state: ApiState = request.app.state.api
    return state
