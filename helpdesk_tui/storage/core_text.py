"""A write's Core statements as SQL text, made once per process.

SQLAlchemy compiles each Core statement the first time a process runs it: ≈ 0.5-1.5 ms for
an ``INSERT`` or ``UPDATE`` of a dozen columns, and every CLI command is a new process, so
a ticket write compiled its few statements anew each time. The same statement as text
costs a fraction of that. Names are quoted as the dialect quotes them (``references``);
each value is bound with its column's type (``UTCDateTime`` stores a datetime as each
engine keeps it), as the Core statement binds it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any

from sqlalchemy import BindParameter, Column, Table, TextClause, TextualSelect, bindparam, text
from sqlalchemy.engine import Dialect


def column_names(columns: Iterable[Column[Any]]) -> str:
    """``table.column, …``: a text ``SELECT``'s list of these columns, each named with its
    table (typed afterwards by ``.columns(*columns)``)."""
    return ", ".join(f"{column.table.name}.{column.name}" for column in columns)


@cache
def insert_returning_id(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> TextClause:
    """``INSERT INTO table (columns) VALUES (:columns) RETURNING id``."""
    quote = dialect.identifier_preparer.quote
    return text(
        f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, columns))}) "
        f"VALUES ({', '.join(':' + name for name in columns)}) RETURNING id"
    ).bindparams(*_typed(table, columns))


@cache
def insert_returning(
    dialect: Dialect, table: Table, columns: tuple[str, ...], returning: tuple[str, ...]
) -> TextualSelect:
    """``INSERT INTO table (columns) VALUES (:columns) RETURNING returning``, its rows read
    with the returned columns' types."""
    quote = dialect.identifier_preparer.quote
    return (
        text(
            f"INSERT INTO {quote(table.name)} ({', '.join(map(quote, columns))}) "
            f"VALUES ({', '.join(':' + name for name in columns)}) "
            f"RETURNING {', '.join(map(quote, returning))}"
        )
        .bindparams(*_typed(table, columns))
        .columns(*(table.c[name] for name in returning))
    )


@cache
def update_by_id(dialect: Dialect, table: Table, columns: tuple[str, ...]) -> TextClause:
    """``UPDATE table SET column = :column, … WHERE id = :row_id``."""
    quote = dialect.identifier_preparer.quote
    assignments = ", ".join(f"{quote(name)} = :{name}" for name in columns)
    return text(f"UPDATE {quote(table.name)} SET {assignments} WHERE id = :row_id").bindparams(
        *_typed(table, columns)
    )


def _typed(table: Table, columns: Sequence[str]) -> list[BindParameter[object]]:
    """The columns' bound parameters, typed; refused for a table of which a column not
    given has a Python-side ``default`` or ``onupdate``, which the Core statement would
    have added and the text would silently leave out."""
    given = set(columns)
    added = [
        column.name
        for column in table.c
        if column.name not in given and (column.default is not None or column.onupdate is not None)
    ]
    if added:
        raise ValueError(f"{table.name}: {', '.join(added)} would be left out of the SQL text")
    return [bindparam(name, type_=table.c[name].type) for name in columns]
