"""The base class of the desk's tables (the ``storage/*models.py`` modules)."""

from __future__ import annotations

from sqlalchemy import Index, text
from sqlmodel import SQLModel
from sqlmodel.main import SQLModelConfig


class Table(SQLModel):
    """A table's class: SQLModel with its pydantic validator built only if ever used.

    Rows are made and read through SQLAlchemy (a table model's constructor does not
    validate), so the validator each class would build as it is made is work no command
    needs: an eighth of the cost of making the tables' classes, a write verb's start.
    """

    model_config = SQLModelConfig(defer_build=True)


def reference_index(name: str, column: str) -> Index:
    """An index on ``column``, a reference to rows the desk deletes (tickets, messages,
    raw mail), holding only the rows that point somewhere.

    Deleting a row makes the database find every row that points at it (to set the
    reference to NULL, cascade or refuse): without an index led by the reference, that is a
    read of the whole referencing table for each row deleted. Deleting one ticket of a
    100k-ticket desk read all 100k tickets for ``merged_into_id`` (≈ 100 ms; ≈ 1 s at 1M,
    the desk's write lock held meanwhile). Partial: rows whose reference is NULL (most
    tickets were never merged, demo messages have no raw mail) are not in it, and cost
    nothing when written; ``column = value`` implies ``column IS NOT NULL``, so both
    engines use it for those lookups."""
    condition = text(f"{column} IS NOT NULL")
    return Index(name, column, sqlite_where=condition, postgresql_where=condition)
