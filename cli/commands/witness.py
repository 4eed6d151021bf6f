"""`lfr ledger witness serve | vkey`: a C2SP tlog-witness for the DPO or an oversight body.

The witness keeps its own key and state in `--state DIR` (`witness.key`, made on first run
and readable only by its owner; `state.json`, the latest co-signed size and root of each log)
and co-signs only checkpoints of the logs given with `--log VKEY` that extend what it saw.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import sys
from argparse import Namespace
from pathlib import Path

from ledger.note import KeyType, NoteError, PublicKey, SigningKey
from ledger.witness import Witness
from ledger.witness_http import witness_server
from runtime.settings import Settings
from services.errors import UserError


def witness_key(state: Path, name: str) -> SigningKey:
    """The witness's key, kept in `state/witness.key` (created on first use)."""
    path = state / "witness.key"
    try:
        if not path.exists():
            state.mkdir(parents=True, exist_ok=True)
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as file:
                file.write(base64.b64encode(secrets.token_bytes(32)))
        seed = base64.b64decode(path.read_bytes(), validate=True)
        return SigningKey(name, seed, KeyType.COSIGNATURE_V1)
    except (OSError, ValueError) as error:
        raise UserError(f"cannot use the witness key in {state}: {error}") from None


def vkey(args: Namespace, settings: Settings) -> int:
    """Print the witness's verifier key (to put in the log's LFR_LEDGER_WITNESSES)."""
    public = witness_key(Path(args.state), args.name).public
    if getattr(args, "json", False):
        print(json.dumps({"name": args.name, "vkey": public.vkey}))
    else:
        print(public.vkey)
    return 0


def serve(args: Namespace, settings: Settings) -> int:
    """Serve `POST /add-checkpoint` until interrupted."""

    try:
        logs = [PublicKey.parse(text) for text in args.log]
    except NoteError as error:
        raise UserError(f"--log: {error}") from None
    if not 0 <= args.port < 65536:  # 0: any free port (printed when serving)
        raise UserError(f"--port {args.port} is not a TCP port")
    key = witness_key(Path(args.state), args.name)
    witness = Witness(key, logs, Path(args.state) / "state.json")
    try:
        server = witness_server(witness, args.host, args.port)
    except OSError as error:
        raise UserError(f"cannot listen on {args.host}:{args.port}: {error}") from None
    host, port = str(server.server_address[0]), int(server.server_address[1])
    print(f"witness {key.public.vkey} on http://{host}:{port}", file=sys.stderr, flush=True)
    try:
        server.serve_forever()
    finally:
        server.server_close()
    return 0
