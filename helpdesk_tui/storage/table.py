"""The base class of the desk's tables (the ``storage/*models.py`` modules)."""

from __future__ import annotations

from sqlmodel import SQLModel
from sqlmodel.main import SQLModelConfig


class Table(SQLModel):
    """A table's class: SQLModel with its pydantic validator built only if ever used.

    Rows are made and read through SQLAlchemy (a table model's constructor does not
    validate), so the validator each class would build as it is made is work no command
    needs: an eighth of the cost of making the tables' classes, a write verb's start.
    """

    model_config = SQLModelConfig(defer_build=True)
