"""Where the warm command server's socket lives when ``$XDG_RUNTIME_DIR`` is not the user's.

Without it (``su``, some SSH set-ups) the socket directory is in the user's cache directory,
which no other user can make first: ``/tmp/helpdesk-tui-<uid>`` could be, and so the user's
server turned off by anyone on the machine (a team audit on a shared server). (The server
itself, in real processes: ``test_warm_server.py``.)
"""

from __future__ import annotations

import os
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


def test_a_directory_too_long_for_a_socket_falls_back_to_tmp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A socket's path is at most 107 bytes (Linux's ``sun_path``): under a cache directory
    whose sockets' paths would be longer the server could not listen, so the sockets are in
    ``/tmp/helpdesk-tui-<uid>`` as before (with its checks: another user can make it first,
    and ``helpdesk server status`` then says so)."""
    monkeypatch.delenv("XDG_RUNTIME_DIR", raising=False)
    name = "server-0123456789abcdef.sock"
    longest = "/" + "d" * (warm_socket.SUN_PATH_MAX - len("/server/") - len(name) - 1)
    monkeypatch.setenv("HELPDESK_CACHE_DIR", longest)
    assert len(os.fsencode(warm_socket.socket_path(longest + "/server", name[7:-5]))) == 107
    assert warm_socket._dir_path(os.getuid()) == f"{longest}/server"
    monkeypatch.setenv("HELPDESK_CACHE_DIR", longest + "d")
    assert warm_socket._dir_path(os.getuid()) == f"/tmp/helpdesk-tui-{os.getuid()}"
    monkeypatch.setenv("HELPDESK_CACHE_DIR", "relative/cache")  # (not a place to trust)
    assert warm_socket._dir_path(os.getuid()) == f"/tmp/helpdesk-tui-{os.getuid()}"


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
