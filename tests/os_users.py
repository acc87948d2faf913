"""Throw-away OS users and groups, and the real ``helpdesk`` run as them with ``runuser``.

Needs root (CI runs as root on a fresh Debian machine). Those users must be able to run
Python and import this code, which may live where only root can read it (``/root`` is 0700;
the interpreter may be pyenv's under ``/root``): :class:`PortablePython` finds an interpreter
of the same version that any user can run, and copies this package — and the installed
packages it needs when they are not readable by others — into a world-readable directory.
"""

from __future__ import annotations

import compileall
import contextlib
import os
import pwd
import select
import shutil
import stat
import subprocess
import sys
import sysconfig
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

from packaging.requirements import Requirement

import helpdesk_tui
from tests.cli.import_probe import ImportProbe

SYSTEM_PATH = "/usr/local/bin:/usr/bin:/bin"
SQLITE_PRELOAD = ("sqlalchemy", "sqlalchemy.dialects.sqlite.pysqlite")
"""What a user's :class:`ImportProbe` imports before it forks (the libraries every verb on a
SQLite desk imports first; as ``tests.cli.import_probe.PRELOAD`` without PostgreSQL's)."""


def others_can_reach(path: Path) -> bool:
    """Whether a user with no special rights can read ``path`` (every directory above it too)."""
    path = path.resolve()
    try:
        for parent in reversed(path.parents):
            if not os.stat(parent).st_mode & stat.S_IXOTH:
                return False
        return bool(os.stat(path).st_mode & stat.S_IROTH)
    except OSError:
        return False


def _needed_distributions() -> list[metadata.Distribution]:
    """helpdesk-tui's installed dependencies, recursively (itself excluded: it is copied)."""
    seen: dict[str, metadata.Distribution] = {}
    todo = list(metadata.requires("helpdesk-tui") or [])
    while todo:
        requirement = Requirement(todo.pop())
        if requirement.marker and not requirement.marker.evaluate({"extra": ""}):
            continue
        key = requirement.name.lower().replace("_", "-")
        if key in seen:
            continue
        try:
            dist = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            continue
        seen[key] = dist
        for req in dist.requires or []:
            parsed = Requirement(req)
            wanted = ["", *sorted(requirement.extras)]
            if parsed.marker is None or any(parsed.marker.evaluate({"extra": e}) for e in wanted):
                todo.append(parsed.name + (f"[{','.join(parsed.extras)}]" if parsed.extras else ""))
    return list(seen.values())


def _copy_distributions(target: Path) -> None:
    for dist in _needed_distributions():
        for file in dist.files or []:
            if str(file).startswith("..") or file.suffix == ".pyc":
                continue
            source = Path(str(dist.locate_file(file)))
            if not source.is_file():
                continue
            copy = target / file
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, copy)


@dataclass
class PortablePython:
    """An interpreter and a PYTHONPATH with which any user runs this checkout's helpdesk."""

    root: Path
    python: str = ""
    pythonpath: list[str] = field(default_factory=list)
    probes: dict[str, ImportProbe] = field(default_factory=dict)
    """Each user's :class:`ImportProbe` (:meth:`forked`)."""

    def prepare(self, probe_user: str, *, copy_packages: bool = False) -> None:
        """Find what ``probe_user`` can run, copying what they cannot read (or raise)."""
        code = self.root / "code"
        # With its bytecode (``copytree`` keeps the sources' modification times, which the
        # bytecode records), checked here, and made where it is missing or stale: the users
        # may not write it (PYTHONDONTWRITEBYTECODE), so without it every run of
        # ``helpdesk`` compiled the whole package again. (Compiling the copy anew each time
        # was 0.5 s of CPU, and 2 s of wall under load, of each test that prepares one.)
        shutil.copytree(Path(helpdesk_tui.__file__).parent, code / "helpdesk_tui")
        self.pythonpath = [str(code)]
        compileall.compile_dir(code, quiet=1)
        site = sorted({sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]})
        if copy_packages or not all(others_can_reach(Path(p)) for p in site):
            packages = self.root / "site-packages"
            _copy_distributions(packages)
            compileall.compile_dir(packages, quiet=1)
            self.pythonpath.append(str(packages))
        else:
            self.pythonpath += site
        _open_up(self.root)
        version = f"python{sys.version_info.major}.{sys.version_info.minor}"
        candidates = [
            str(Path(sys.executable).resolve()),
            str(Path(getattr(sys, "_base_executable", sys.executable)).resolve()),
            *(str(Path(d) / version) for d in SYSTEM_PATH.split(":")),
        ]
        for candidate in dict.fromkeys(candidates):
            if not Path(candidate).is_file():
                continue
            self.python = candidate
            probe = self.run(probe_user, "-c", "import sqlite3, sqlalchemy, helpdesk_tui.cli")
            if probe.returncode == 0:
                return
        self.python = ""
        raise RuntimeError(
            f"no {version} here that {probe_user} can run with this code "
            f"(tried {', '.join(dict.fromkeys(candidates))})"
        )

    def env(self, user: str, home: Path, extra: dict[str, str] | None = None) -> dict[str, str]:
        """A clean login-like environment for ``user`` (``extra`` may lie about LOGNAME/USER)."""
        return {
            "HOME": str(home),
            "PATH": SYSTEM_PATH,
            "LANG": "C.UTF-8",
            "LOGNAME": user,
            "USER": user,
            "PYTHONPATH": os.pathsep.join(self.pythonpath),
            "PYTHONDONTWRITEBYTECODE": "1",
            "HELPDESK_CLI_SERVER": "off",  # no warm server left behind by a throw-away user
            **(extra or {}),
        }

    def _as(self, user: str, home: Path, env: dict[str, str] | None = None) -> list[str]:
        """The command line before ``sh``'s or the interpreter's: ``user`` (their groups
        too) in the clean environment :meth:`env`."""
        values = [f"{key}={value}" for key, value in self.env(user, home, env).items()]
        return ["runuser", "-u", user, "--", "env", "-i", *values]

    def run(
        self,
        user: str,
        *args: str,
        home: Path | None = None,
        env: dict[str, str] | None = None,
        umask: str = "022",
    ) -> subprocess.CompletedProcess[str]:
        """``python ARGS`` as ``user`` (their groups too), with the umask they would have."""
        home = home or self.root
        command = f'umask {umask} && exec "$@"'
        argv = [*self._as(user, home, env), "sh", "-c", command, "sh", self.python, "-s", *args]
        return subprocess.run(
            argv,
            capture_output=True,
            text=True,
            cwd=self.root,
            timeout=120,
            check=False,
        )

    def helpdesk(
        self,
        user: str,
        *args: str,
        home: Path,
        env: dict[str, str] | None = None,
        umask: str = "022",
    ) -> subprocess.CompletedProcess[str]:
        """The real ``helpdesk`` command line, as ``user``."""
        return self.run(user, "-m", "helpdesk_tui", *args, home=home, env=env, umask=umask)

    def forked(
        self,
        user: str,
        *args: str,
        home: Path,
        env: dict[str, str] | None = None,
        umask: str = "022",
    ) -> subprocess.CompletedProcess[str]:
        """``helpdesk ARGS`` as :meth:`helpdesk` runs it, but in a process forked for it by
        ``user``'s :class:`ImportProbe` (started at their first such command, as
        :meth:`run` starts an interpreter of theirs, in :meth:`close`'s care): the same
        user, groups, environment, umask and working directory, and the installed script's
        run (``helpdesk_tui.cli.run``, what ``-m helpdesk_tui`` calls); only the
        interpreter's start and the import of the CLI and SQLAlchemy's SQLite dialect are
        gone, some 0.25 s of CPU a command (four fifths of a command's, as one of these
        tests runs twenty). A test whose fact is the interpreter's start as the user (it
        can run this code at all) runs :meth:`helpdesk`."""
        if user not in self.probes:
            self.probes[user] = ImportProbe(
                SQLITE_PRELOAD, (*self._as(user, home), self.python, "-s"), self.root
            )
            outputs = self.root / "outputs" / user
            outputs.mkdir(parents=True)
            account = pwd.getpwnam(user)
            os.chown(outputs, account.pw_uid, account.pw_gid)
            outputs.chmod(0o700)
        return self.probes[user].run(
            [*args],
            self.env(user, home, env),
            self.root,
            self.root / "outputs" / user,
            umask=int(umask, 8),
        )

    def close(self) -> None:
        """End the users' probes (:meth:`forked`)."""
        for probe in self.probes.values():
            probe.close()
        self.probes.clear()


def _open_up(root: Path) -> None:
    """Everyone may read and enter everything under ``root`` (and nobody may write it)."""
    for directory, _dirs, files in os.walk(root):
        os.chmod(directory, 0o755)
        for name in files:
            path = Path(directory) / name
            if not path.is_symlink():
                path.chmod(0o755 if os.access(path, os.X_OK) else 0o644)


class Accounts:
    """Groups and users made for one test and removed after it."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.tag = uuid.uuid4().hex[:6]
        self.groups: list[str] = []
        self.users: list[str] = []

    def group(self, stem: str) -> str:
        name = f"hd{stem}{self.tag}"
        _account_tool(["groupadd", name])
        self.groups.append(name)
        return name

    def user(self, stem: str, groups: Sequence[str] = ()) -> str:
        name = f"hd{stem}{self.tag}"
        command = ["useradd", "-m", "-d", str(self.home(name)), "-s", "/bin/sh"]
        if groups:
            command += ["-G", ",".join(groups)]
        _account_tool([*command, name])
        self.users.append(name)
        return name

    def join(self, user: str, group: str) -> None:
        """``usermod -aG GROUP USER``, as README.md's team section says."""
        _account_tool(["usermod", "-aG", group, user])

    def home(self, user: str) -> Path:
        return self.root / "home" / user

    def remove(self) -> None:
        """Each user's processes ended first (a warm command server a test's CLI started
        lives on after the test): ``userdel`` refuses a user with a running process, and
        one such user was left on the machine by every run of the suite."""
        for name in self.users:
            _end_processes_of(name)
            _account_tool(["userdel", "-r", name], check=False)
        for name in self.groups:
            _account_tool(["groupdel", name], check=False)


ACCOUNT_TOOL_TRIES = 100
"""How often an account tool is run again while another holds the account files' lock."""


def _account_tool(command: list[str], *, check: bool = True) -> None:
    """``useradd``, ``userdel``… run again while another process holds ``/etc/passwd``'s or
    ``/etc/group``'s lock (the two workers of ``-n 2`` make and remove accounts at once), or
    while the user to remove still has a process: "cannot lock /etc/passwd; try again
    later" or "user … is currently used by process …" left a user behind on most runs."""
    for _ in range(ACCOUNT_TOOL_TRIES):
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode == 0 or not _passing(done.stderr):
            break
        if command[0] == "userdel":  # (a process of theirs started or not yet reaped)
            _end_processes_of(command[-1])
        select.select([], [], [], 0.05)
    if check and done.returncode != 0:
        raise subprocess.CalledProcessError(done.returncode, command, done.stdout, done.stderr)


def _passing(error: str) -> bool:
    """Whether an account tool's failure passes: another holds the account files' lock, or
    the user to remove still has a process (one just killed and not yet reaped)."""
    return "lock" in error or "used by process" in error


def _end_processes_of(user: str) -> None:
    """SIGKILL every process of ``user`` (read from ``/proc``: no procps needed)."""
    import signal

    try:
        uid = pwd.getpwnam(user).pw_uid
    except KeyError:
        return
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            owner = entry.stat().st_uid
        except OSError:  # (ended meanwhile)
            continue
        if owner == uid:
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(int(entry.name), signal.SIGKILL)


def can_make_accounts() -> str | None:
    """Why throw-away users cannot be made here (None: they can)."""
    if os.geteuid() != 0:
        return "root (to create throw-away users and groups)"
    tools = ("useradd", "usermod", "groupadd", "runuser")
    missing = [tool for tool in tools if not shutil.which(tool)]
    if missing:
        return f"{', '.join(missing)} (package passwd / util-linux)"
    return None


@contextmanager
def accounts(root: Path) -> Iterator[Accounts]:
    """Throw-away accounts, removed however the test ends."""
    made = Accounts(root)
    try:
        yield made
    finally:
        made.remove()
