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
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def schema_state(db: Database) -> SchemaState:
    scripts = ScriptDirectory.from_config(_config())
    known = frozenset(script.revision for script in scripts.walk_revisions())
    with db.engine.connect() as conn:
        current = frozenset(MigrationContext.configure(conn).get_current_heads())
    return SchemaState(current=current, heads=frozenset(scripts.get_heads()), known=known)


def upgrade(db: Database, revision: str = "heads") -> None:
    """Migrate to ``revision`` (all heads by default) in one transaction per step."""
    config = _config()
    with db.engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)
