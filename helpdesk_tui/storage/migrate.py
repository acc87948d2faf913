"""Schema migrations: bring a database to the latest revision, or tell how far behind it is."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from helpdesk_tui.storage.database import Database

MIGRATIONS_DIR = Path(__file__).parent / "migrations"


@dataclass(frozen=True)
class SchemaState:
    current: frozenset[str]
    heads: frozenset[str]

    @property
    def is_empty(self) -> bool:
        return not self.current

    @property
    def is_latest(self) -> bool:
        return self.current == self.heads


def _config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def schema_state(db: Database) -> SchemaState:
    heads = frozenset(ScriptDirectory.from_config(_config()).get_heads())
    with db.engine.connect() as conn:
        current = frozenset(MigrationContext.configure(conn).get_current_heads())
    return SchemaState(current=current, heads=heads)


def upgrade(db: Database, revision: str = "heads") -> None:
    """Migrate to ``revision`` (all heads by default) in one transaction per step."""
    config = _config()
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
