"""The demo desk several desk tests read: loaded once per session on each engine."""

from __future__ import annotations

import os
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from helpdesk_tui.desk.demo import generate_demo
from helpdesk_tui.storage.database import Database
from tests.pg_cluster import PgCluster

DEMO_NOW = datetime(2025, 3, 14, 15, 9, 26, tzinfo=UTC)
"""The "now" of ``demo_db``'s desk (its tickets' times follow it)."""


def on_sqlite_only(covered_on_postgres_by: str) -> pytest.MarkDecorator:
    """For a test of a rule the desk computes in Python on what its SQL handed back, or
    before any SQL (wording, formatting, a value refused before it is written, arithmetic
    on values read): ``covered_on_postgres_by`` names the test that runs the same desk
    calls on PostgreSQL. A second engine would only run the same Python again (the suite's
    rule: a test runs on both engines when what it checks passes through SQL whose meaning
    can differ between them)."""
    assert "::" in covered_on_postgres_by, "name the file and the test"
    return pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)


def _load(database: Database) -> None:
    result = generate_demo(database, tickets=300, seed=1, now=DEMO_NOW)
    assert result.tickets == 300
    database.dispose()  # (a PostgreSQL template may have no connections when it is copied)


@pytest.fixture(scope="session")
def _demo_desk_sqlite(_migrated_sqlite: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo desk (300 tickets, seed 1, ``DEMO_NOW``) loaded once per session (per xdist
    worker) on SQLite."""
    path = tmp_path_factory.mktemp("demo-desk") / "helpdesk.db"
    shutil.copy(_migrated_sqlite, path)
    _load(Database(f"sqlite:///{path}"))
    assert not path.with_name(path.name + "-wal").exists(), "the copy would miss the WAL"
    return path


@pytest.fixture(scope="session")
def _demo_desk_postgres(pg_cluster: PgCluster, _migrated_postgres: str) -> str:
    """The same on PostgreSQL, as a template database."""
    name = f"demo_desk_{os.getpid()}"
    _load(Database(pg_cluster.create_database(name, template=_migrated_postgres)))
    return name


@pytest.fixture
def demo_db(db: Database) -> Database:
    """``db`` holding the demo desk of 300 tickets, seed 1, made at ``DEMO_NOW``: a copy of
    the one loaded for the session on its engine, made by ``db_url`` (``STARTS_DEMO_DB``) as
    it copies any template, ahead of the test on PostgreSQL, where this fixture dropped the
    migrated copy and copied the demo in while the test waited. Eight tests of test_demo.py
    and test_demo_library.py each loaded the same desk anew (the demo is deterministic for a
    seed and a now: ``test_same_seed_same_desk_on_either_engine`` and
    ``STORIES_300_SEED_1`` hold it)."""
    return db
