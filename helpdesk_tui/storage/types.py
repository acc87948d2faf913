"""Column types that behave the same on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator, UserDefinedType


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes in and out, also on SQLite (which stores no zone).

    A naive value is refused rather than guessed at: it is always a bug upstream.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is UTC:  # the common case (``utcnow``), without the conversion
            return value.replace(tzinfo=None) if dialect.name == "sqlite" else value
        if value.tzinfo is None:
            raise ValueError(f"naive datetime {value!r} given; use an aware UTC datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class IdList:
    """Ids sent to PostgreSQL as one ``integer[]`` parameter (``IdArray``), written out as
    text once, however many statements send them.

    psycopg writes a list parameter out element by element, each checked for quoting:
    ≈ 0.5 ms of CPU for 800 ids, in each statement that holds it. A search in a view of
    few tickets sends the view's ids in each of its tiers' statements (four as a rule):
    at 100k tickets one agent's open ones are ≈ 800, at 1k a handful, so that cost was the
    part of the search that grew with the desk. The text is made here, once; psycopg's
    dumper for this class (``storage.database``, registered on each PostgreSQL
    connection) hands it over as it is."""

    __slots__ = ("ids", "text")

    def __init__(self, ids: list[int]) -> None:
        self.ids = ids
        self.text = ("{" + ",".join(map(str, ids)) + "}").encode()


class IdArray(UserDefinedType[IdList]):
    """An ``integer[]`` bind parameter whose value is an :class:`IdList` (PostgreSQL)."""

    cache_ok = True
    render_bind_cast = True

    def get_col_spec(self, **_kw: Any) -> str:
        return "INTEGER[]"

    def bind_processor(self, dialect: Dialect) -> None:
        return None  # (psycopg's dumper for ``IdList`` writes it)
