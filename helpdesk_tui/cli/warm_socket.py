"""Where a user's warm command server listens, and which code and environment it serves.

Shared by the client (``warm_client``: imported before click, so standard library only,
and little of it) and the server (``warm_server``). Identity is the uid:

- the socket lives in a per-user directory, ``$XDG_RUNTIME_DIR/helpdesk-tui/`` when that
  directory is ours, else ``server/`` in the user's cache directory (``~/.cache/helpdesk-tui``;
  not ``/tmp/helpdesk-tui-<uid>/``, which another user may make first); when the cache
  directory's path is too long for a socket's, a directory made in ``/tmp`` under a random
  name, recorded in the cache directory (:data:`RECORD`) and made anew whenever it is gone
  or not ours; it is made 0700 and checked with ``lstat``
  (a directory, not a symlink, owned by us, mode 0700) before every use: anything else
  means no server, and the command runs in its own process;
- both ends check the other's uid (``SO_PEERCRED``).

The socket's name carries a key (:func:`server_key`): a short hash of the interpreter, the
package's place and its files' newest modification time and names (an editable install
is edited in place), ``sys.path`` and the environment that code may read while it is imported. A
client whose key differs never reaches an older server; a server whose key went stale
exits (``warm_server``).
"""

from __future__ import annotations

import _signal
import os
import stat
import struct
import sys
import zlib

# The C modules under ``socket`` (whose Python half imports enum: ≈ 3 ms of a warm command).
from _socket import AF_UNIX, SO_PEERCRED, SOCK_STREAM, SOL_SOCKET, socket

SWITCH = "HELPDESK_CLI_SERVER"
"""``off`` (or ``0``, ``no``, ``false``): never use a warm server nor start one."""
STARTED_FOR = "_HELPDESK_CLI_SERVER_KEY"
"""The key a client starts a server for, in the server's environment, not on its command
line: the key checksums the client's environment (a ``database_url`` with its password
too), and any user on the machine reads a process's arguments (``ps``), where only its
owner reads its environment. (Not a ``HELPDESK_`` variable: it is no part of the key.)"""
IDLE = "HELPDESK_CLI_SERVER_IDLE"
"""Seconds a server waits for a command before it exits (default :data:`DEFAULT_IDLE`)."""
DEFAULT_IDLE = 600.0

_OFF = frozenset(("off", "0", "no", "false"))
_KEY_PREFIXES = ("HELPDESK_", "XDG_", "PYTHON", "LC_", "PSYCOPG", "SQLALCHEMY")
_KEY_NAMES = frozenset(("HOME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "PGSERVICEFILE"))
"""The variables that module-level code (ours, platformdirs, the standard streams' locale,
psycopg's implementation choice) may read while the server imports: a client whose values
differ gets its own server. The child still runs with the client's whole environment."""

# Messages from the server to the client: a kind byte and a 32-bit signed number. (The
# client sends the server one byte per signal it got, after its request: see warm_server.)
MESSAGE = struct.Struct("!ci")
PID = b"P"
"""The command's child started: its pid."""
STOPPED = b"T"
"""The child was stopped by a signal the client did not pass on (someone's ``kill -STOP``):
the number is that signal; the client stops too, as the command's own process would be."""
STATUS = b"S"
"""The child ended: its exit status, or minus the signal that ended it."""
INFO = b"I"
"""An answer to ``status`` (the number: the server's pid), followed by a JSON line."""

FORWARDED = frozenset((_signal.SIGINT, _signal.SIGTERM, _signal.SIGHUP, _signal.SIGQUIT))
"""The signals a client passes on that its command's child gets as they are."""
STOPS = frozenset((_signal.SIGTSTP, _signal.SIGTTIN, _signal.SIGTTOU))
"""The signals that stop a client: it passes them on, and its child is stopped by SIGSTOP
(its process group is orphaned: see warm_server). Ctrl-Z's SIGTSTP; SIGTTIN and SIGTTOU
come only from a ``kill`` (no warm command reads the terminal, and a client writes to it
only once its child has ended)."""

REQUEST_HEADER = struct.Struct("!I")
"""Before the request's JSON: its length (the first message also carries fds 0, 1, 2)."""
MAX_REQUEST = 16 * 1024 * 1024


def enabled(environ: os._Environ[str] | dict[str, str] | None = None) -> bool:
    """Whether warm servers are used at all (:data:`SWITCH`)."""
    value = (os.environ if environ is None else environ).get(SWITCH, "on")
    return value.strip().lower() not in _OFF


def supported() -> bool:
    """Whether this system has what the server needs (Linux: peer credentials, pidfds)."""
    return all(
        (
            hasattr(os, "pidfd_open"),
            hasattr(os, "O_PATH"),
            hasattr(os, "posix_spawn"),
        )
    )


def idle_seconds() -> float:
    """How long a server waits for the next command (:data:`IDLE`; bad values: the default)."""
    try:
        value = float(os.environ.get(IDLE, DEFAULT_IDLE))
    except ValueError:
        return DEFAULT_IDLE
    return value if value > 0 else DEFAULT_IDLE


def _private_dir(path: str, uid: int) -> bool:
    """``path`` is a real directory (not a symlink), ours, closed to everyone else."""
    try:
        info = os.lstat(path)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == uid and stat.S_IMODE(info.st_mode) == 0o700


SUN_PATH_MAX = 107
"""The longest path a Unix socket is bound to on Linux (``sun_path``: 108 bytes with its
NUL); a directory whose sockets' paths are longer cannot hold them."""
_SOCKET_NAME = len(f"{os.sep}server-{'0' * 16}.sock")


def _cache_dir() -> str | None:
    """This user's cache directory for helpdesk-tui, as ``completion_cache`` finds it
    (``HELPDESK_CACHE_DIR``, else platformdirs' ``$XDG_CACHE_HOME/helpdesk-tui``, else
    ``~/.cache/helpdesk-tui``), without importing platformdirs; None when not absolute."""
    path = os.environ.get("HELPDESK_CACHE_DIR", "")
    if not path:
        cache = os.environ.get("XDG_CACHE_HOME", "").strip()
        if not os.path.isabs(cache):
            cache = os.path.expanduser(os.path.join("~", ".cache"))
        path = os.path.join(cache, "helpdesk-tui")
    return path if os.path.isabs(path) else None


def _fits(directory: str) -> bool:
    """A socket of this directory has a path short enough to bind (``SUN_PATH_MAX``)."""
    return len(os.fsencode(directory)) + _SOCKET_NAME <= SUN_PATH_MAX


RECORD = "server-dir"
"""In the cache directory when its path is too long for a socket's: the path of the socket
directory made for it in :data:`TMP` (:func:`_made_in_tmp`), on one line."""
TMP = "/tmp"


def _runtime_dir(uid: int) -> str | None:
    """``$XDG_RUNTIME_DIR/helpdesk-tui`` when ``$XDG_RUNTIME_DIR`` is ours."""
    runtime = os.environ.get("XDG_RUNTIME_DIR", "")
    if runtime and os.path.isabs(runtime) and _private_dir(runtime, uid):
        return os.path.join(runtime, "helpdesk-tui")
    return None


def _too_long(cache: str | None) -> bool:
    """Whether sockets in the cache directory (``server/``) would be too long to bind."""
    return cache is not None and not _fits(os.path.join(cache, "server"))


def _dir_path(uid: int) -> str | None:
    """``$XDG_RUNTIME_DIR/helpdesk-tui`` when that directory is ours, else ``server`` in
    the user's cache directory: no other user can make either first. When the cache
    directory's path is too long for a socket's: the directory in ``/tmp`` its
    :data:`RECORD` names (:func:`_made_in_tmp`; None while there is none). None too when
    there is no cache directory (a relative ``HELPDESK_CACHE_DIR``)."""
    runtime = _runtime_dir(uid)
    if runtime is not None:
        return runtime
    cache = _cache_dir()
    if cache is None:
        return None
    if _too_long(cache):
        return _recorded(cache)
    return os.path.join(cache, "server")


def _recorded(cache: str) -> str | None:
    """The socket directory the cache directory's :data:`RECORD` names, if it names one
    that could be (an absolute path in :data:`TMP`, short enough); None otherwise."""
    try:
        with open(os.path.join(cache, RECORD), "rb") as file:
            path = os.fsdecode(file.read(4096).strip())
    except (OSError, ValueError):
        return None
    if os.path.dirname(path) != TMP or not _fits(path):
        return None
    return path


def _made_in_tmp(cache: str, uid: int) -> str | None:
    """A new socket directory in :data:`TMP`, ``helpdesk-tui-<uid>-<16 random hex>``
    (``mkdtemp``'s way: ``mkdir`` fails rather than take a directory someone else made,
    and no one can make it first who cannot guess its name), its path written to the cache
    directory's :data:`RECORD` for the next commands and the server.

    Under a lock in the cache directory, so that commands starting at once agree on one
    (a record that names a directory of ours by then is kept). None when nothing can be
    made (the cache directory or ``/tmp`` not writable)."""
    import fcntl  # (only here: the common path reads the record, it writes nothing)

    try:
        os.makedirs(cache, mode=0o700, exist_ok=True)
        lock = os.open(
            os.path.join(cache, RECORD + ".lock"), os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600
        )
    except OSError:
        return None
    try:
        fcntl.flock(lock, fcntl.LOCK_EX)
        found = _recorded(cache)
        if found is not None and _private_dir(found, uid):
            return found  # (another command made it while this one waited)
        for _attempt in range(100):
            path = os.path.join(TMP, f"helpdesk-tui-{uid}-{os.urandom(8).hex()}")
            try:
                os.mkdir(path, 0o700)
            except FileExistsError:
                continue
            break
        else:
            return None
        record = os.path.join(cache, RECORD)
        fresh = f"{record}.{os.getpid()}"
        with open(fresh, "wb") as file:
            file.write(os.fsencode(path) + b"\n")
        os.replace(fresh, record)
        return path
    except OSError:
        return None
    finally:
        os.close(lock)


def dir_problem() -> str | None:
    """Why the socket directory cannot be used, for ``helpdesk server status``: it is not
    the user's alone (its mode changed, a symlink). None when it can be, or is not there
    yet, or is one in ``/tmp`` the next command replaces (gone, or not the user's)."""
    uid = os.getuid()
    cache = _cache_dir()
    if _runtime_dir(uid) is None:
        if cache is None:
            return "the cache directory is not an absolute path, so no server is used"
        if _too_long(cache):
            return None
    path = _dir_path(uid)
    if path is None:
        return None
    try:
        info = os.lstat(path)
    except OSError:
        return None
    if _private_dir(path, uid):
        return None
    if stat.S_ISLNK(info.st_mode):
        what = "a symlink"
    else:
        import pwd

        try:
            owner = pwd.getpwuid(info.st_uid).pw_name
        except KeyError:
            owner = str(info.st_uid)
        what = f"owner {owner}, mode {stat.S_IMODE(info.st_mode):04o}"
    return f"{path} is not a directory only you can open ({what}), so no server is used"


def server_dir(create: bool = True) -> str | None:
    """The directory of this user's server sockets, made if missing and ``create``; None
    when it is not safe to use (someone else's, a symlink, open to others).

    The one in ``/tmp`` (the cache directory's path too long) is used only while it is
    the user's alone; one that is gone or not is replaced by a new one when ``create``
    (:func:`_made_in_tmp`), so no other user can keep the user's commands from a server."""
    uid = os.getuid()
    cache = _cache_dir()
    if _runtime_dir(uid) is None and cache is not None and _too_long(cache):
        found = _recorded(cache)
        if found is not None and _private_dir(found, uid):
            return found
        return _made_in_tmp(cache, uid) if create else None
    path = _dir_path(uid)
    if path is None:
        return None
    if create:
        try:
            os.makedirs(os.path.dirname(path), exist_ok=True)  # (the cache directory)
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass
        except OSError:
            return None
    return path if _private_dir(path, uid) else None


def code_stamp(top: str) -> str:
    """What changes when the code under ``top`` does: the newest modification time (ns) of
    its files and a checksum of their names (a file added, removed or renamed).

    Not the directories' times: Python writing a module's bytecode the first time makes a
    ``__pycache__`` beside it, which changes its directory's time but no code (in an
    editable install, each of the first commands would have found its server stale)."""
    newest = 0
    names = 0
    pending = [top]
    while pending:
        with os.scandir(pending.pop()) as entries:
            for entry in entries:
                if entry.name == "__pycache__":
                    continue
                if entry.is_dir(follow_symlinks=False):
                    pending.append(entry.path)
                    continue
                newest = max(newest, entry.stat(follow_symlinks=False).st_mtime_ns)
                # (a sum: the same for any order scandir lists them in)
                names += zlib.crc32(os.fsencode(entry.path))
    return f"{newest}:{names}"


def package_dir() -> str:
    """The directory of the ``helpdesk_tui`` package this process imports."""
    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def server_key(environ: os._Environ[str] | dict[str, str] | None = None) -> str:
    """The key of the server that may run this process's commands (see the module's doc)."""
    env = os.environ if environ is None else environ
    code = package_dir()
    # The script's or the working directory's entry (none in the server, ``python -P``).
    paths = sys.path if sys.flags.safe_path else sys.path[1:]
    parts = [sys.executable, code, code_stamp(code), *paths]
    for name in sorted(env):
        if (name.startswith(_KEY_PREFIXES) or name in _KEY_NAMES) and name != SWITCH:
            parts.append(f"{name}={env[name]}")
    # Two checksums, not hashlib (its OpenSSL import is ≈ 3 ms of a warm command): the key
    # tells one user's servers apart; it guards nothing (the directory and the uid do).
    data = "\0".join(parts).encode("utf-8", "surrogateescape")
    return f"{zlib.crc32(data):08x}{zlib.adler32(data[::-1]):08x}"


def socket_path(directory: str, key: str) -> str:
    return os.path.join(directory, f"server-{key}.sock")


def lock_path(directory: str, key: str) -> str:
    return os.path.join(directory, f"server-{key}.lock")


def peer(sock: socket) -> tuple[int, int]:
    """The pid and uid of the process at the other end of a connected Unix socket (as it
    connected)."""
    creds = sock.getsockopt(SOL_SOCKET, SO_PEERCRED, struct.calcsize("3i"))
    pid, uid, _gid = struct.unpack("3i", creds)
    return int(pid), int(uid)


def connect(key: str, timeout: float | None = None) -> socket | None:
    """A connection to this user's server for ``key``, or None (no safe directory, no
    server, a server of another uid)."""
    directory = server_dir(create=False)
    if directory is None:
        return None
    sock = socket(AF_UNIX, SOCK_STREAM)
    try:
        sock.settimeout(timeout)
        sock.connect(socket_path(directory, key))
        if peer(sock)[1] != os.getuid():
            sock.close()
            return None
    except OSError:
        sock.close()
        return None
    return sock


def receive(sock: socket, data: bytes, size: int) -> bytes | None:
    """``data`` and what follows it on ``sock`` up to ``size`` bytes in all (never more: a
    next message stays unread), or None when the connection ends first."""
    while len(data) < size:
        chunk = sock.recv(min(1 << 20, size - len(data)))
        if not chunk:
            return None
        data += chunk
    return data


def read_message(sock: socket) -> tuple[bytes, int] | None:
    """One server message (kind, number), or None when the connection ended first."""
    data = receive(sock, b"", MESSAGE.size)
    if data is None:
        return None
    kind, number = MESSAGE.unpack(data)
    return kind, number
