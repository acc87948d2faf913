"""A terminal closing (SIGHUP) keeps the article being written: ``helpdesk`` in a real
terminal (tmux), a new article typed in the KB editor, then the tmux server killed (its
panes' processes get SIGHUP). The draft on disk holds the last keys typed, which its
autosave had not saved yet; the process ends. ctrl+q keeps it too, and says so once the
terminal is back. A hang-up removes the terminal's presence marker on the ticket it shows;
SIGKILL cannot, and the marker expires on its own."""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import HANG_SECONDS, need
from tests.draft_places import editor_drafts

WAKE_SECONDS = 0.1
"""How long a wait sleeps when the terminal writes nothing, before it looks again at what
is not on the screen (a process's end, a database row). A change on the screen wakes it at
once (:func:`_next_output`). It looked every 0.02 s, each look a ``tmux capture-pane``
process: some 0.8 s of CPU a test, most of it while the app started beside it."""


@dataclass
class _PaneOutput:
    """The running test's pane output: ``fifo``, the path ``_start`` pipes the pane into,
    and ``fd``, its read end while a writer may come or is there."""

    fifo: Path | None = None
    fd: int | None = None


_output = _PaneOutput()


def _private_desk_migrated(template: Path) -> None:
    """The private desk ``helpdesk``'s first start would make in the data dir, made here
    from the session's migrated template (tests/conftest.py, ``_migrated_sqlite``): the file
    created as the program creates it (its directory and mode), then the template's
    contents. The app in the pane finds the schema ready and only makes its user the first
    admin, as on a first start. Creating the schema there ran every migration in the pane's
    process first: some 0.8 s of its 1.6 s of CPU a test, which pytest does not count
    (tests/cli/test_tickets.py and test_root.py check that a first start creates it)."""
    from helpdesk_tui.config_files import default_database_url
    from helpdesk_tui.storage.database import Database

    made = Database(default_database_url(), create=True)
    path = made.sqlite_path
    made.dispose()
    assert path is not None
    shutil.copyfile(template, path)  # (keeps the mode the program gave the file)


@pytest.fixture
def tmux(tmp_path: Path, _migrated_sqlite: Path) -> Iterator[Callable[..., str]]:
    """``tmux`` on a server of this test's own, and the private desk the program would make
    on its first start (``_private_desk_migrated``); the server is gone after the test."""
    if shutil.which("tmux") is None:
        need("tmux")
    _private_desk_migrated(_migrated_sqlite)
    socket = str(tmp_path / "tmux.sock")
    fifo = tmp_path / "pane-output"
    os.mkfifo(fifo, 0o600)
    _output.fifo, _output.fd = fifo, os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)

    def run(*args: str) -> str:
        done = subprocess.run(
            ["tmux", "-S", socket, *args], capture_output=True, text=True, check=False
        )
        return done.stdout

    yield run
    run("kill-server")
    if _output.fd is not None:
        os.close(_output.fd)
    _output.fifo = _output.fd = None


def _until(what: Callable[[], bool], why: str, ends: int | None = None) -> None:
    """Look at a process outside this one each time its terminal writes (at least every
    ``WAKE_SECONDS``), up to ``HANG_SECONDS``; with ``ends``, a pidfd, also as soon as that
    process ends."""
    deadline = time.monotonic() + HANG_SECONDS
    while not what():
        if time.monotonic() > deadline:
            pytest.fail(f"timed out: {why}")
        _next_output(ends)


def _until_gone(pid: int, why: str = "the process to end") -> None:
    """``_until(lambda: _gone(pid), why)``, woken as the process ends (its pidfd reads
    ready then): a process's end writes nothing to the pane once its terminal has gone,
    and the wait slept to the next ``WAKE_SECONDS`` after it."""
    try:
        ends = os.pidfd_open(pid)
    except ProcessLookupError:  # (gone already)
        ends = None
    try:
        _until(lambda: _gone(pid), why, ends)
    finally:
        if ends is not None:
            os.close(ends)


def _next_output(ends: int | None = None) -> None:
    """Until the pane writes something (drained here), the process whose pidfd is
    ``ends`` ends, or ``WAKE_SECONDS``. Once the pane's writer has gone (end of file),
    only the timeout (and ``ends``) is left."""
    fd = _output.fd
    waited = [each for each in (fd, ends) if each is not None]
    ready, _, _ = select.select(waited, [], [], WAKE_SECONDS)
    if fd is not None and fd in ready and not os.read(fd, 65536):
        os.close(fd)
        _output.fd = None


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return True
    return state == "Z"  # (ended; a container's init may be slow to reap it)


def _start(tmux: Callable[..., str], script: str | None = None) -> int:
    """``helpdesk`` in an 80x24 tmux pane, on this test's own desk; its process id (with
    ``script``, a ``sh -c`` running it with ``helpdesk`` as ``$0``: the shell's)."""
    helpdesk = str(Path(sys.executable).parent / "helpdesk")
    command = [helpdesk] if script is None else ["sh", "-c", script, helpdesk]
    tmux(
        "new-session", "-d", "-s", "hd", "-x", "80", "-y", "24",
        "-e", "TERM=xterm-256color",
        *(arg for name in sorted(os.environ) if name.startswith("HELPDESK_")
          for arg in ("-e", f"{name}={os.environ[name]}")),
        *command,
    )  # fmt: skip
    tmux("set-option", "-t", "hd", "remain-on-exit", "on")
    if _output.fifo is not None:  # (what it writes from here on wakes ``_until``)
        tmux("pipe-pane", "-t", "hd", f"cat > '{_output.fifo}'")
    return int(tmux("list-panes", "-t", "hd", "-F", "#{pane_pid}").strip())


def _screen(tmux: Callable[..., str]) -> str:
    return tmux("capture-pane", "-p", "-t", "hd")


def _new_article(tmux: Callable[..., str]) -> None:
    _until(lambda: "My open" in _screen(tmux), "the queue")
    tmux("send-keys", "-t", "hd", "F3")
    _until(lambda: "Search" in _screen(tmux) and "New" in _screen(tmux), "the knowledge base")
    tmux("send-keys", "-t", "hd", "C-n")
    _until(lambda: "New article" in _screen(tmux), "the article editor")


def test_ctrl_q_keeps_the_article_being_written_and_says_so(tmux: Callable[..., str]) -> None:
    pid = _start(tmux)
    _new_article(tmux)
    tmux("send-keys", "-t", "hd", "-l", "Quit article")
    _until(lambda: "Quit article" in _screen(tmux), "the title typed")
    tmux("send-keys", "-t", "hd", "C-q")
    _until_gone(pid)
    said = "Your new article is kept as a draft: it is offered back when opened again."
    _until(lambda: said in _screen(tmux), "the word that it was kept")
    assert (editor_drafts(None).load_fields("kb", None) or {}).get("title") == "Quit article"


def test_a_hang_up_keeps_the_article_being_written(tmux: Callable[..., str]) -> None:
    pid = _start(tmux)
    _new_article(tmux)

    def screen() -> str:
        return _screen(tmux)

    store = editor_drafts(None)
    typed = "Hangup"
    tmux("send-keys", "-t", "hd", "-l", typed)
    _until(lambda: typed in screen(), "the title typed")
    for key in "abcdefghij":  # until a key is on screen and not yet in the draft
        kept = store.load_fields("kb", None)
        if kept is None or kept.get("title") != typed:
            break
        typed += key  # (the autosave came first: one more key, a moment before it does)
        tmux("send-keys", "-t", "hd", "-l", key)
        _until(lambda shown=typed: shown in screen(), "the next key")
    assert (store.load_fields("kb", None) or {}).get("title") != typed
    tmux("kill-server")  # the terminal closes: SIGHUP
    _until_gone(pid)
    path = store.fields_path("kb", None)
    assert json.loads(path.read_text(encoding="utf-8"))["title"] == typed
    assert path.stat().st_mode & 0o777 == 0o600


def _my_markers() -> list[tuple[str, datetime]]:
    """The presence rows on this test's own desk (the one ``helpdesk`` made in the data
    dir): session and expiry."""
    from sqlalchemy import select as sa_select

    from helpdesk_tui.config_files import default_database_url
    from helpdesk_tui.storage.database import Database
    from helpdesk_tui.storage.models import Presence

    db = Database(default_database_url())
    try:
        with db.read() as s:
            rows = s.execute(sa_select(Presence.session_id, Presence.expires_at)).all()
            return [(session, expires) for session, expires in rows]
    finally:
        db.dispose()


def new_tickets(tickets: Iterable[tuple[str, str]]) -> None:
    """Tickets (subject, body) from ann@example.com on this test's own desk (the one
    ``helpdesk`` made in the data dir), written from this process as another agent's
    terminal would: the app in the pane sees them as it sees any other writer's. (Each was
    a ``helpdesk ticket new`` run, a fresh interpreter's start and import: some 0.4 s of
    CPU beside the app's.)"""
    import pwd

    from helpdesk_tui.config_files import default_database_url
    from helpdesk_tui.desk.actors import actor_of
    from helpdesk_tui.desk.facade import Desk
    from helpdesk_tui.storage.database import Database

    db = Database(default_database_url())
    try:
        desk = Desk(db, actor_of(db, pwd.getpwuid(os.getuid()).pw_name))
        for subject, body in tickets:
            desk.ticket_create(subject=subject, body=body, requester_email="ann@example.com")
    finally:
        db.dispose()


def _on_a_ticket(tmux: Callable[..., str]) -> int:
    """``helpdesk`` on a new ticket (its marker written); its process id."""
    pid = _start(tmux)
    _until(lambda: "My open" in _screen(tmux), "the queue")
    new_tickets([("Marker ticket", "The printer smokes.")])
    tmux("send-keys", "-t", "hd", "3")  # All open
    _until(lambda: "Marker ticket" in _screen(tmux), "the new ticket in the queue")
    tmux("send-keys", "-t", "hd", "Enter")
    _until(lambda: "The printer smokes." in _screen(tmux), "the ticket screen")
    _until(lambda: bool(_my_markers()), "the ticket's presence marker")
    return pid


def test_a_hang_up_removes_the_terminals_presence_marker(
    tmux: Callable[..., str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The program waits for the removal as long as a test waits for anything
    (``HELPDESK_LEAVE_SECONDS``, where its own 2 s would end it before a removal that a
    loaded machine made slower: then the marker stays, as it must on a database that does
    not answer, and the test read it)."""
    monkeypatch.setenv("HELPDESK_LEAVE_SECONDS", str(HANG_SECONDS))
    pid = _on_a_ticket(tmux)
    tmux("kill-server")  # the terminal closes: SIGHUP
    _until_gone(pid)
    assert _my_markers() == []


def test_after_sigkill_the_marker_lives_at_most_its_ttl(tmux: Callable[..., str]) -> None:
    """SIGKILL leaves the marker (nothing runs): it is live for at most ``PRESENCE_TTL``
    after the kill, and no one sees it after its expiry."""
    from helpdesk_tui.desk.presence import PRESENCE_TTL

    pid = _on_a_ticket(tmux)
    os.kill(pid, signal.SIGKILL)
    killed = datetime.now(UTC)
    _until_gone(pid)
    [(_session, expires)] = _my_markers()
    assert expires <= killed + PRESENCE_TTL  # (its last beat was before the kill)
    assert expires > killed - PRESENCE_TTL  # (beaten every few seconds until then)


def test_sigterm_keeps_the_article_and_gives_the_terminal_back(
    tmux: Callable[..., str],
) -> None:
    """``kill PID`` (an admin ending sessions, a shutdown) ends the app as ctrl+q does:
    the article being written is kept, the terminal is left as it was found (main screen,
    no mouse reporting; it was left on the app's screen with the mouse still reported,
    every click typing escape codes into the shell) and the process ends by SIGTERM, as
    its parent (here a shell, which says so: tmux's own record of it is not always made)
    expects."""
    shell = _start(tmux, '"$0"; echo "ended: $?"')
    children = Path(f"/proc/{shell}/task/{shell}/children")
    _until(lambda: bool(children.read_text().split()), "the shell to start helpdesk")
    pid = int(children.read_text().split()[0])
    _new_article(tmux)
    tmux("send-keys", "-t", "hd", "-l", "Term article")
    _until(lambda: "Term article" in _screen(tmux), "the title typed")
    os.kill(pid, signal.SIGTERM)
    _until(lambda: "ended: " in _screen(tmux), "the shell to see it end")
    assert "ended: 143" in _screen(tmux)  # (128 + SIGTERM: ended by the signal)
    modes = "#{alternate_on} #{mouse_any_flag} #{mouse_sgr_flag}"
    assert tmux("display", "-p", "-t", "hd", modes).split() == ["0", "0", "0"]
    assert (editor_drafts(None).load_fields("kb", None) or {}).get("title") == "Term article"


def test_a_terminal_gone_without_a_hang_up_signal_still_ends_the_app(
    tmux: Callable[..., str],
) -> None:
    """Under a wrapper that leads the terminal's session and keeps its SIGHUP (``runuser``,
    ``su``, ``sudo -u``; here a shell ignoring it), a closed terminal left the app running:
    a core spinning on end-of-file, its markers fresh, and after a while deaf to every
    signal but SIGKILL. It sees the terminal gone and ends as a hang-up does."""
    shell = _start(tmux, 'trap "" HUP; "$0"')
    _until(lambda: "My open" in _screen(tmux), "the queue")
    children = Path(f"/proc/{shell}/task/{shell}/children").read_text().split()
    assert len(children) == 1
    app = int(children[0])
    try:
        tmux("kill-server")  # the terminal closes; only the shell is sent SIGHUP
        _until_gone(app, "the app to end")
    finally:
        for pid in (app, shell):
            if not _gone(pid):
                os.kill(pid, signal.SIGKILL)
