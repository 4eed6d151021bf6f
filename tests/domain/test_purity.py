"""domain/ is pure: the standard library and `eventsourcing.domain` only (no persistence,
no application, no I/O library). `lint-imports` checks the layers; this checks the outside."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "domain"
ALLOWED = set(sys.stdlib_module_names) | {"domain", "__future__", "eventsourcing.domain"}


def imported(source: str) -> set[str]:
    """The modules a source imports: by their top-level name, except `eventsourcing`, which
    is named down to its module (only `eventsourcing.domain` is allowed)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return {n if n.startswith("eventsourcing.") else n.split(".")[0] for n in names}


def test_domain_imports_only_the_standard_library_and_the_eventsourcing_domain() -> None:
    files = sorted(DOMAIN.rglob("*.py"))
    assert files, "domain/ has no modules"
    offenders = {f.name: imported(f.read_text()) - ALLOWED for f in files}
    assert not {name: bad for name, bad in offenders.items() if bad}


def test_the_purity_check_catches_an_io_library_and_the_application_layer() -> None:
    source = (
        "import psycopg\nfrom numpy import array\nimport eventsourcing\n"
        "from eventsourcing.application import Application\n"
        "from eventsourcing.persistence import Transcoding\n"
        "from eventsourcing.domain import Aggregate\nfrom domain.values import Role\n"
    )
    assert imported(source) - ALLOWED == {
        "psycopg",
        "numpy",
        "eventsourcing",
        "eventsourcing.application",
        "eventsourcing.persistence",
    }
