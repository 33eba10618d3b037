"""The database under the catalog and the run store: engine, schema and failing sessions."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy import text as sql_text
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from retrieval.catalog.tables import ADDED_COLUMNS, Base
from retrieval.errors import CatalogUnavailableError

_IN_BATCH = 500


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def batches(items: Sequence[Any], size: int = _IN_BATCH) -> Iterator[Sequence[Any]]:
    """`items` in slices short enough for one SQL IN list or one multi-row insert."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


class CatalogConnection:
    """An engine on any SQLAlchemy database, and sessions that name the database when it fails.

    The Catalog and the RunStore share the one schema; several of them may share one engine
    (`RunStore(engine=catalog.engine)`).
    """

    def __init__(self, url: str | None = None, *, engine: Engine | None = None) -> None:
        if (url is None) == (engine is None):
            raise ValueError(
                f"{type(self).__name__} takes a URL or an Engine, not both and not neither"
            )
        self.engine = engine if engine is not None else create_engine(url)  # type: ignore[arg-type]
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)  # registered once per engine

    @property
    def safe_url(self) -> str:
        """The database URL with its password masked: fit for messages and logs."""
        return self.engine.url.render_as_string(hide_password=True)

    def _unavailable(self, error: OperationalError) -> CatalogUnavailableError:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else type(error).__name__
        return CatalogUnavailableError(
            f"cannot use the catalog database at {self.safe_url}: {reason}. "
            "Check CARDIORAG_SQL_URL and that the database server is running"
        )

    def create_schema(self) -> None:
        """Create missing tables (idempotent)."""
        try:
            Base.metadata.create_all(self.engine)
            self._add_missing_columns()
        except OperationalError as err:
            raise self._unavailable(err) from err

    def _add_missing_columns(self) -> None:
        """Add the columns newer than a catalog (part, ocr, ocr_pages), with their defaults."""
        inspector = inspect(self.engine)
        with self.engine.begin() as connection:
            for table, columns in ADDED_COLUMNS.items():
                present = {column["name"] for column in inspector.get_columns(table)}
                for name, definition in columns.items():
                    if name not in present:
                        alter = f"ALTER TABLE {table} ADD COLUMN {name} {definition}"
                        connection.execute(sql_text(alter))

    def close(self) -> None:
        """Release pooled connections."""
        self.engine.dispose()

    @contextmanager
    def _session(self) -> Iterator[Session]:
        try:
            with Session(self.engine) as session, session.begin():
                yield session
        except OperationalError as err:
            raise self._unavailable(err) from err
