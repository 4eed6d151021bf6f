"""What the command line checks before a command runs, and how any failure becomes one line.

- The store: an explicitly configured SQLite path whose folder does not exist is refused
  (only `demo` makes one; the default under the data directory is made on first run), a
  command that only reads refuses a database file that is not there (so a mistyped path
  does not create an empty store and report it verified), and a file that is not a SQLite
  database is refused before anything opens it.
- Failures: the database unreachable, a file that cannot be written, a pipe closed by the
  reader, anything unforeseen: one line, never a traceback, never a password.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

from services.errors import UserError
from services.outages import database_unavailable

# Commands that may create a store where none is.
CREATES_STORES = {("demo",)}
# Commands that do not open the store at all.
NO_STORE = {("ledger", "witness", "serve"), ("ledger", "witness", "vkey"), ("token", "issue")}
# Commands that only read a store: a missing database is a mistake, not a first run.
READS_ONLY = {
    ("ledger", "verify"),
    ("ledger", "prove"),
    ("ledger", "consistency"),
    ("ledger", "export"),
    ("ledger", "key"),
    ("ledger", "vkey"),
    ("register", "export"),
    ("report", "write"),
    ("retention", "report"),
}
SQLITE_HEADER = b"SQLite format 3\x00"
_PASSWORD_IN_URL = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]*):[^@\s]*@", re.IGNORECASE)


def check_store(settings: Any, command: tuple[str, ...], args: Any = None) -> None:
    """Refuses a SQLite store the command must not create or cannot read (see above)."""
    location = settings.store
    if location.kind != "sqlite" or command in CREATES_STORES | NO_STORE:
        return
    path = Path(location.parts["path"])
    if settings.database_url and not path.parent.is_dir():
        raise UserError(f"no folder {path.parent} for the SQLite database {path}")
    verifies_an_export = command == ("ledger", "verify") and getattr(args, "export", None)
    if command in READS_ONLY and not verifies_an_export and not path.exists():
        raise UserError(f"no SQLite database at {path}")
    if path.is_file() and path.stat().st_size > 0:
        with path.open("rb") as file:
            if file.read(len(SQLITE_HEADER)) != SQLITE_HEADER:
                raise UserError(f"{path} is not a SQLite database")


def redact(text: str) -> str:
    """The text without any password written in a URL."""
    return _PASSWORD_IN_URL.sub(r"\1:***@", text)


def one_line(error: BaseException, settings: Any = None) -> str:
    """A failure the command did not foresee, as one line without secrets."""
    store = str(settings.store) if settings is not None else "the configured database"
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    if database_unavailable(error):
        return redact(f"the database {store} is not available: {first}")
    if isinstance(error, sqlite3.DatabaseError):
        return redact(f"the SQLite store {store} cannot be used: {first}")
    if isinstance(error, OSError) and error.filename is not None:
        return redact(f"{error.filename}: {error.strerror or first}")
    return redact(f"{type(error).__name__}: {first} (LFR_DEBUG=1 shows where)")
