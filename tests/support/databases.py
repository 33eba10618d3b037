"""Throwaway catalog databases: a SQLite file, or a fresh PostgreSQL database for each use.

PostgreSQL runs when TEST_POSTGRES_URL names a server and a role that may create databases,
e.g. `postgresql+psycopg://cardiorag:cardiorag@127.0.0.1/postgres` (`.ci/run` starts one).
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlalchemy import Engine

POSTGRES_ADMIN_URL = os.environ.get("TEST_POSTGRES_URL", "")
# The backends catalog tests run on here: PostgreSQL only where a server is named.
SQL_BACKENDS = ("sqlite", "postgresql") if POSTGRES_ADMIN_URL else ("sqlite",)
# The suites whose tests run on every backend when they use a catalog (`sql_url`).
CATALOG_SUITES = ("tests/retrieval", "tests/ingest")
NO_POSTGRES = (
    "TEST_POSTGRES_URL is unset: the catalog tests run on SQLite only (set it to a server "
    "where the role may create databases, as .ci/run does, to run them on PostgreSQL too)"
)


@contextmanager
def throwaway_sql_url(
    sqlite_file: Path, backend: str = "sqlite", *, template: str | None = None
) -> Iterator[str]:
    """A new catalog database of `backend`: empty, or a copy of `template` (same backend).

    SQLite is the file `sqlite_file`; PostgreSQL is a database of its own, dropped afterwards.
    """
    if backend == "sqlite":
        if template is not None:
            shutil.copyfile(template.removeprefix("sqlite:///"), sqlite_file)
        yield f"sqlite:///{sqlite_file}"
        return
    from sqlalchemy import create_engine, make_url, text

    admin = create_engine(POSTGRES_ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"cardiorag_test_{uuid.uuid4().hex[:12]}"
    copied = f' TEMPLATE "{make_url(template).database}"' if template is not None else ""
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"{copied}'))
    try:
        yield make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        drop_database(admin, name)
        admin.dispose()


def drop_database(admin: Engine, name: str) -> None:
    """Drop a test database even while an autovacuum worker is in it.

    WITH (FORCE) ends the test's leftover sessions, but PostgreSQL before 16 refuses to end an
    autovacuum worker for a role without pg_signal_backend (InsufficientPrivilege); a plain DROP
    cancels autovacuum itself, so it is the fallback.
    """
    from sqlalchemy import text
    from sqlalchemy.exc import ProgrammingError

    with admin.connect() as connection:
        try:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        except ProgrammingError:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
