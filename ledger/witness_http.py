"""The witness over HTTP (C2SP tlog-witness): the server `lfr ledger witness serve` runs, and
the client the log uses to submit its checkpoints to the witnesses in its settings."""

from __future__ import annotations

import logging
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from ledger.checkpoint import Checkpoint
from ledger.note import KeyType, NoteError, NoteSignature, PublicKey
from ledger.witness import SIZE_CONTENT_TYPE, AddCheckpoint, Witness, WitnessRefused

MAX_REQUEST = 64 * 1024
log = logging.getLogger(__name__)


def witness_server(witness: Witness, host: str, port: int) -> ThreadingHTTPServer:
    """An HTTP server answering `POST /add-checkpoint` for `witness` (not yet serving)."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 (the standard library's name)
            if self.path.rstrip("/") != "/add-checkpoint":
                self._answer(404, "text/plain", "not found\n")
                return
            length = int(self.headers.get("Content-Length") or 0)
            if not 0 < length <= MAX_REQUEST:
                self._answer(400, "text/plain", "a request body of at most 64 KiB is needed\n")
                return
            try:
                request = AddCheckpoint.decode(self.rfile.read(length))
                line = witness.add_checkpoint(request)
            except WitnessRefused as refused:
                kind = (
                    SIZE_CONTENT_TYPE
                    if refused.status == 409 and refused.body[:1].isdigit()
                    else "text/plain"
                )
                self._answer(refused.status, kind, refused.body)
                return
            self._answer(200, "text/plain; charset=utf-8", line.line())

        def do_GET(self) -> None:  # noqa: N802
            if self.path.rstrip("/") == "/vkey":
                self._answer(200, "text/plain", witness.public.vkey + "\n")
            else:
                self._answer(404, "text/plain", "not found\n")

        def _answer(self, status: int, kind: str, text: str) -> None:
            data = text.encode()
            self.send_response(status)
            self.send_header("Content-Type", kind)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            log.info("witness: " + format, *args)

    return ThreadingHTTPServer((host, port), Handler)


@dataclass(frozen=True)
class WitnessEndpoint:
    """A witness the log submits to: its verifier key and its submission URL prefix."""

    key: PublicKey
    url: str

    @classmethod
    def parse(cls, text: str) -> WitnessEndpoint:
        """`<vkey> <url>` (the settings' form)."""
        parts = text.split()
        if len(parts) != 2 or not parts[1].startswith(("http://", "https://")):
            raise NoteError(f"a witness is `<vkey> <http(s) URL>`, not {text.strip()!r}")
        key = PublicKey.parse(parts[0])
        if key.key_type is not KeyType.COSIGNATURE_V1:
            raise NoteError(f"the witness key {key.name} is not a cosignature/v1 key")
        return cls(key, parts[1].rstrip("/"))


class Submission:
    """Submits checkpoints to one witness, remembering the size it last co-signed."""

    def __init__(self, endpoint: WitnessEndpoint, timeout: float = 10.0) -> None:
        self.endpoint, self.timeout = endpoint, timeout
        self.known_size: int | None = None

    def submit(
        self, checkpoint: Checkpoint, proof_from: Callable[[int], tuple[bytes, ...]]
    ) -> NoteSignature:
        """The witness's verified cosignature of `checkpoint`; `WitnessRefused` if refused or
        unreachable. `proof_from(old)` gives the consistency proof from size `old`."""
        for _ in range(2):  # a 409 tells the witness's size: retry once from there
            old = self.known_size or 0
            old = old if old <= checkpoint.tree_size else 0
            proof = proof_from(old) if 0 < old < checkpoint.tree_size else ()
            status, text = self._post(AddCheckpoint(old, proof, checkpoint).encode())
            if status == 409 and text.strip().isdigit() and int(text) != old:
                self.known_size = int(text)
                continue
            if status != 200:
                raise WitnessRefused(status, f"{self.endpoint.key.name}: {text.strip()}")
            return self._verified(checkpoint, text)
        raise WitnessRefused(409, f"{self.endpoint.key.name}: the witness's size keeps changing")

    def _verified(self, checkpoint: Checkpoint, text: str) -> NoteSignature:
        key = self.endpoint.key
        for raw in text.splitlines():
            try:
                line = NoteSignature.parse(raw)
            except NoteError:
                continue
            if key.check(line, checkpoint.body()) is not None:
                self.known_size = checkpoint.tree_size
                return line
        raise WitnessRefused(502, f"{key.name}: no valid cosignature in the witness's answer")

    def _post(self, body: bytes) -> tuple[int, str]:
        request = urllib.request.Request(
            self.endpoint.url + "/add-checkpoint", data=body, method="POST",
            headers={"Content-Type": "text/plain; charset=utf-8"},
        )  # fmt: skip
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return int(answer.status), answer.read(MAX_REQUEST).decode("utf-8", "replace")
        except urllib.error.HTTPError as error:
            return int(error.code), error.read(MAX_REQUEST).decode("utf-8", "replace")
        except (urllib.error.URLError, OSError) as error:
            raise WitnessRefused(503, f"{self.endpoint.key.name} unreachable: {error}") from None
