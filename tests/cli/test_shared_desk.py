"""A team desk on one server, as README.md's "A team server" section sets it up, step by step.

Real OS accounts: two agents in the desk's group and an outsider, each running the real
``helpdesk`` command line with ``runuser``: root's as the script itself, the agents' and
the outsider's as the script's run in processes their own interpreter forks
(``PortablePython.forked``: the same uid, groups, environment and umask; some twenty
interpreter starts were nearly all of this test's CPU). Needs root (CI has it); elsewhere
it skips, except under CI, where it fails.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path
from subprocess import CompletedProcess

import pytest

from tests.conftest import need
from tests.os_users import Accounts, PortablePython, accounts, can_make_accounts

pytestmark = pytest.mark.slow  # throw-away OS users, the real helpdesk run as each


@pytest.fixture
def server() -> Iterator[tuple[Accounts, PortablePython]]:
    missing = can_make_accounts()
    if missing:
        need(missing)
    # Not under tmp_path: pytest's base temp directory is closed to other users.
    root = Path(tempfile.mkdtemp(prefix="helpdesk-server-"))
    root.chmod(0o755)
    (root / "home").mkdir()
    (root / "home").chmod(0o755)
    try:
        with accounts(root) as made:
            python = PortablePython(root / "python")
            python.root.mkdir()
            try:
                python.prepare(made.user("probe"))
            except RuntimeError as error:
                need(str(error))
            try:
                yield made, python
            finally:
                python.close()
    finally:
        shutil.rmtree(root, ignore_errors=True)


def _ok(result: CompletedProcess[str]) -> str:
    assert result.returncode == 0, result.stderr
    return result.stdout


def _history(python: PortablePython, user: str, home: Path, number: int) -> list[tuple[str, str]]:
    shown = _ok(python.forked(user, "ticket", "show", str(number), "--json", home=home))
    return [(event["actor"], event["kind"]) for event in json.loads(shown)[0]["history"]]


def test_two_agents_share_a_desk_an_outsider_cannot_touch_it(
    server: tuple[Accounts, PortablePython],
) -> None:
    made, python = server
    alice, bob, eve = made.user("alice"), made.user("bob"), made.user("eve")
    # README: a group for the agents; every agent in it, the outsider not.
    group = made.group("desk")
    for agent in (alice, bob):
        made.join(agent, group)
    desk = made.root / "srv" / "helpdesk"

    # README: root sets up the desk once, naming its first admin; the umask does not matter.
    init = python.helpdesk(
        "root", "init", "--shared", group, str(desk), "--admin", alice,
        home=made.root, umask="077",
    )  # fmt: skip
    output = _ok(init)
    url_line = f'database_url = "sqlite:///{desk / "helpdesk.db"}"'
    assert url_line in output.splitlines(), output

    # README: every agent puts the printed line in their own config file.
    for user in (alice, bob, eve):
        config = made.home(user) / ".config" / "helpdesk-tui" / "config.toml"
        script = f"mkdir -p {config.parent} && printf '%s\\n' '{url_line}' > {config}"
        _ok(python.run(user, "-c", f"import os; os.system({script!r})", home=made.home(user)))

    def as_(
        user: str, *args: str, env: dict[str, str] | None = None, umask: str = "022"
    ) -> CompletedProcess[str]:
        return python.forked(user, *args, home=made.home(user), env=env, umask=umask)

    # README: the admin adds the other agents.
    _ok(as_(alice, "agent", "add", bob, "--name", "Bob"))

    # Both agents create and edit tickets, under a umask that would lock the others out.
    first = json.loads(
        _ok(as_(alice, "ticket", "new", "--subject", "VPN down", "--from", "a@example.com",
                "--body", "Since 9.", "--json", umask="077"))
    )["number"]  # fmt: skip
    second = json.loads(
        _ok(as_(bob, "ticket", "new", "--subject", "Printer", "--from", "b@example.com",
                "--body", "Smokes.", "--json", umask="077"))
    )["number"]  # fmt: skip
    _ok(as_(bob, "ticket", "note", str(first), "--body", "Looking.", umask="077"))
    _ok(as_(alice, "ticket", "priority", str(second), "high"))
    _ok(as_(bob, "ticket", "assign", str(first), "--to", bob))

    # Claiming to be alice changes nothing: bob stays bob, in the history and in his rights.
    lie = {"LOGNAME": alice, "USER": alice}
    _ok(as_(bob, "ticket", "note", str(second), "--body", "As myself.", env=lie))
    refused = as_(bob, "agent", "add", eve, env=lie)
    assert refused.returncode == 1
    assert f"only an admin may add agents; {bob} is agent" in refused.stderr

    assert _history(python, alice, made.home(alice), first) == [
        (alice, "created"),
        (bob, "note"),
        (bob, "assignee"),
    ]
    assert [actor for actor, _kind in _history(python, bob, made.home(bob), second)] == [
        bob,
        alice,
        bob,
    ]

    # The outsider can neither read nor write the desk, whatever name they claim.
    database = desk / "helpdesk.db"
    for env in (None, lie):
        denied = as_(eve, "ticket", "list", env=env)
        assert denied.returncode == 1
        error = denied.stderr
        assert "Traceback" not in error, error
        assert f"this desk belongs to group {group} and {eve} is not in it" in error, error
    peek = python.run(eve, "-c", f"open({str(database)!r}, 'rb').read(1)", home=made.home(eve))
    assert peek.returncode != 0 and "PermissionError" in peek.stderr
    scribble = python.run(
        eve, "-c", f"open({str(database)!r}, 'ab').write(b'x')", home=made.home(eve)
    )
    assert scribble.returncode != 0 and "PermissionError" in scribble.stderr

    # A desk file with the wrong mode: one sentence naming it and the fix, no SQL error.
    database.chmod(0o640)
    readonly = as_(bob, "ticket", "note", str(first), "--body", "Again.")
    assert readonly.returncode == 1
    assert readonly.stderr.splitlines() == [
        f"error: cannot read and write {database} (owner root, group {group}, mode 0640); "
        f"an admin can run: chgrp {group} {database} && chmod 660 {database}"
    ]
    # README: running init again mends the modes (root is no agent of the desk: fine).
    mended = _ok(python.helpdesk("root", "init", "--shared", group, str(desk), home=made.root))
    assert "its files mended" in mended.splitlines()[0]
    _ok(as_(bob, "ticket", "note", str(first), "--body", "Again."))

    # A -shm left 0644 by an older helpdesk locks the others out until its owner comes back.
    stale = desk / "helpdesk.db-shm"
    stale.write_bytes(b"")
    os.chown(stale, pwd.getpwnam(alice).pw_uid, gid := desk.stat().st_gid)
    stale.chmod(0o644)
    locked = as_(bob, "ticket", "list")
    assert locked.returncode == 1
    assert f"error: cannot read and write {stale} (owner {alice}, group {group}, mode 0644)" in (
        locked.stderr
    )
    _ok(as_(alice, "ticket", "list"))
    _ok(as_(bob, "ticket", "list"))

    # The files: the group's, closed to others, and nothing stale left behind.
    assert stat.S_IMODE(desk.stat().st_mode) == 0o2770
    assert sorted(os.listdir(desk)) == ["helpdesk.db"]
    assert stat.S_IMODE(database.stat().st_mode) == 0o660
    assert database.stat().st_gid == gid
