"""Whether an error is the database being out of reach (down, restarting, the pool empty),
as opposed to a defect: services wait or answer 503 for the first, never for the second."""

from __future__ import annotations

import sqlite3


def database_unavailable(error: BaseException) -> bool:
    """True when `error` (or what caused it: the library wraps the driver's errors) says
    the database cannot be reached."""
    import psycopg
    from eventsourcing.persistence import InterfaceError, OperationalError
    from psycopg_pool import PoolTimeout

    kinds = (psycopg.OperationalError, PoolTimeout, OperationalError, InterfaceError)
    seen: BaseException | None = error
    while seen is not None:
        if isinstance(seen, kinds) and not isinstance(seen, sqlite3.Error):
            return True
        seen = seen.__cause__ or seen.__context__
        if seen is error:
            break
    return False


def first_line(error: BaseException) -> str:
    """The error's message, first line only (a driver's messages run to several)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
