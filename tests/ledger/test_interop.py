"""Interoperability with code nobody here wrote: Go's golang.org/x/mod/sumdb/note and tlog
(Debian's golang-go and golang-golang-x-mod-dev, built offline) open the log's checkpoints,
recompute its roots and check its inclusion and consistency proofs, and reject altered ones.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from ledger.checkpoint import Checkpoint
from ledger.leaf import leaf_bytes
from tests.ledger.conftest import Database

HERE = Path(__file__).parent / "interop"
GOPATH = Path("/usr/share/gocode")


@pytest.fixture(scope="module")
def go_verifier(tmp_path_factory: pytest.TempPathFactory) -> Path:
    go = shutil.which("go")
    if go is None or not (GOPATH / "src/golang.org/x/mod/sumdb/tlog").is_dir():
        if os.environ.get("CI"):
            pytest.fail("CI must install golang-go and golang-golang-x-mod-dev (.ci/golang)")
        pytest.skip("Go and golang.org/x/mod are not installed (.ci/golang installs them)")
    out = tmp_path_factory.mktemp("go")
    env = {
        **os.environ, "GO111MODULE": "off", "GOPATH": str(GOPATH), "GOFLAGS": "",
        "GOPROXY": "off", "GOCACHE": str(out / "cache"), "CGO_ENABLED": "0", "GOENV": "off",
        "HOME": os.environ.get("HOME") or str(out),
    }  # fmt: skip
    subprocess.run(
        [go, "build", "-o", str(out / "interop"), str(HERE / "main.go")],
        env=env, check=True, capture_output=True, timeout=300,
    )  # fmt: skip
    return out / "interop"


def _published(db: Database, folder: Path) -> dict[str, list[str]]:
    """The log's vkey, entries, checkpoints and every proof between them, as files."""
    ledger = db.ledger
    sizes = []
    for more in (0, 5, 13):
        for i in range(more):
            db.app.write(f"interop note {i}")
        sizes.append(ledger.checkpoint().tree_size)
    folder.mkdir()
    (folder / "log.vkey").write_text(ledger.log_key.vkey + "\n")  # type: ignore[union-attr]
    entries = [leaf_bytes(ledger.stored_row(e)).hex() for e in ledger.store.leaf_records()]
    (folder / "entries").write_text("\n".join(entries) + "\n")
    (folder / "checkpoints").mkdir()
    for size in sizes:
        (folder / "checkpoints" / str(size)).write_text(ledger.checkpoint_of_size(size).note())
    inclusion = []
    for size in sizes:
        for entry in ledger.store.leaf_records():
            if entry.position < size:
                proof, _ = ledger.prove_inclusion(entry.notification_id, size)
                inclusion.append(f"{proof.index} {size} {','.join(p.hex() for p in proof.path)}")
    consistency = [
        f"{old} {new} {','.join(p.hex() for p in ledger.prove_consistency(old, new).path)}"
        for old in sizes
        for new in sizes
        if old < new
    ]
    (folder / "inclusion").write_text("\n".join(inclusion) + "\n")
    (folder / "consistency").write_text("\n".join(consistency) + "\n")
    return {"sizes": [str(s) for s in sizes], "inclusion": inclusion, "consistency": consistency}


def _run(verifier: Path, folder: Path) -> list[str]:
    done = subprocess.run([str(verifier), str(folder)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout.splitlines()


def test_go_reference_code_accepts_the_logs_checkpoints_and_proofs_and_rejects_altered_ones(
    database: Database, go_verifier: Path, tmp_path: Path
) -> None:
    folder = tmp_path / "log"
    published = _published(database, folder)
    lines = _run(go_verifier, folder)
    expected = len(published["sizes"]) + len(published["inclusion"]) + len(published["consistency"])
    assert len(lines) == expected and all(line.endswith(" ok") for line in lines), lines
    assert len(published["inclusion"]) == 15 + 20 + 33

    # Alter one signature, sign a wrong root, alter one inclusion and one consistency path.
    first, second, third = published["sizes"]
    note = (folder / "checkpoints" / first).read_text()
    body, _, signature = note.rpartition(" ")
    (folder / "checkpoints" / first).write_text(f"{body} {_flip(signature)}")
    wrong_root = Checkpoint(database.ledger.origin, int(second), bytes(32))
    assert database.ledger.key is not None
    (folder / "checkpoints" / second).write_text(wrong_root.signed_by(database.ledger.key).note())
    index, size, path = published["inclusion"][40].split(" ")
    (folder / "inclusion").write_text(f"{index} {size} {_flip(path)}\n")
    old, new, steps = published["consistency"][-1].split(" ")
    (folder / "consistency").write_text(f"{old} {new} {_flip(steps)}\n")
    verdicts = {
        line.split(" reject")[0].removesuffix(" ok"): line for line in _run(go_verifier, folder)
    }
    assert "reject" in verdicts[f"checkpoint {first}"], verdicts
    assert "root differs" in verdicts[f"checkpoint {second}"], verdicts
    assert verdicts[f"checkpoint {third}"].endswith(" ok"), verdicts
    assert "reject" in verdicts[f"inclusion {index} {size}"], verdicts
    assert "reject" in verdicts[f"consistency {old} {new}"], verdicts


def _flip(text: str) -> str:
    """The text with its first character changed (a flipped bit in a hash or signature)."""
    return ("b" if text[0] != "b" else "c") + text[1:]
