"""README.md's "A team server" section: its install and PostgreSQL lines, run as written."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import psycopg
import pytest

from helpdesk_tui.config import Settings
from tests.cli.conftest import Invoke
from tests.pg_cluster import PgCluster

README = Path(__file__).parents[2] / "README.md"


def _section() -> str:
    readme = README.read_text(encoding="utf-8")
    return readme.split("\n## A team server\n", 1)[1].split("\n## ", 1)[0]


def _blocks(kind: str) -> list[str]:
    return re.findall(rf"```{kind}\n(.*?)```", _section(), re.S)


def _site_url() -> str:
    [url] = [
        found
        for block in _blocks("toml")
        for found in re.findall(r'^database_url = "(postgresql[^"]+)"', block, re.M)
    ]
    return url


def test_the_shared_install_is_made_with_a_python_every_agent_can_run() -> None:
    """Found on a team's first week: the venv was made with a Python under root's home (the
    first python3 on root's PATH), which agents cannot enter: the install names the
    system's Python, and shows an agent running it."""
    [install] = [block for block in _blocks("sh") if "/opt/helpdesk-tui" in block]
    assert install.startswith("/usr/bin/python3 -m venv /opt/helpdesk-tui ")
    assert "runuser -u alice -- helpdesk --version" in install


@pytest.mark.postgres
def test_the_postgresql_role_and_database_make_a_desk(
    pg_cluster: PgCluster, invoke: Invoke, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The section said to put a database_url in the site file, but not how to make the
    role and the database it names: its SQL lines, run as written (by the server's admin),
    give a role that owns a database where ``helpdesk init`` makes a desk, with the
    extension the contact search uses; the createuser/createdb lines make the same two."""
    [sql] = _blocks("sql")
    [shell] = [block for block in _blocks("sh") if "createdb" in block]
    role, database = "helpdesk", "helpdesk"
    assert f"createuser --pwprompt {role}" in shell
    assert f"createdb --owner {role} {database}" in shell
    suffix = uuid.uuid4().hex[:8]  # (one cluster per test process: a name of its own)
    with psycopg.connect(pg_cluster.url().replace("+psycopg", ""), autocommit=True) as admin:
        for statement in filter(None, (line.strip() for line in sql.splitlines())):
            admin.execute(re.sub(rf"\b{role}\b", f"{role}_{suffix}", statement))
        contrib = admin.execute(
            "SELECT 1 FROM pg_available_extensions WHERE name = 'pg_trgm'"
        ).fetchone()
    url = _site_url()
    assert Settings(database_url=url).database_url == url
    local = url.replace("@dbhost/", f"@127.0.0.1:{pg_cluster.port}/")
    local = re.sub(rf"\b{role}\b", f"{role}_{suffix}", local)
    monkeypatch.setenv("HELPDESK_DATABASE_URL", local)
    result = invoke("init")
    assert result.exit_code == 0, result.stderr
    assert "created the helpdesk schema" in result.stdout + result.stderr
    with psycopg.connect(local.replace("+psycopg", "")) as conn:
        found = conn.execute("SELECT 1 FROM pg_extension WHERE extname = 'pg_trgm'").fetchone()
    assert (found is not None) == (contrib is not None), "the owner installs pg_trgm"
