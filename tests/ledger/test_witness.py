"""Witnesses (C2SP tlog-witness): co-signing only what extends what they saw, in process and as
two `lfr ledger witness serve` processes the log submits its checkpoints to."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.checkpoint import Checkpoint
from ledger.merkle import consistency_ranges, root_of, subtree_hash
from ledger.note import KeyType, SigningKey
from ledger.service import Ledger
from ledger.witness import AddCheckpoint, Witness, WitnessRefused
from ledger.witness_http import WitnessEndpoint
from tests.ledger.conftest import LOG_KEY, Database
from tests.ledger.test_tampering import _restore, _snapshot

ORIGIN = "ledger.example.org/lfr"
LOG = SigningKey(ORIGIN, b"L" * 32)
DPO = SigningKey("dpo.example.org/w1", b"D" * 32, KeyType.COSIGNATURE_V1)


def hashes(n: int, salt: str = "") -> list[bytes]:
    return [hashlib.sha256(f"{salt}{i}".encode()).digest() for i in range(n)]


def signed(leaves: list[bytes], key: SigningKey = LOG) -> Checkpoint:
    return Checkpoint(ORIGIN, len(leaves), root_of(leaves)).signed_by(key)


def proof(leaves: list[bytes], old: int) -> tuple[bytes, ...]:
    return tuple(
        subtree_hash(s, e, lambda a, b: root_of(leaves[a:b]))
        for s, e in consistency_ranges(old, len(leaves))
    )


@pytest.fixture
def witness(tmp_path: Path) -> Witness:
    return Witness(DPO, [LOG.public], tmp_path / "dpo" / "state.json")


def refusal(witness: Witness, request: AddCheckpoint) -> WitnessRefused:
    with pytest.raises(WitnessRefused) as refused:
        witness.add_checkpoint(request)
    return refused.value


def test_a_witness_cosigns_a_first_checkpoint_and_one_that_extends_it(witness: Witness) -> None:
    leaves = hashes(40)
    first = witness.add_checkpoint(AddCheckpoint(0, (), signed(leaves[:13])), now=1000)
    assert DPO.public.check(first, signed(leaves[:13]).body()) == 1000
    later = witness.add_checkpoint(AddCheckpoint(13, proof(leaves, 13), signed(leaves)))
    assert DPO.public.check(later, signed(leaves).body()) is not None
    assert witness.recorded_size(ORIGIN) == 40


def test_a_witness_refuses_a_fork_of_what_it_cosigned(witness: Witness) -> None:
    witness.add_checkpoint(AddCheckpoint(0, (), signed(hashes(13))))
    forked = hashes(13, "fork") + hashes(27)
    refused = refusal(witness, AddCheckpoint(13, proof(forked, 13), signed(forked)))
    assert refused.status == 422 and "not consistent" in refused.reason
    assert witness.recorded_size(ORIGIN) == 13


def test_a_witness_tells_its_size_when_the_old_size_is_not_its_own(witness: Witness) -> None:
    witness.add_checkpoint(AddCheckpoint(0, (), signed(hashes(20))))
    refused = refusal(witness, AddCheckpoint(0, (), signed(hashes(25))))
    assert (refused.status, refused.body) == (409, "20\n")


def test_a_witness_refuses_another_root_for_a_size_it_cosigned(witness: Witness) -> None:
    witness.add_checkpoint(AddCheckpoint(0, (), signed(hashes(20))))
    assert refusal(witness, AddCheckpoint(20, (), signed(hashes(20, "x")))).status == 409


def test_a_witness_refuses_unknown_logs_and_unsigned_checkpoints(witness: Witness) -> None:
    stranger = SigningKey(ORIGIN, b"S" * 32)
    other = Checkpoint("other.example/log", 3, root_of(hashes(3))).signed_by(stranger)
    assert refusal(witness, AddCheckpoint(0, (), other)).status == 404
    assert refusal(witness, AddCheckpoint(0, (), signed(hashes(3), stranger))).status == 403
    with pytest.raises(WitnessRefused) as malformed:
        AddCheckpoint.decode(b"old 01\n\nnot a note")
    assert malformed.value.status == 400


def test_the_add_checkpoint_request_round_trips_through_its_wire_form() -> None:
    leaves = hashes(40)
    request = AddCheckpoint(13, proof(leaves, 13), signed(leaves))
    assert AddCheckpoint.decode(request.encode()) == request


# -- two witnesses as processes ---------------------------------------------------------------


class Served:
    def __init__(self, process: subprocess.Popen[str], vkey: str, url: str) -> None:
        self.process, self.vkey, self.url = process, vkey, url


def _start_witness(state: Path, name: str, log_vkey: str) -> Served:
    process = subprocess.Popen(
        [sys.executable, "-m", "cli.main", "ledger", "witness", "serve", "--state", str(state),
         "--name", name, "--log", log_vkey, "--port", "0"],
        stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stderr is not None
    line = process.stderr.readline()
    found = re.match(r"witness (\S+) on (http://\S+)", line)
    if found is None:
        process.kill()
        raise AssertionError(f"the witness did not start: {line}{process.stderr.read()}")
    return Served(process, found.group(1), found.group(2))


@pytest.fixture
def two_witnesses(tmp_path: Path, database: Database) -> Iterator[list[Served]]:
    log_vkey = database.ledger.log_key.vkey  # type: ignore[union-attr]
    served = [
        _start_witness(tmp_path / "dpo", "dpo.example.org/w1", log_vkey),
        _start_witness(tmp_path / "oversight", "oversight.example.org/w", log_vkey),
    ]
    yield served
    for witness in served:
        witness.process.terminate()
        witness.process.wait(timeout=10)


def _witnessed_ledger(database: Database, served: list[Served], published: Path) -> Ledger:
    endpoints = [WitnessEndpoint.parse(f"{w.vkey} {w.url}") for w in served]
    return Ledger(
        database.app.recorder.ledger_store, "lfr-ledger", LOG_KEY, published_dir=published,
        witnesses=endpoints, quorum=2,
    )  # fmt: skip


def test_two_witness_processes_cosign_the_log_and_refuse_a_forked_log(
    database: Database, two_witnesses: list[Served], tmp_path: Path
) -> None:
    ledger = _witnessed_ledger(database, two_witnesses, tmp_path / "published")
    first = ledger.checkpoint()
    assert {c.witness for c in first.cosignatures(ledger.witnesses)} == {
        "dpo.example.org/w1", "oversight.example.org/w"
    }  # fmt: skip
    snapshot = _snapshot(database)
    for i in range(3):
        database.app.write(f"later note {i}")
    grown = ledger.checkpoint()
    assert grown.tree_size == 18 and len(grown.cosignatures(ledger.witnesses)) == 2
    assert ledger.verify().ok, ledger.verify().summary()

    # The store is rolled back to 15 entries and extended differently; the published files
    # are out of its reach, so the forked log signs its own checkpoint of 20 entries.
    _restore(database, snapshot)
    for i in range(5):
        database.app.write(f"forged note {i}")
    forked = _witnessed_ledger(database, two_witnesses, tmp_path / "elsewhere")
    fork = forked.checkpoint()
    assert fork.tree_size == 20 and fork.cosignatures(forked.witnesses) == []
    assert len(forked.witness_errors) == 2
    # Even with a consistency proof computed in the forked tree, both witnesses refuse.
    leaves = forked.store.leaf_hash_range(0, 20)
    request = AddCheckpoint(18, proof(leaves, 18), fork).encode()
    for witness in two_witnesses:
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(witness.url + "/add-checkpoint", data=request, timeout=10)
        assert refused.value.code == 422
    report = forked.verify()
    assert not report.ok and "witnessed by 0 of the 2 witnesses required" in report.summary()
