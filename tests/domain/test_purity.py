"""domain/ is pure: the standard library and eventsourcing only (no I/O libraries)."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

DOMAIN = Path(__file__).resolve().parents[2] / "domain"
ALLOWED = set(sys.stdlib_module_names) | {"eventsourcing", "domain", "__future__"}


def imported_roots(source: str) -> set[str]:
    roots = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
    return roots


def test_domain_imports_only_the_standard_library_and_eventsourcing() -> None:
    files = sorted(DOMAIN.rglob("*.py"))
    assert files, "domain/ has no modules"
    offenders = {f.name: imported_roots(f.read_text()) - ALLOWED for f in files}
    assert not {name: bad for name, bad in offenders.items() if bad}


def test_the_purity_check_catches_a_forbidden_import() -> None:
    assert imported_roots("import psycopg\nfrom numpy import array") - ALLOWED == {
        "psycopg",
        "numpy",
    }
