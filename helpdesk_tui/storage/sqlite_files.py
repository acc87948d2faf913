"""The files of a SQLite desk on disk: their modes on a shared server, and why one is unusable.

A shared desk (``helpdesk init --shared``) lives in a setgid directory owned by the desk's
group: the database is group-readable and -writable and closed to others (0660). SQLite
creates the ``-wal`` and ``-shm`` files with the database file's own mode whatever the
umask, and the setgid directory gives them its group, so the database file's mode is what
every later file follows. A desk is *shared* when its database file is writable by its group.
"""

from __future__ import annotations

import grp
import os
import pwd
import stat
from pathlib import Path

SHARED_DIR_MODE = 0o2770
SHARED_FILE_MODE = 0o660
PRIVATE_FILE_MODE = 0o600
SUFFIXES = ("", "-wal", "-shm", "-journal")


def desk_files(path: Path) -> list[Path]:
    """The database and the companion files SQLite keeps next to it."""
    return [path.with_name(path.name + suffix) for suffix in SUFFIXES]


def is_shared(path: Path) -> bool:
    """Whether the database file is meant for a group (group-writable)."""
    try:
        return bool(path.stat().st_mode & stat.S_IWGRP)
    except OSError:
        return False


def _owner(uid: int) -> str:
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)


def _group(gid: int) -> str:
    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        return str(gid)


def _describe(path: Path) -> str:
    info = path.stat()
    return (
        f"owner {_owner(info.st_uid)}, group {_group(info.st_gid)}, "
        f"mode {stat.S_IMODE(info.st_mode):04o}"
    )


def access_problem(path: Path) -> str | None:
    """Why this process cannot read and write the desk at ``path``: one sentence with the fix.

    None when every file that exists is readable and writable and the directory lets SQLite
    add its ``-wal``/``-shm`` files.
    """
    directory = path.parent
    try:
        if directory.exists() and not directory.is_dir():
            return f"cannot use {path}: {directory} is not a directory"
        if not directory.exists():
            return None
        # A setgid directory is a shared desk's (``helpdesk init --shared``).
        shared = bool(directory.stat().st_mode & stat.S_ISGID)
        if not os.access(directory, os.X_OK):
            return _fix(directory, "enter", shared)
        for file in desk_files(path):
            if file.exists() and not os.access(file, os.R_OK | os.W_OK):
                return _fix(file, "read and write", shared or is_shared(file))
        if not os.access(directory, os.W_OK | os.X_OK):
            return _fix(directory, "create files in", shared)
    except OSError as error:
        return f"cannot use {error.filename or path}: {error.strerror}"
    return None


def _fix(file: Path, what: str, shared: bool) -> str:
    """The sentence for a file or directory this process may not use, and who can fix what."""
    info = file.stat()
    group = _group(info.st_gid)
    said = f"cannot {what} {file} ({_describe(file)})"
    me = pwd.getpwuid(os.getuid()).pw_name
    if shared and info.st_gid not in {os.getegid(), *os.getgroups()}:
        return (
            f"{said}: this desk belongs to group {group} and {me} is not in it; an admin can "
            f"run: usermod -aG {group} {me} (then log in again)"
        )
    if shared:
        mode = "2770" if file.is_dir() else "660"
        return f"{said}; an admin can run: chgrp {group} {file} && chmod {mode} {file}"
    return f"{said}; its owner {_owner(info.st_uid)} can run: chmod u+rwX {file}"


def repair_companions(path: Path) -> None:
    """On a shared desk, give ``-wal``/``-shm`` files this process owns the database's mode.

    SQLite does so when it creates them; this mends files left by an older helpdesk (0644),
    which would lock every other agent out.
    """
    try:
        info = path.stat()
    except OSError:
        return
    if not info.st_mode & stat.S_IWGRP:
        return
    mode = stat.S_IMODE(info.st_mode)
    for file in desk_files(path)[1:]:
        try:
            own = file.stat()
            if own.st_uid == os.geteuid() and stat.S_IMODE(own.st_mode) != mode:
                file.chmod(mode)
        except OSError:
            continue


def create_database_file(path: Path, *, group: int | None = None) -> None:
    """Create an empty database file: 0660 in ``group`` when given, else 0600; umask ignored."""
    mode = SHARED_FILE_MODE if group is not None else PRIVATE_FILE_MODE
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, mode)
    try:
        if group is not None:
            os.fchown(fd, -1, group)
        os.fchmod(fd, mode)
    finally:
        os.close(fd)


def share_directory(directory: Path, group: int) -> None:
    """Make ``directory`` exist: setgid, ``group``'s, mode 2770. Missing parents get 0755."""
    for parent in reversed(directory.parents):
        if not parent.exists():
            parent.mkdir()
            parent.chmod(0o755)
    directory.mkdir(exist_ok=True)
    os.chown(directory, -1, group)
    directory.chmod(SHARED_DIR_MODE)


def share_file(path: Path, group: int) -> None:
    """Give an existing desk file the shared group and mode (running init again mends it)."""
    os.chown(path, -1, group)
    path.chmod(SHARED_FILE_MODE)
