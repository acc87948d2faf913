"""Schema migrations: bring a database to the latest revision, or tell how far behind it is.

Every command and the terminal UI ask how far behind a database is before using it, so that
question is answered without Alembic: the revision graph is read from the version files'
``revision`` / ``down_revision`` lines (without running them, which would import Alembic and
every migration, ≈ 0.2 s) and the database's revisions from its ``alembic_version`` table.
Alembic itself is imported only to migrate.
"""

from __future__ import annotations

import ast
import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

from sqlalchemy import inspect, text
from sqlalchemy.exc import ProgrammingError

from helpdesk_tui.storage.database import Database

if TYPE_CHECKING:
    from alembic.config import Config
    from sqlalchemy.engine import Connection

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSION_TABLE = "alembic_version"


class SchemaState(NamedTuple):
    current: frozenset[str]
    heads: frozenset[str]
    known: frozenset[str]
    """Every revision this code's migrations know."""

    @property
    def is_empty(self) -> bool:
        return not self.current

    @property
    def is_latest(self) -> bool:
        return self.current == self.heads

    @property
    def is_newer(self) -> bool:
        """The database was migrated by a newer helpdesk than this one."""
        return not self.current <= self.known


def _config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def _literal(node: ast.expr) -> frozenset[str]:
    """A ``down_revision`` value (None, a string, or a tuple/list of strings) as a set."""
    value = ast.literal_eval(node)
    if value is None:
        return frozenset()
    if isinstance(value, str):
        return frozenset({value})
    return frozenset(value)


_REVISION_LINE = re.compile(r"(?:down_)?revision\b")
"""The start of a module-level ``revision`` or ``down_revision`` statement (column 0)."""
_ONE_LINE = re.compile(
    r"((?:down_)?revision)(?:\s*:[^=#]*)?\s*=\s*(None|\"[\w.-]*\"|'[\w.-]*')\s*(?:#.*)?"
)
"""Such a statement as Alembic writes it, on one line with a plain literal: ``revision:
str = "0027"``, ``down_revision: str | None = None``. Read without parsing."""


def _assignments(source: str) -> dict[str, frozenset[str]]:
    """The module-level ``revision`` / ``down_revision`` values of a version file.

    Only those statements are read, not the whole file: parsing every migration whole was
    most of the schema check's time. One line with a plain literal (every file but a
    merge's) is read by :data:`_ONE_LINE`; any other is parsed from its first line to
    where it parses (parsing every statement was ≈ 0.8 ms of every command's start).
    """
    assigned: dict[str, frozenset[str]] = {}
    lines = source.splitlines()
    for first, line in enumerate(lines):
        if not _REVISION_LINE.match(line):
            continue
        plain = _ONE_LINE.fullmatch(line)
        if plain is not None:
            value = plain[2]
            assigned[plain[1]] = frozenset() if value == "None" else frozenset({value[1:-1]})
            continue
        for last in range(first + 1, len(lines) + 1):
            try:
                (node,) = ast.parse("\n".join(lines[first:last])).body
            except (SyntaxError, ValueError):
                continue
            if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                if node.value is not None:
                    assigned[node.target.id] = _literal(node.value)
            elif isinstance(node, ast.Assign):
                for target in node.targets:
                    if isinstance(target, ast.Name):
                        assigned[target.id] = _literal(node.value)
            break
    return assigned


@cache
def revision_graph() -> dict[str, frozenset[str]]:
    """Each revision of this code's migrations → the revisions it builds on."""
    graph: dict[str, frozenset[str]] = {}
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        assigned = _assignments(path.read_text(encoding="utf-8"))
        if "revision" not in assigned:
            continue
        (revision,) = assigned["revision"]
        graph[revision] = assigned["down_revision"]
    return graph


def schema_state(db: Database) -> SchemaState:
    graph = revision_graph()
    built_on = frozenset().union(*graph.values())
    heads = frozenset(revision for revision in graph if revision not in built_on)
    with db.read_rows(autocommit=True) as conn:
        current = _versions(conn)
    return SchemaState(current=current, heads=heads, known=frozenset(graph))


_UNDEFINED_TABLE = "42P01"
"""PostgreSQL's SQLSTATE for a table that does not exist."""


def _versions(conn: Connection) -> frozenset[str]:
    """The revisions in Alembic's version table (in the search path on PostgreSQL); none
    when there is no such table (an empty database).

    On PostgreSQL the table is read at once (in autocommit, where a failed statement
    leaves nothing to roll back) and its absence, the rare case, is the error: one round
    trip of every command's start instead of a check first (the inspector's ``has_table``
    compiled a join of the catalogs, a few milliseconds more).
    """
    if conn.dialect.name == "postgresql":
        try:
            rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
        except ProgrammingError as error:
            state = getattr(error.orig, "sqlstate", None) or getattr(error.orig, "pgcode", None)
            if state != _UNDEFINED_TABLE:
                raise
            return frozenset()
    elif inspect(conn).has_table(VERSION_TABLE):
        rows = conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}")).all()
    else:
        return frozenset()
    return frozenset(row[0] for row in rows)


def upgrade(db: Database, revision: str = "heads") -> None:
    """Migrate to ``revision`` (all heads by default) in one transaction per step."""
    from alembic import command

    config = _config()
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
