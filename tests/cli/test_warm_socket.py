"""Where the warm command server's socket lives when ``$XDG_RUNTIME_DIR`` is not the user's.

Without it (``su``, some SSH set-ups) the socket directory is in the user's cache directory,
which no other user can make first: ``/tmp/helpdesk-tui-<uid>`` could be, and so the user's
server turned off by anyone on the machine (a team audit on a shared server). A cache
directory too long for a socket's path gets one in /tmp under a random name, recorded
there. (The server itself, in real processes: ``test_warm_server.py``.)
"""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from helpdesk_tui.cli import warm_socket


@pytest.fixture
def short_tmp() -> Iterator[Path]:
    """A directory of this test's own with a short path (pytest's may be too long for a
    socket's), removed after."""
    with tempfile.TemporaryDirectory(prefix="hds-", dir="/tmp") as made:
        yield Path(made)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.lstat().st_mode)


@pytest.mark.parametrize("runtime", ["unset", "not ours"])
def test_without_a_runtime_dir_of_ours_the_sockets_are_in_the_cache_dir(
    short_tmp: Path, monkeypatch: pytest.MonkeyPatch, runtime: str
) -> None:
    if runtime == "unset":
        monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    else:
        (short_tmp / "run").mkdir(mode=0o777)
        (short_tmp / "run").chmod(0o777)  # (the umask)
        monkeypatch.setenv("XDG_RUNTIME_DIR", str(short_tmp / "run"))
    monkeypatch.setenv("HELPDESK_CACHE_DIR", str(short_tmp / "cache" / "helpdesk-tui"))
    sockets = short_tmp / "cache" / "helpdesk-tui" / "server"
    assert warm_socket.server_dir(create=False) is None  # (not made yet)
    assert warm_socket.dir_problem() is None
    assert warm_socket.server_dir() == str(sockets)  # made, with the cache directory
    assert sockets.is_dir() and _mode(sockets) == 0o700
    assert warm_socket.server_dir(create=False) == str(sockets)


def test_the_cache_dir_is_platformdirs_one(
    short_tmp: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``$XDG_CACHE_HOME/helpdesk-tui``, else ``~/.cache/helpdesk-tui`` (as the completion
    cache's, without importing platformdirs in the client)."""
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.delenv("HELPDESK_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(short_tmp / "xdg"))
    assert warm_socket.server_dir() == str(short_tmp / "xdg" / "helpdesk-tui" / "server")
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(short_tmp / "home"))
    home_sockets = short_tmp / "home" / ".cache" / "helpdesk-tui" / "server"
    assert warm_socket.server_dir() == str(home_sockets)


def _too_long_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A cache directory whose sockets' paths would be too long, by a byte where the
    test's directory leaves room (its record, in it, is a file: any length will do)."""
    name = "server-0123456789abcdef.sock"
    room = warm_socket.SUN_PATH_MAX - len("/server/") - len(name) - len(str(tmp_path))
    cache = tmp_path / ("d" * max(1, room))
    assert len(os.fsencode(warm_socket.socket_path(f"{cache}/server", name[7:-5]))) >= 108
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("HELPDESK_CACHE_DIR", str(cache))
    return cache


@pytest.fixture
def tmp_dirs_made() -> Iterator[list[Path]]:
    """The socket directories a test makes in /tmp (``helpdesk-tui-<uid>-*``), removed after."""
    made: list[Path] = []
    yield made
    for path in made:
        if path.is_symlink():
            path.unlink()
        else:
            shutil.rmtree(path, ignore_errors=True)


def test_a_directory_too_long_for_a_socket_falls_back_to_tmp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_dirs_made: list[Path]
) -> None:
    """A socket's path is at most 107 bytes (Linux's ``sun_path``): under a cache directory
    whose sockets' paths would be longer the server could not listen. The sockets go to a
    directory made in /tmp under a random name, 0700, its path recorded in the cache
    directory for the next commands; a relative cache directory gives no server at all."""
    longest = "/" + "d" * (warm_socket.SUN_PATH_MAX - len("/server/") - len("x" * 28) - 1)
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("HELPDESK_CACHE_DIR", longest)
    assert warm_socket._dir_path(os.getuid()) == f"{longest}/server"  # (107 bytes: fits)
    cache = _too_long_cache(monkeypatch, tmp_path)
    assert warm_socket.server_dir(create=False) is None
    made = warm_socket.server_dir()
    assert made is not None
    tmp_dirs_made.append(Path(made))
    assert os.path.dirname(made) == "/tmp"
    assert os.path.basename(made).startswith(f"helpdesk-tui-{os.getuid()}-")
    assert len(os.path.basename(made)) == len(f"helpdesk-tui-{os.getuid()}-") + 16
    assert _mode(Path(made)) == 0o700
    assert (cache / warm_socket.RECORD).read_text() == made + "\n"
    assert warm_socket.server_dir(create=False) == made  # (the next command finds it)
    assert warm_socket.server_dir() == made  # (and makes no other)
    monkeypatch.setenv("HELPDESK_CACHE_DIR", "relative/cache")  # (not a place to trust)
    assert warm_socket.server_dir() is None
    assert "not an absolute path" in (warm_socket.dir_problem() or "")


@pytest.mark.parametrize("squat", ["the old fixed name", "the recorded name", "a symlink"])
def test_no_other_user_can_take_the_tmp_sockets_dir_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_dirs_made: list[Path], squat: str
) -> None:
    """Where a cache directory's path is too long, anyone could make
    ``/tmp/helpdesk-tui-<uid>`` before the user, and the user's commands then ran without
    a server (slow) for as long as it stood. The random name cannot be guessed; and a
    recorded directory that is gone and made again by someone else (a /tmp cleaner, a
    reader of the record) or that became a symlink is never used: a new one is made."""
    cache = _too_long_cache(monkeypatch, tmp_path)
    uid = os.getuid()
    squatted = Path(tempfile.mkdtemp(prefix="hds-", dir="/tmp"))
    tmp_dirs_made.append(squatted)
    if squat == "the old fixed name":
        old = Path(f"/tmp/helpdesk-tui-{uid}")
        if not old.exists():  # (someone else's: here, a directory open to all)
            old.mkdir()
            old.chmod(0o777)
            tmp_dirs_made.append(old)
    else:
        # what another user would do with a record they read: their directory at its path
        first = warm_socket.server_dir()
        assert first is not None
        shutil.rmtree(first)
        if squat == "the recorded name":
            Path(first).mkdir()
            Path(first).chmod(0o777)
        else:
            Path(first).symlink_to(squatted)
        tmp_dirs_made.append(Path(first))
        assert warm_socket.server_dir(create=False) is None  # (not used as it is)
        assert warm_socket.dir_problem() is None  # (the next command makes another)
    made = warm_socket.server_dir()
    assert made is not None
    tmp_dirs_made.append(Path(made))
    assert made != f"/tmp/helpdesk-tui-{uid}"
    assert Path(made).is_dir() and not Path(made).is_symlink() and _mode(Path(made)) == 0o700
    assert Path(made).stat().st_uid == uid
    assert (cache / warm_socket.RECORD).read_text() == made + "\n"
    assert warm_socket.server_dir(create=False) == made


def test_a_record_that_names_no_tmp_dir_is_not_followed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tmp_dirs_made: list[Path]
) -> None:
    """The record names a directory directly in /tmp, or none: a record changed to point
    elsewhere (a directory of the user's that others can reach into) is replaced."""
    cache = _too_long_cache(monkeypatch, tmp_path)
    cache.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir(mode=0o700)
    (cache / warm_socket.RECORD).write_text(f"{elsewhere}\n")
    made = warm_socket.server_dir()
    assert made is not None
    tmp_dirs_made.append(Path(made))
    assert os.path.dirname(made) == "/tmp"


@pytest.mark.parametrize("problem", ["open to others", "a symlink"])
def test_the_cache_sockets_dir_keeps_every_check(
    short_tmp: Path, monkeypatch: pytest.MonkeyPatch, problem: str
) -> None:
    """Made 0700, owned by the user, not a symlink, or no server (and ``helpdesk server
    status`` says why)."""
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    monkeypatch.setenv("HELPDESK_CACHE_DIR", str(short_tmp / "cache"))
    sockets = short_tmp / "cache" / "server"
    (short_tmp / "cache").mkdir()
    if problem == "open to others":
        sockets.mkdir()
        sockets.chmod(0o755)
        said = "mode 0755"
    else:
        (short_tmp / "elsewhere").mkdir(mode=0o700)
        sockets.symlink_to(short_tmp / "elsewhere")
        said = "a symlink"
    assert warm_socket.server_dir() is None
    problem_said = warm_socket.dir_problem()
    assert problem_said is not None
    assert problem_said.startswith(f"{sockets} is not a directory only you can open (")
    assert f"{said}), so no server is used" in problem_said
