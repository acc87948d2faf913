"""Real mail servers for tests: Dovecot (IMAP) from a temp dir and aiosmtpd (SMTP), on loopback.

Both servers can be stopped and started again on the same port, so tests can cut the
connection under a running poller or outbox and watch it recover.
"""

from __future__ import annotations

import os
import pwd
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from imapclient import IMAPClient

from tests.ports import MAIL_PORTS, reserve

HOST = "127.0.0.1"
_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 10.0


class DovecotMissing(RuntimeError):
    """Dovecot's binaries are not installed (Debian package ``dovecot-imapd``)."""


def free_port() -> int:
    """A TCP port on loopback that nothing listens on, and that no other test server (in
    this process or another) will be given while this process runs (``tests/ports.py``): a
    server stopped by a test starts again on it, and meanwhile it refuses connections."""
    return reserve(MAIL_PORTS)


def find_dovecot() -> str:
    """Path of the ``dovecot`` master binary; it lives in /usr/sbin, often not on PATH."""
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    path = shutil.which("dovecot", path=search)
    if path is None:
        raise DovecotMissing("dovecot is not installed (apt-get install dovecot-imapd)")
    return path


def dovecot_version(binary: str) -> tuple[int, int]:
    out = subprocess.run(
        [binary, "--version"], capture_output=True, text=True, check=True, timeout=10
    ).stdout
    match = re.match(r"(\d+)\.(\d+)", out.strip())
    if match is None:
        raise RuntimeError(f"cannot read Dovecot's version from {out!r}")
    return int(match.group(1)), int(match.group(2))


@dataclass(frozen=True)
class _Identities:
    """Which system users Dovecot's processes and the mail files run as."""

    login_user: str
    internal_user: str
    mail_uid: int
    mail_gid: int


def _identities() -> _Identities:
    """As root, imap-login must drop to an unprivileged user and mail may not belong to root.

    Debian's package creates ``dovenull`` and ``dovecot``; ``nobody`` always exists and owns
    the test mail (``first_valid_uid = 1`` lets its uid through). As a normal user everything
    runs as that user, the only identity Dovecot can use then.
    """
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return _Identities(me.pw_name, me.pw_name, me.pw_uid, me.pw_gid)
    nobody = pwd.getpwnam("nobody")
    return _Identities("dovenull", "dovecot", nobody.pw_uid, nobody.pw_gid)


def _services(port: int, kept: str) -> str:
    """Listeners, the same in 2.3 and 2.4 syntax.

    The anvil socket for auth penalties is made unusable so that a test logging in with a
    wrong password does not delay every later login from 127.0.0.1 by up to 15 seconds.

    Login and mail processes are kept for the next connection (``service_count = 0``, the
    "high-performance" mode of Dovecot's manual; every mail user here has the same uid), not
    a new ``imap-login`` and a new ``imap`` process started for each: the tests log in
    thousands of times, and each new pair cost Dovecot 12 ms of CPU (2 ms kept; 100 logins
    2.2 s → 0.8 s). Each connection is still its own session, logged in and out as before.
    ``kept`` is that setting in the version's syntax (2.4 renamed ``service_count``).
    """
    return f"""\
service imap-login {{
  inet_listener imap {{
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  {kept}
  process_min_avail = 1
}}
service imap {{
  {kept}
}}
service anvil {{
  unix_listener anvil-auth-penalty {{
    mode = 0
  }}
}}
"""


def _config_23(root: Path, port: int, ids: _Identities) -> str:
    return f"""\
instance_name = helpdesk-test-{port}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = {HOST}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_login_user = {ids.login_user}
default_internal_user = {ids.internal_user}
first_valid_uid = 1
mail_location = maildir:~/Maildir
mail_max_userip_connections = 100
passdb {{
  driver = passwd-file
  args = {root}/passwd
}}
userdb {{
  driver = passwd-file
  args = {root}/passwd
}}
{_services(port, "service_count = 0")}"""


def _config_24(root: Path, port: int, ids: _Identities) -> str:
    """The same server in 2.4 syntax (named passdb/userdb, mail_driver/mail_path)."""
    return f"""\
dovecot_config_version = 2.4.0
dovecot_storage_version = 2.4.0
instance_name = helpdesk-test-{port}
base_dir = {root}/run
state_dir = {root}/state
log_path = {root}/dovecot.log
protocols = imap
listen = {HOST}
ssl = no
auth_allow_cleartext = yes
auth_mechanisms = plain login
auth_failure_delay = 0
default_login_user = {ids.login_user}
default_internal_user = {ids.internal_user}
first_valid_uid = 1
mail_driver = maildir
mail_path = ~/Maildir
mail_max_userip_connections = 100
passdb passwd-file {{
  passwd_file_path = {root}/passwd
}}
userdb passwd-file {{
  passwd_file_path = {root}/passwd
}}
{_services(port, "restart_request_count = unlimited")}"""


def _signal_group(group: int, signum: int) -> bool:
    """Signal a process group; False once no process is left in it."""
    try:
        os.killpg(group, signum)
    except ProcessLookupError:
        return False
    return True


class DovecotServer:
    """One Dovecot instance under a private temp dir, with a pool of unused mail users.

    The users are written to passwd-file before Dovecot starts: Dovecot re-reads a changed
    passwd-file at most once a second, so a user added while it runs may not log in yet.
    """

    POOL_SIZE = 2000

    def __init__(self) -> None:
        self.binary = find_dovecot()
        self.version = dovecot_version(self.binary)
        self.host = HOST
        self.port = free_port()
        self._ids = _identities()
        # A short path under /tmp: Dovecot's unix sockets must fit in 108 bytes, and the
        # unprivileged login and mail processes must be able to traverse it.
        self.root = Path(tempfile.mkdtemp(prefix="helpdesk-dovecot-"))
        self.root.chmod(0o755)
        for sub in ("run", "state", "home"):
            (self.root / sub).mkdir()
        os.chown(self.root / "home", self._ids.mail_uid, self._ids.mail_gid)
        self.passwd_file = self.root / "passwd"
        self.passwd_file.write_text(
            "".join(
                f"{user}:{{PLAIN}}{password}:{self._ids.mail_uid}:{self._ids.mail_gid}"
                f"::{self.root / 'home' / user}::\n"
                for user, password in map(self._account, range(1, self.POOL_SIZE + 1))
            )
        )
        self.passwd_file.chmod(0o644)
        self.config_file = self.root / "dovecot.conf"
        make_config = _config_24 if self.version >= (2, 4) else _config_23
        self.config_file.write_text(make_config(self.root, self.port, self._ids))
        self.log_file = self.root / "dovecot.log"
        self._stderr_file = self.root / "stderr.log"
        self._process: subprocess.Popen[bytes] | None = None
        self._used = 0
        self._lock = threading.Lock()

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @staticmethod
    def _account(number: int) -> tuple[str, str]:
        return f"user{number}", f"secret-{number}"

    def new_account(self) -> tuple[str, str]:
        """User name and password of a mail user nobody has used yet (empty INBOX)."""
        with self._lock:
            if self._used == self.POOL_SIZE:
                raise RuntimeError(f"all {self.POOL_SIZE} test mail users are used up")
            self._used += 1
            return self._account(self._used)

    def start(self) -> None:
        if self.running:
            return
        # Foreground (-F) in a process group of its own, so stop() reaches exactly the
        # processes this server started.
        with self._stderr_file.open("ab") as stderr:
            self._process = subprocess.Popen(
                [self.binary, "-F", "-c", str(self.config_file)],
                stdin=subprocess.DEVNULL,
                stdout=stderr,
                stderr=stderr,
                start_new_session=True,
            )
        deadline = time.monotonic() + _START_TIMEOUT
        while time.monotonic() < deadline:
            if self._process.poll() is not None:
                self._process = None
                raise RuntimeError(f"Dovecot exited on start-up:\n{self._failure_text()}")
            if self._greets():
                return
            time.sleep(0.02)
        self.stop()
        raise RuntimeError(f"Dovecot did not answer on port {self.port}:\n{self._failure_text()}")

    def stop(self) -> None:
        """Shut Dovecot down: open IMAP connections are dropped and the port is freed.

        The whole process group is signalled, because a stopping Dovecot master leaves
        running imap sessions behind (they would go on answering their clients).
        """
        process, self._process = self._process, None
        if process is None:
            return
        group = process.pid
        _signal_group(group, signal.SIGTERM)
        try:
            process.wait(_STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(_STOP_TIMEOUT)
        deadline = time.monotonic() + _STOP_TIMEOUT
        while _signal_group(group, 0) and time.monotonic() < deadline:
            time.sleep(0.02)
        _signal_group(group, signal.SIGKILL)

    def close(self) -> None:
        self.stop()
        shutil.rmtree(self.root, ignore_errors=True)

    def _greets(self) -> bool:
        try:
            with socket.create_connection((self.host, self.port), timeout=1) as sock:
                return sock.recv(64).startswith(b"* OK")
        except OSError:
            return False

    def _failure_text(self) -> str:
        texts = [
            path.read_text(errors="replace")[-4000:]
            for path in (self._stderr_file, self.log_file)
            if path.exists()
        ]
        return "\n".join(texts)


@dataclass
class ImapAccount:
    """A fresh mail user on a running Dovecot, with helpers to set up and inspect mail."""

    server: DovecotServer
    user: str
    password: str

    @property
    def host(self) -> str:
        return self.server.host

    @property
    def port(self) -> int:
        return self.server.port

    def connect(self) -> IMAPClient:
        """A logged-in client; the caller logs out (use it as a context manager)."""
        client = IMAPClient(self.host, port=self.port, ssl=False, timeout=10)
        client.login(self.user, self.password)
        return client

    def append(self, folder: str, raw: bytes, flags: Sequence[str | bytes] = ()) -> int:
        """Store a message and return its UID (from UIDPLUS's APPENDUID)."""
        with self.connect() as client:
            response = client.append(folder, raw, flags=tuple(flags))
        match = re.search(rb"APPENDUID \d+ (\d+)", response)
        if match is None:
            raise RuntimeError(f"no APPENDUID in {response!r}")
        return int(match.group(1))

    def create_folder(self, folder: str) -> None:
        with self.connect() as client:
            client.create_folder(folder)

    def list_uids(self, folder: str = "INBOX") -> list[int]:
        with self.connect() as client:
            client.select_folder(folder, readonly=True)
            return sorted(client.search("ALL"))

    def fetch_flags(self, folder: str = "INBOX") -> dict[int, tuple[bytes, ...]]:
        """Flags by UID, e.g. ``{1: (b"\\\\Seen",)}``; ``\\Recent`` is left out."""
        with self.connect() as client:
            client.select_folder(folder, readonly=True)
            flags = client.get_flags(client.search("ALL"))
        return {uid: tuple(f for f in found if f != b"\\Recent") for uid, found in flags.items()}

    def fetch_raw(self, folder: str, uid: int) -> bytes:
        with self.connect() as client:
            client.select_folder(folder, readonly=True)
            data = client.fetch([uid], ["BODY.PEEK[]"])
        return bytes(data[uid][b"BODY[]"])

    def uidvalidity(self, folder: str = "INBOX") -> int:
        with self.connect() as client:
            status = client.folder_status(folder, [b"UIDVALIDITY"])
        return int(status[b"UIDVALIDITY"])

    def stop(self) -> None:
        self.server.stop()

    def start(self) -> None:
        self.server.start()


@dataclass(frozen=True)
class ReceivedMail:
    """One message the SMTP server accepted: the envelope and the bytes as sent."""

    mail_from: str
    rcpt_tos: tuple[str, ...]
    raw: bytes


class _CollectingHandler:
    def __init__(self, owner: SmtpServer) -> None:
        self._owner = owner

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:
        if self._owner.on_data is not None:
            self._owner.on_data(list(envelope.rcpt_tos))
        reply = self._owner.respond_with
        if reply is not None:
            return reply
        content = envelope.original_content or b""
        self._owner._received(
            ReceivedMail(
                mail_from=envelope.mail_from or "",
                rcpt_tos=tuple(envelope.rcpt_tos),
                raw=bytes(content),
            )
        )
        return "250 Message accepted for delivery"


class SmtpServer:
    """aiosmtpd on loopback that keeps what it receives; restartable on the same port.

    Set ``respond_with`` (e.g. ``"451 4.3.0 Try again later"``) to refuse messages at DATA
    instead of accepting them.
    """

    def __init__(self) -> None:
        self.host = HOST
        self.port = free_port()
        self.respond_with: str | None = None
        self.on_data: Callable[[list[str]], None] | None = None
        """Called (in the server's thread) with a message's recipients when its data has
        come, before the server answers: something that happens while a mail is on the wire."""
        self._messages: list[ReceivedMail] = []
        self._condition = threading.Condition()
        self._controller: Controller | None = None

    @property
    def running(self) -> bool:
        return self._controller is not None

    @property
    def messages(self) -> list[ReceivedMail]:
        """A snapshot of the messages received so far, oldest first."""
        with self._condition:
            return list(self._messages)

    def clear(self) -> None:
        with self._condition:
            self._messages.clear()

    def wait_for(self, count: int, timeout: float | None = None) -> list[ReceivedMail]:
        """Block until at least ``count`` messages arrived; TimeoutError after ``timeout``
        (a guard against a hang, by default the suite's ``HANG_SECONDS``: 10 s was short of
        what a loaded machine takes)."""
        if timeout is None:
            from tests.conftest import HANG_SECONDS  # (not at import: benchmarks use this)

            timeout = HANG_SECONDS
        with self._condition:
            if not self._condition.wait_for(lambda: len(self._messages) >= count, timeout):
                raise TimeoutError(f"{len(self._messages)} of {count} messages after {timeout}s")
            return list(self._messages)

    def start(self) -> None:
        if self._controller is not None:
            return
        # A new Controller each time: a stopped one has closed its event loop.
        controller = Controller(_CollectingHandler(self), hostname=self.host, port=self.port)
        controller.start()
        self._controller = controller

    def stop(self) -> None:
        controller, self._controller = self._controller, None
        if controller is not None:
            controller.stop()

    def _received(self, mail: ReceivedMail) -> None:
        with self._condition:
            self._messages.append(mail)
            self._condition.notify_all()


def message_bytes(lines: Iterable[str]) -> bytes:
    """Join header and body lines into CRLF-terminated raw message bytes."""
    return "".join(f"{line}\r\n" for line in lines).encode()
