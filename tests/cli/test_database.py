from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import text

from helpdesk_tui.desk.actors import os_login
from helpdesk_tui.desk.opening import Plan, plan
from helpdesk_tui.storage import migrate
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.migrate import SchemaState
from tests.cli.conftest import Invoke, as_login, one_error_line


def _first_revision() -> str:
    from alembic.script import ScriptDirectory

    [base] = ScriptDirectory(str(migrate.MIGRATIONS_DIR)).get_bases()
    return base


def _state(current: set[str], heads: set[str]) -> SchemaState:
    return SchemaState(
        current=frozenset(current), heads=frozenset(heads), known=frozenset({"0001", "0002"})
    )


def test_plan_for_each_schema_state() -> None:
    latest = {"0002"}
    assert plan(_state(set(), latest), upgrade_older=False, create=True) is Plan.CREATE
    assert plan(_state(set(), latest), upgrade_older=True, create=False) is Plan.REFUSE_EMPTY
    assert plan(_state(latest, latest), upgrade_older=False, create=False) is Plan.READY
    assert plan(_state({"0001"}, latest), upgrade_older=True, create=False) is Plan.UPGRADE
    older = plan(_state({"0001"}, latest), upgrade_older=False, create=True)
    assert older is Plan.REFUSE_OLDER
    newer = plan(_state({"0009"}, latest), upgrade_older=True, create=True)
    assert newer is Plan.REFUSE_NEWER


def _at_first_revision(db_url: str) -> Database:
    db = Database(db_url)
    migrate.upgrade(db, _first_revision())
    return db


def _old_desk(url: str) -> Database:
    """A desk at the first schema revision, with this login and bob as agents."""
    db = _at_first_revision(url)
    with db.engine.begin() as conn:
        for login, role in ((os_login(), "admin"), ("bob", "agent")):
            conn.execute(
                text(
                    "INSERT INTO agent (login, name, role, skills, active, created_at) "
                    "VALUES (:login, :login, :role, '', true, CURRENT_TIMESTAMP)"
                ),
                {"login": login, "role": role},
            )
    return db


def test_older_private_sqlite_desk_is_upgraded_on_start(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'old.db'}"
    monkeypatch.setenv("HELPDESK_DATABASE_URL", url)
    db = _old_desk(url)
    assert not migrate.schema_state(db).is_latest, "needs a second migration to test upgrading"
    result = invoke("ticket", "list")
    assert result.exit_code == 0, result.stderr
    assert f"upgraded the database schema in {url} from {_first_revision()}" in result.stderr
    assert migrate.schema_state(db).is_latest
    db.dispose()


def test_older_shared_sqlite_desk_waits_for_an_admin(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A group-writable desk is a team's: a newer install never upgrades it under them."""
    path = tmp_path / "shared.db"
    url = f"sqlite:///{path}"
    monkeypatch.setenv("HELPDESK_DATABASE_URL", url)
    db = _old_desk(url)
    path.chmod(0o660)
    result = invoke("ticket", "list")
    assert result.exit_code == 1
    assert one_error_line(result.stderr).endswith("; an admin must run: helpdesk db upgrade")
    assert not migrate.schema_state(db).is_latest
    for verb in (("db", "upgrade"), ("init",)):
        refused = as_login("bob")(*verb)
        assert one_error_line(refused.stderr).startswith("error: only an admin may upgrade")
    outsider = as_login("mallory")("init")
    assert one_error_line(outsider.stderr).startswith("error: mallory is not an agent")
    assert not migrate.schema_state(db).is_latest
    upgraded = invoke("db", "upgrade")
    assert upgraded.exit_code == 0, upgraded.stderr
    assert migrate.schema_state(db).is_latest
    assert invoke("ticket", "list").exit_code == 0
    db.dispose()


@pytest.mark.postgres
def test_older_schema_on_postgresql_names_the_command(
    invoke: Invoke, pg_cluster: object, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.pg_cluster import PgCluster

    assert isinstance(pg_cluster, PgCluster)
    url = pg_cluster.create_database("cli_older_schema")
    monkeypatch.setenv("HELPDESK_DATABASE_URL", url)
    db = _old_desk(url)
    heads = ", ".join(sorted(migrate.schema_state(db).heads))
    result = invoke("ticket", "list")
    assert result.exit_code == 1
    assert one_error_line(result.stderr) == (
        f"error: database schema is at {_first_revision()}, this helpdesk needs {heads}; "
        "an admin must run: helpdesk db upgrade"
    )
    assert invoke("db", "upgrade").exit_code == 0
    assert migrate.schema_state(db).is_latest
    assert invoke("ticket", "list").exit_code == 0
    db.dispose()


def test_newer_schema_is_refused(invoke: Invoke, use_db: str) -> None:
    db = Database(use_db)
    assert migrate.schema_state(db).is_latest  # (use_db's copy: upgrading it did nothing)
    with db.engine.begin() as conn:
        conn.execute(text("DELETE FROM alembic_version"))
        conn.execute(text("INSERT INTO alembic_version (version_num) VALUES ('9999_future')"))
    db.dispose()
    result = invoke("ticket", "list")
    assert result.exit_code == 1
    message = one_error_line(result.stderr)
    assert "database schema is at 9999_future, newer than this helpdesk" in message
    assert invoke("db", "upgrade").exit_code == 1


@pytest.mark.postgres
def test_unreachable_postgresql_is_one_line_without_the_password(
    invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.ports import closed_port

    port = closed_port()  # (nothing listens there while this process runs)
    monkeypatch.setenv(
        "HELPDESK_DATABASE_URL", f"postgresql+psycopg://helpdesk:s3cret@127.0.0.1:{port}/desk"
    )
    result = invoke("ticket", "list")
    assert result.exit_code == 1
    message = one_error_line(result.stderr)
    assert message.startswith(
        f"error: cannot open database postgresql+psycopg://helpdesk:***@127.0.0.1:{port}/desk: "
    )
    assert "s3cret" not in result.stderr


def test_unusable_sqlite_path_is_one_line(
    invoke: Invoke, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "a-file").write_text("")
    monkeypatch.setenv("HELPDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'a-file' / 'x.db'}")
    result = invoke("init")
    assert result.exit_code == 1
    assert one_error_line(result.stderr) == (
        f"error: cannot use {tmp_path / 'a-file' / 'x.db'}: {tmp_path / 'a-file'} "
        "is not a directory"
    )


def test_init_is_idempotent(invoke: Invoke, no_desk_yet: str) -> None:
    use_db = no_desk_yet
    first = invoke("init")
    assert first.exit_code == 0, first.stderr
    assert "created the helpdesk schema" in first.stdout
    assert f"made {os_login()} the first admin" in first.stdout
    second = invoke("init")
    assert second.exit_code == 0
    assert second.stdout.splitlines() == [
        f"helpdesk ready at {_hidden(use_db)}; {os_login()} is an agent with role admin"
    ]


def _hidden(url: str) -> str:
    from helpdesk_tui.cli.errors import safe_url

    return safe_url(url)


def test_db_status_and_upgrade(invoke: Invoke, no_desk_yet: str) -> None:
    if no_desk_yet.startswith("sqlite"):  # no file: nothing there
        assert "create one with `helpdesk init`" in invoke("db", "status").stderr
    else:  # an empty PostgreSQL database
        status = json.loads(invoke("db", "status", "--json").stdout)
        assert (status["current"], status["state"]) == ([], "create")
        last = invoke("db", "status").stdout.splitlines()[-1]
        assert last == "state:    empty; run: helpdesk init"
    assert invoke("ticket", "list").exit_code == 1
    assert invoke("init").exit_code == 0
    status = json.loads(invoke("db", "status", "--json").stdout)
    assert status["current"] == status["needed"] != []
    assert status["state"] == "ready"
    upgrade = invoke("db", "upgrade")
    assert upgrade.exit_code == 0 and "up to date" in upgrade.stdout


def test_db_upgrade_does_not_create_a_desk(invoke: Invoke, no_desk_yet: str) -> None:
    result = invoke("db", "upgrade")
    assert result.exit_code == 1
    assert one_error_line(result.stderr).endswith("; create one with `helpdesk init`")
    db = Database(no_desk_yet)
    try:
        assert migrate.schema_state(db).is_empty
    finally:
        db.dispose()
