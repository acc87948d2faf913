"""The IMAP poller: new mail in a folder → ingest → commit → only then \\Seen and moved away.

Order is what keeps mail from being lost or doubled:

1. Fetch a batch of UIDs above the folder's ``last_uid`` with ``BODY.PEEK[]`` (the server
   marks nothing). A batch is at most ``batch_size`` messages and ``batch_bytes`` bytes
   (by ``RFC822.SIZE``, asked first, for twenty batches at a time); one message over the
   byte budget comes alone.
2. Ingest them and advance ``last_uid`` in one database transaction.
3. After the commit, flag them ``\\Seen`` and move them to the processed folder (MOVE, or
   COPY + ``\\Deleted`` + UID EXPUNGE where the server lacks it); in a backlog a second
   thread (the IMAP thread) does it while the next batch is written, after fetching the
   batches ahead for the parse process.

A crash before 2 commits leaves the messages unread in the folder: they are fetched again.
A crash between 2 and 3 leaves messages in the folder whose UID is at most ``last_uid``:
the next connection moves them first thing ("catch-up") without importing them again. A
changed UIDVALIDITY starts the folder from UID 0; the dedupe keys make that harmless.

Parsing is pure Python, so a thread cannot run it beside the writing: when a backlog (more
than one batch) waits, a parse process (``spawn``ed, never a fork of this threaded process)
reads the next batches (up to four) while this one is written; it is kept for later polls. Whatever
it has not begun when the poller would otherwise wait (for its batch, for the move), did not
answer in time or failed on, the poller parses itself, from the last task back. Big
messages are always parsed here, by the streaming path.

While the server offers IDLE the poller waits in IDLE (re-issued every ``idle_restart``
seconds, under the ten minutes some servers and NAT boxes allow); otherwise it polls every
``poll_interval`` seconds. Any error drops the connection and reconnects with a doubling
wait capped at ``reconnect_max``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import dataclasses
import imaplib
import logging
import multiprocessing
import queue
import socket
import ssl
import threading
import time
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientError, LoginError

# The writer is loaded with the poller, not at its first batch: ``mail/ingest.py`` imports
# it only where it writes, so that the parse process, which only reads, starts light.
import helpdesk_tui.desk.intake  # noqa: F401
from helpdesk_tui.desk.mailstate import advance, check_uidvalidity, outcomes_by_uid, record_poll
from helpdesk_tui.desk.opening import and_what_to_check, database_problem
from helpdesk_tui.mail.check import server_text, tls_text
from helpdesk_tui.mail.ingest import (
    IngestConfig,
    ReadMessage,
    Source,
    ingest_batch,
    read_message,
    serve_reads,
)
from helpdesk_tui.mail.parse import BIG_MESSAGE_BYTES
from helpdesk_tui.mail_settings import MailboxSettings, MailSettings, Security
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.db_errors import from_the_database
from helpdesk_tui.storage.enums import clock_of, utcnow
from helpdesk_tui.storage.mail_models import Outcome

if TYPE_CHECKING:
    from sqlmodel import Session

log = logging.getLogger(__name__)

SEEN = b"\\Seen"
DELETED = b"\\Deleted"
_IDLE_CHECK_SECONDS = 1.0
_SHARED_PARSE_BYTES = 8 * 1024 * 1024
"""Batches up to this size are parsed by both threads at once; bigger ones by the reader
alone, one message at a time: parsing holds several times a message's size while it runs
(the standard library's parser), so two big messages parsed at once double the peak."""
_NEW_MAIL = frozenset({b"EXISTS", b"RECENT"})
_BIG_BYTES = BIG_MESSAGE_BYTES
"""A message over this size is big: it comes alone in its batch with nothing read ahead
beside it, is fetched in parts into one buffer, and is parsed (by the big-message path)
on the thread that writes it, after which freed memory goes back to the system."""
_FETCH_PART_BYTES = 1024 * 1024
"""Big messages are fetched in parts of this size (``BODY.PEEK[]<offset.length>``):
imaplib and imapclient hold a literal several times over while reading it (a 30 MB message
fetched whole peaked at 125 MiB)."""


_MALLOC_TRIM: Callable[[int], int] | None
try:
    _MALLOC_TRIM = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6").malloc_trim
except (OSError, AttributeError):  # not glibc (musl, macOS): nothing to give back this way
    _MALLOC_TRIM = None


def give_back_memory() -> None:
    """glibc's ``malloc_trim(0)`` after a big message: the freed heap it keeps (the dynamic
    mmap threshold puts the next 30 MB buffer on the heap) goes back to the system, so the
    next big message does not come on top of the last one's leftovers."""
    if _MALLOC_TRIM is not None:
        _MALLOC_TRIM(0)


class LeaseLost(Exception):
    """Another process holds the poller lease now; this one must stop touching the mailbox."""


def connect(box: MailboxSettings) -> IMAPClient:
    """A logged-in client for the mailbox (TLS, STARTTLS or plain, as configured)."""
    client = IMAPClient(
        box.host,
        port=box.effective_port,
        ssl=box.security is Security.TLS,
        ssl_context=ssl.create_default_context() if box.security is Security.TLS else None,
        timeout=box.timeout,
    )
    try:
        if box.security is Security.STARTTLS:
            client.starttls(ssl.create_default_context())
        client.login(box.user, box.password.get_secret_value())
    except BaseException:
        client.shutdown()
        raise
    return client


def describe_error(error: BaseException, box: MailboxSettings) -> str:
    """One line for the status display (never the password)."""
    if from_the_database(error):  # (storing what was read: not the mail server's fault)
        return and_what_to_check(f"the desk's database: {database_problem(error)}", error)[:500]
    where = f"{box.host}:{box.effective_port}"
    if isinstance(error, socket.gaierror):
        return f"cannot resolve {box.host}: {error.strerror or error}"
    if isinstance(error, ssl.SSLError):
        return f"TLS with {where} failed: {tls_text(error)}"
    if isinstance(error, ConnectionError | TimeoutError | socket.timeout):
        return f"cannot reach {where}: {error.strerror or type(error).__name__}"
    if isinstance(error, OSError):
        return f"connection to {where} failed: {error.strerror or error}"
    if isinstance(error, LoginError):
        return (
            f"{where} refused the login as {box.user}: {server_text(error)} "
            "(check the mailbox's user and password)"
        )[:500]
    return f"{where}: {server_text(error)}"[:500]


class MailboxPoller:
    """Imports one mailbox folder for as long as ``keep_going()`` says so."""

    def __init__(
        self,
        db: Database,
        name: str,
        box: MailboxSettings,
        mail: MailSettings,
        config: IngestConfig,
        *,
        stop: threading.Event,
        keep_going: Callable[[], bool] = lambda: True,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        """``clock``: the desk's (``Desk.clock``): what a poll writes (tickets, their
        acknowledgements, the folder's last poll) is stamped by it, as the outbox sender
        reads it (mail queued by the wall's clock was not due by a desk's earlier one)."""
        self.db = db
        self.clock = clock
        self.name = name
        self.box = box
        self.mail = mail
        self.config = config
        self.stop = stop
        self.keep_going = keep_going
        self.imported = 0
        """Messages this poller has committed (for logs and the benchmark)."""
        self._known: list[tuple[int, int]] = []
        """UIDs (with their sizes) this poll found new and has not fetched yet."""
        self._unknown = 0
        """New messages beyond those, as last searched."""
        self.parse_worker = _WorkerSlot(name, config)
        """The process that parses a backlog beside the poller, started when first needed
        and kept until the poller stops."""

    # -- the loop ------------------------------------------------------------------------

    def run(self) -> None:
        """Connect, catch up, wait for mail, repeat; reconnect with backoff on any failure.

        Returns when ``stop`` is set or the lease is lost.
        """
        try:
            self._run()
        finally:
            self.parse_worker.close()

    def _run(self) -> None:
        failures = 0
        while not self.stop.is_set():
            try:
                with _Connection(self.box) as client:
                    self.prepare(client)
                    failures = 0
                    while not self.stop.is_set():
                        self.poll(client)
                        self._wait_for_mail(client)
            except LeaseLost:
                return
            except (OSError, IMAPClientError, imaplib.IMAP4.error, EOFError) as error:
                failures += 1
                self._failed(error)
            except Exception as error:
                # The database, or a bug: log it whole, keep the worker alive, try again.
                log.exception("mailbox %s: poll failed", self.name)
                failures += 1
                self._failed(error)
            if self.stop.is_set():
                return
            delay = min(self.mail.reconnect_max, 0.5 * 2 ** min(failures, 16))
            deadline = time.monotonic() + delay
            while not self.stop.is_set() and time.monotonic() < deadline:
                if not self.keep_going():
                    return
                self.stop.wait(min(1.0, deadline - time.monotonic()))

    def _failed(self, error: BaseException) -> None:
        text = describe_error(error, self.box)
        log.warning("mailbox %s: %s", self.name, text)
        try:
            with self._write() as session:
                record_poll(session, self.name, self.box.folder, error=text)
        except Exception:
            log.exception("mailbox %s: cannot record the error", self.name)

    @contextmanager
    def _write(self, *, bulk: bool = False) -> Iterator[Session]:
        """A write transaction stamped by the desk's clock (``clock_of``)."""
        with clock_of(self.clock), self.db.write(bulk=bulk) as session:
            yield session

    def _check_lease(self) -> None:
        if not self.keep_going():
            raise LeaseLost(self.name)

    def run_once(self) -> int:
        """Connect, import everything new, log out: for tools, tests and the benchmark."""
        try:
            with _Connection(self.box) as client:
                self.prepare(client)
                return self.poll(client)
        finally:
            self.parse_worker.close()

    def prepare(self, client: IMAPClient) -> None:
        """Create the folders mail is moved to, where the server lacks them."""
        for folder in {self.box.processed_folder, self.box.spam_folder} - {None}:
            assert folder is not None
            if not client.folder_exists(folder):
                client.create_folder(folder)

    # -- one poll ------------------------------------------------------------------------

    def poll(self, client: IMAPClient) -> int:
        """Import everything new in the folder; returns how many messages were committed."""
        self._check_lease()
        selected = client.select_folder(self.box.folder)
        uidvalidity = int(selected[b"UIDVALIDITY"])
        with self._write() as session:
            last_uid = check_uidvalidity(session, self.name, self.box.folder, uidvalidity)
        if last_uid:
            leftover = [uid for uid in client.search(["UID", f"1:{last_uid}"]) if uid <= last_uid]
            if leftover:
                log.info("mailbox %s: moving %d already imported", self.name, len(leftover))
                with self.db.read() as session:
                    outcomes = outcomes_by_uid(session, self.name, uidvalidity, leftover)
                self._finish(client, leftover, outcomes)
        committed = 0
        self._known, self._unknown = [], 0
        budget = self.mail.batch_bytes
        # In a backlog the IMAP thread fetches the batches ahead (for the parse process) and
        # flags and moves committed batches, :data:`_MOVE_BATCHES` at a time, while this
        # thread writes the next one: IMAP, the database and the parse process beside each
        # other. The connection is only ever used by one thread at a time (this one waits
        # for the IMAP thread's job before it uses the connection or starts the next job),
        # and every move follows its batches' commits.
        unmoved = _Unmoved()
        job: Future[list[_Ahead]] | None = None
        with (
            _Readers(self.name, self.config, self.parse_worker) as readers,
            ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"imap-{self.name}") as imap,
        ):
            known, _ = self._candidates(client, last_uid)
            # A backlog of small messages (more than a batch) starts the parse process
            # before the first batch is fetched: it takes ≈ 0.15 s of imports to come up.
            if sum(size <= _BIG_BYTES for _, size in known) > self.mail.batch_size:
                self.parse_worker.get(start=True)
            fetched = self._fetch(client, last_uid, uidvalidity, budget) if known else None
            reading = readers.early(fetched) or readers.late(fetched)
            further: deque[_Ahead] = deque()
            while fetched is not None and reading is not None:
                self._check_lease()
                batch, backlog = fetched.uids, fetched.backlog
                # The batches after this one the parse process reads: the poller reads
                # their last tasks itself while it waits (for this batch, for the IMAP job).
                later = [r for _, r in further if isinstance(r, _ReadingElsewhere)]
                if isinstance(reading, _ReadingElsewhere):
                    messages = reading.result(later)
                else:
                    messages = reading.result()
                # A failed job (fetch or move) ends the poll; what it had not moved is
                # caught up by the next connection.
                further.extend(_done(job, later))
                job = None
                # The next batch, fetched before this one is written where the IMAP thread
                # has not fetched it already. The parse process starts on it at once (and
                # on those after it); the reader thread (where there is no parse process)
                # only once the writing is done (waits on SQLite and the IMAP server): beside
                # the writing it would slow it down by competing for the GIL. It gets only
                # the bytes this batch leaves of the budget (none beside a big message).
                ahead: _Fetched | None
                if further:
                    ahead, ahead_reading = further.popleft()
                else:
                    left = 0 if fetched.big else budget - fetched.size
                    ahead = self._fetch(client, batch[-1], uidvalidity, left)
                    ahead_reading = readers.early(ahead)
                held: list[_Fetched] = []
                if ahead is not None and ahead_reading is not None:
                    held = [fetched, ahead, *(following for following, _ in further)]
                # Moved beside this batch's writing: committed batches, _MOVE_BATCHES at a
                # time, and all of them before the last batch (only it is moved after the loop).
                last = ahead is None and len(unmoved) > 0
                to_move = unmoved.take() if len(unmoved) >= _MOVE_BATCHES or last else None
                if to_move is not None or held:
                    job = imap.submit(
                        self._imap_job, client, uidvalidity, budget, readers, held, to_move
                    )
                with self._write(bulk=True) as session:
                    results = ingest_batch(session, messages, self.config)
                    outcomes = {
                        message.source.uid: result.outcome
                        for message, result in zip(messages, results, strict=True)
                        if message.source is not None
                    }
                    # This batch's raw and parsed copies go before the next is parsed.
                    del messages, results
                    reading.release()
                    advance(session, self.name, self.box.folder, batch[-1])
                    record_poll(session, self.name, self.box.folder, backlog=backlog)
                    reading = ahead_reading or readers.late(ahead)
                if fetched.big:
                    give_back_memory()
                committed += len(outcomes)
                self.imported += len(outcomes)
                unmoved.add([uid for uid in batch if uid in outcomes], outcomes)
                fetched = ahead
                if fetched is not None and reading is None:  # did not fit beside this batch
                    further.extend(_done(job))
                    job = None
                    self._finish(client, *unmoved.take())
                    fetched = self._fetch(client, batch[-1], uidvalidity, budget)
                    reading = readers.early(fetched) or readers.late(fetched)
            further.extend(_done(job))
            self._finish(client, *unmoved.take())
        with self._write() as session:
            record_poll(session, self.name, self.box.folder, backlog=0)
        return committed

    def _imap_job(
        self,
        client: IMAPClient,
        uidvalidity: int,
        budget: int,
        readers: _Readers,
        held: list[_Fetched],
        committed: tuple[list[int], dict[int, str]] | None,
    ) -> list[_Ahead]:
        """The IMAP thread's work while a batch is written: the batches ahead of ``held``
        (see :meth:`_fetch_further`; none when ``held`` is empty), then the flag and move of
        the ``committed`` batches. Fetching first gives the parse process its work sooner."""
        ahead = self._fetch_further(client, uidvalidity, budget, readers, held) if held else []
        if committed is not None:
            self._finish(client, *committed)
        return ahead

    def _fetch_further(
        self,
        client: IMAPClient,
        uidvalidity: int,
        budget: int,
        readers: _Readers,
        held: list[_Fetched],
    ) -> list[_Ahead]:
        """Batches that keep the parse process :data:`_PARSE_AHEAD` batches ahead of the one
        being written (``held``: that one, then those fetched after it), within the byte
        budget the batches in hand leave. With one batch ahead it sat idle whenever it had
        read it before the poller had written the one before, and the poller parsed itself
        whatever it had not begun when it was the slower."""
        held = list(held)
        further: list[_Ahead] = []
        while len(held) - 1 < _PARSE_AHEAD and held[-1].uids and held[-1].backlog > 0:
            left = budget - sum(batch.size for batch in held)
            if left <= 0:
                break
            following = self._fetch(client, held[-1].uids[-1], uidvalidity, left)
            if following is None or not following.uids:
                break  # put off: fetched in its turn, with the budget then left
            further.append((following, readers.early(following)))
            held.append(following)
        return further

    def _fetch(
        self, client: IMAPClient, after_uid: int, uidvalidity: int, budget: int
    ) -> _Fetched | None:
        """The next batch above ``after_uid`` within ``budget`` bytes; None when there is no
        new mail. With less budget left than the first message needs, an empty batch
        ("later") unless the budget is the whole one: then that message comes alone.
        ``BODY.PEEK[]`` marks nothing on the server.
        """
        known, waiting = self._candidates(client, after_uid)
        if not known:
            return None
        batch: list[int] = []
        total = 0
        big = False
        for uid, size in known[: self.mail.batch_size]:
            if size > _BIG_BYTES and (batch or budget < self.mail.batch_bytes):
                break  # a big message comes alone, never beside another batch
            if total + size > budget and (batch or budget < self.mail.batch_bytes):
                break
            batch.append(uid)
            total += size
            if size > _BIG_BYTES:
                big = True
                break
        if not batch:
            return _Fetched([], waiting, [], 0)
        backlog = waiting - len(batch)
        if big:
            raw = _fetch_in_parts(client, batch[0], total)
            alone: list[tuple[bytes | bytearray, Source]] = []
            if raw is not None:
                alone.append((raw, Source(self.name, uidvalidity, batch[0])))
            return _Fetched(batch, backlog, alone, total, big=True)
        fetched = client.fetch(batch, ["BODY.PEEK[]"])
        raws: list[tuple[bytes | bytearray, Source]] = []
        for uid in batch:
            # A UID missing from the answer was expunged by someone else since the search.
            found = fetched.get(uid, {}).get(b"BODY[]")
            if found is not None:
                raws.append((bytes(found), Source(self.name, uidvalidity, uid)))
        del fetched
        return _Fetched(batch, backlog, raws, total)

    def _candidates(self, client: IMAPClient, after_uid: int) -> tuple[list[tuple[int, int]], int]:
        """The next UIDs above ``after_uid`` with their sizes, and how many new messages
        wait in all. One search and one size fetch serve :data:`_SIZES_AHEAD` batches (each
        round trip waits for the server, which has to share the CPUs with the poller and
        its parse process); when they are used up, the folder is searched again."""
        known = [(uid, size) for uid, size in self._known if uid > after_uid]
        if not known:
            new = sorted(
                uid for uid in client.search(["UID", f"{after_uid + 1}:*"]) if uid > after_uid
            )
            wanted = new[: self.mail.batch_size * _SIZES_AHEAD]
            if wanted:
                sizes = client.fetch(wanted, ["RFC822.SIZE"])
                known = [(uid, int(sizes.get(uid, {}).get(b"RFC822.SIZE", 0))) for uid in wanted]
            self._unknown = len(new) - len(wanted)
        self._known = known
        return known, len(known) + self._unknown

    def _finish(self, client: IMAPClient, uids: Sequence[int], outcomes: dict[int, str]) -> None:
        """Mark committed messages read and move them out of the folder."""
        if not uids:
            return
        client.add_flags(uids, [SEEN], silent=True)
        by_folder: dict[str, list[int]] = defaultdict(list)
        spam_folder = self.box.spam_folder
        for uid in uids:
            is_spam = outcomes.get(uid) == Outcome.SPAM
            by_folder[spam_folder if spam_folder and is_spam else self.box.processed_folder].append(
                uid
            )
        for folder, group in by_folder.items():
            if client.has_capability("MOVE"):
                client.move(group, folder)
                continue
            client.copy(group, folder)
            client.add_flags(group, [DELETED], silent=True)
            if client.has_capability("UIDPLUS"):
                client.uid_expunge(group)
            else:
                client.expunge()

    # -- waiting -------------------------------------------------------------------------

    def _wait_for_mail(self, client: IMAPClient) -> None:
        if client.has_capability("IDLE"):
            self._idle(client)
            return
        deadline = time.monotonic() + self.mail.poll_interval
        while not self.stop.is_set() and time.monotonic() < deadline:
            self._check_lease()
            self.stop.wait(min(1.0, max(0.0, deadline - time.monotonic())))
        client.noop()

    def _idle(self, client: IMAPClient) -> None:
        """IDLE until new mail, stop, or ``idle_restart`` seconds (then the caller re-polls)."""
        client.idle()
        if _arrived_before_idle(client):
            client.idle_done()
            return
        deadline = time.monotonic() + self.mail.idle_restart
        early_empty = 0
        try:
            while not self.stop.is_set() and time.monotonic() < deadline:
                started = time.monotonic()
                responses = client.idle_check(timeout=_IDLE_CHECK_SECONDS)
                if any(len(r) > 1 and r[1] in _NEW_MAIL for r in responses):
                    return
                if any(r and r[0] == b"BYE" for r in responses):
                    raise ConnectionResetError("the server closed the connection (BYE)")
                # imapclient answers a closed socket with an immediate empty list.
                quick = not responses and time.monotonic() - started < _IDLE_CHECK_SECONDS / 2
                early_empty = early_empty + 1 if quick else 0
                if early_empty >= 3:
                    raise ConnectionResetError("the server closed the connection")
                self._check_lease()
        finally:
            client.idle_done()


def _done(
    job: Future[list[_Ahead]] | None, later: Sequence[_ReadingElsewhere] = ()
) -> list[_Ahead]:
    """Wait for the IMAP thread's job (the connection is the poller's again), reading the
    last tasks of the ``later`` batches meanwhile; the batches it fetched, or its error."""
    if job is None:
        return []
    while not job.done() and _read_last_here(later):
        pass
    return job.result()


def _arrived_before_idle(client: IMAPClient) -> bool:
    """Mail that arrived between the last search and IDLE's start.

    The server may announce it (``* 1 EXISTS``) just before confirming IDLE; imaplib files
    that away with its untagged responses, where ``idle_check`` never looks.
    """
    pending = client._imap.untagged_responses
    found = [key for key in list(pending) if str(key).upper() in ("EXISTS", "RECENT")]
    for key in found:
        pending.pop(key, None)
    return bool(found)


class _Unmoved:
    """Committed batches not flagged and moved yet: their UIDs and outcomes."""

    def __init__(self) -> None:
        self._batches = 0
        self._uids: list[int] = []
        self._outcomes: dict[int, str] = {}

    def __len__(self) -> int:
        return self._batches

    def add(self, uids: list[int], outcomes: dict[int, str]) -> None:
        self._batches += 1
        self._uids += uids
        self._outcomes.update(outcomes)

    def take(self) -> tuple[list[int], dict[int, str]]:
        """All of them (none moved yet), to move; this is left empty."""
        taken = (self._uids, self._outcomes)
        self._batches, self._uids, self._outcomes = 0, [], {}
        return taken


@dataclass
class _Fetched:
    uids: list[int]
    """The batch's UIDs, as searched (some may have been expunged since); empty when the
    batch was put off because it did not fit in the byte budget left."""
    backlog: int
    """New messages behind this batch."""
    raws: list[tuple[bytes | bytearray, Source]]
    """Until :meth:`MailboxPoller._read` hands them to a :class:`_Reading`."""
    size: int
    """Bytes the batch takes (by ``RFC822.SIZE``)."""
    big: bool = False
    """One message over :data:`_BIG_BYTES`, alone."""


def _fetch_in_parts(client: IMAPClient, uid: int, size: int) -> bytearray | None:
    """One message, :data:`_FETCH_PART_BYTES` at a time, into one buffer of its
    ``RFC822.SIZE`` (kept as it is: ``bytes`` of it would be a second copy); None when it
    is gone (even half-way).

    Parts are asked for until one comes back short, not up to ``RFC822.SIZE``, which a
    server may count differently from the bytes it sends.
    """
    buffer = bytearray(size)
    filled = 0
    while True:
        answer = client.fetch([uid], [f"BODY.PEEK[]<{filled}.{_FETCH_PART_BYTES}>"])
        part = next(
            (value for key, value in answer.get(uid, {}).items() if key.startswith(b"BODY[]")),
            None,
        )
        del answer
        if part is None:  # expunged meanwhile: no message rather than a cut one
            return None
        buffer[filled : filled + len(part)] = part
        filled += len(part)
        if len(part) < _FETCH_PART_BYTES:
            del buffer[filled:]
            return buffer


class _Reading:
    """One batch being parsed: by the reader thread while the poller waits on I/O, then by
    the poller itself as well, for what is left when it needs the batch.

    Each message is claimed under a lock by whichever thread gets to it first, so the
    poller never sits idle waiting for the reader. A big batch (not ``shared``) is left to
    the reader, so that only one message is being parsed at a time.
    """

    def __init__(
        self, raws: list[tuple[bytes | bytearray, Source]], config: IngestConfig, *, shared: bool
    ) -> None:
        self._raws = raws
        self._config = config
        self._shared = shared
        self._read: list[ReadMessage | None] = [None] * len(raws)
        self._next = 0
        self._lock = threading.Lock()
        self.started: Future[None] | None = None

    def work(self) -> None:
        while True:
            with self._lock:
                index = self._next
                if index >= len(self._raws):
                    return
                self._next += 1
            raw, source = self._raws[index]
            self._read[index] = read_message(raw, source, self._config)

    def result(self) -> list[ReadMessage]:
        """Every message read, in order (helping with the rest, then waiting for the reader)."""
        if self._shared or self.started is None:
            self.work()
        if self.started is not None:
            self.started.result()
        done = [message for message in self._read if message is not None]
        assert len(done) == len(self._raws)
        return done

    def release(self) -> None:
        """Drop the raw and parsed messages (once ingested), keeping none alive by accident."""
        self._raws = []
        self._read = []


class _Readers:
    """Where fetched batches are parsed (parsing needs no database): the parse process, the
    reader thread, or for a big message the thread that writes it."""

    def __init__(self, name: str, config: IngestConfig, worker: _WorkerSlot) -> None:
        self._config = config
        self._worker = worker
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"read-{name}")

    def __enter__(self) -> _Readers:
        return self

    def __exit__(self, *_exc: object) -> None:
        self._thread.shutdown(wait=True)
        self._worker.forget()

    def early(self, fetched: _Fetched | None) -> _ReadingElsewhere | None:
        """The batch handed to the parse process now, if it goes there: not a big message
        (parsed in the poller by the streaming path, so memory stays bounded), and only
        once a backlog (more than one batch waiting) has started the process."""
        if fetched is None or not fetched.uids or fetched.big:
            return None
        worker = self._worker.get(start=fetched.backlog > 0)
        if worker is None:
            return None
        reading = _ReadingElsewhere(fetched.raws, self._config, worker)
        fetched.raws = []
        return reading

    def late(self, fetched: _Fetched | None) -> _Reading | None:
        """The batch handed to the reader thread (a big one to the writing thread, when it
        reads the result). The reading takes the raw messages over (the batch keeps no
        second reference). None for no batch, or one put off for lack of budget.
        """
        if fetched is None or not fetched.uids:
            return None
        reading = _Reading(fetched.raws, self._config, shared=fetched.size <= _SHARED_PARSE_BYTES)
        fetched.raws = []
        if not fetched.big:
            # A big message is parsed by the thread that writes it, when it needs it: in
            # the reader thread its buffers would stay in that thread's glibc arena.
            reading.started = self._thread.submit(reading.work)
        return reading


# --- the parse process ----------------------------------------------------------------------

_SIZES_AHEAD = 20
"""Batches of UIDs whose sizes are asked for at once."""
_MOVE_BATCHES = 4
"""Committed batches flagged and moved together in a backlog (the rest at the poll's end):
Dovecot spent 0.20 s of CPU flagging and moving 2,000 messages fifty at a time, 0.07 s two
hundred at a time, on the two cores the poller and its parse process share."""
_PARSE_AHEAD = 4
"""Batches fetched and handed to the parse process beyond the one being written."""
_WORKER_TASK = 5
"""Messages per task sent to the parse process."""
_WORKER_WAIT = 30.0
"""Seconds the poller waits for a task the parse process has begun; then it stops the
process and parses the task itself."""
_WORKER_RETRY = 60.0
"""Seconds after a parse process failed before another is started."""
_WORKER_STOP = 2.0
"""Seconds a stopping parse process gets to end by itself before it is killed."""
_SLOTS = 1024
"""Task ids are noted in shared arrays at ``id % _SLOTS`` (see :func:`~.ingest.serve_reads`);
far more than are ever in flight."""


def _reading_config(config: IngestConfig) -> IngestConfig:
    """What :func:`read_message` needs, for the parse process: no routing rules (the desk's,
    not the reader's; they hold a file watcher that need not cross)."""
    return dataclasses.replace(config, desk=dataclasses.replace(config.desk, router=None))


class _ParseWorker:
    """One parse process (``spawn``: a fresh interpreter, never a fork of the threaded
    poller) and the two threads that talk to it, so the poller itself never blocks on a
    pipe: it hands tasks over (:meth:`submit`) and waits for an answer (:meth:`collect`)
    at most :data:`_WORKER_WAIT` seconds. On any failure the process is stopped and
    ``collect`` answers None: the poller parses that task itself.
    """

    def __init__(self, name: str, config: IngestConfig) -> None:
        context = multiprocessing.get_context("spawn")
        self._started = context.RawArray("q", _SLOTS)
        self._taken = context.RawArray("q", _SLOTS)
        task_reader, self._tasks = context.Pipe(duplex=False)
        self._results, result_writer = context.Pipe(duplex=False)
        self.process = context.Process(
            target=serve_reads,
            args=(task_reader, result_writer, self._started, self._taken, _reading_config(config)),
            name=f"helpdesk-parse-{name}",
            daemon=True,
        )
        self.process.start()
        task_reader.close()
        result_writer.close()
        self._condition = threading.Condition()
        self._waiting: set[int] = set()
        self._done: dict[int, list[ReadMessage] | None] = {}
        self._next = 1
        self.failed = False
        self.counts: Counter[str] = Counter()
        """Tasks read there, taken back (read here), and read here after a failure."""
        self._outgoing: queue.SimpleQueue[tuple[int, list[Any]] | None] = queue.SimpleQueue()
        self._sender = threading.Thread(target=self._send, name=f"parse-send-{name}", daemon=True)
        self._receiver = threading.Thread(
            target=self._receive, name=f"parse-receive-{name}", daemon=True
        )
        self._sender.start()
        self._receiver.start()

    def submit(self, raws: Sequence[tuple[bytes | bytearray, Source]]) -> int:
        """Hand a task over; its id."""
        task_id = self._next
        self._next += 1
        with self._condition:
            if self.failed:  # nothing is sent: the poller parses it (take_back says so)
                return task_id
            self._waiting.add(task_id)
        self._outgoing.put((task_id, [(bytes(raw), source) for raw, source in raws]))
        return task_id

    def take_back(self, task_id: int) -> bool:
        """Keep the process off this task if it has not begun it; whether it had not (and
        the poller parses it)."""
        with self._condition:
            if task_id in self._done:
                return False
            if self.failed:
                self._waiting.discard(task_id)
                self.counts["read here after all"] += 1
                return True
        slot = task_id % _SLOTS
        self._taken[slot] = task_id
        if self._started[slot] == task_id:
            return False  # begun there (or about to skip it): its answer comes
        self._forget(task_id)
        self.counts["taken back"] += 1
        return True

    def collect(self, task_id: int, timeout: float | None = None) -> list[ReadMessage] | None:
        """The task's messages read there (without their raw bytes); None when the poller
        must parse it: skipped, failed there, the process died or took too long."""
        deadline = time.monotonic() + (_WORKER_WAIT if timeout is None else timeout)
        with self._condition:
            while task_id not in self._done and not self.failed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._condition.wait(left)
            answered = task_id in self._done
            result = self._done.pop(task_id, None)
            self._waiting.discard(task_id)
        if not answered and not self.failed:
            log.warning("the parse process did not answer in %.0f s; stopping it", _WORKER_WAIT)
            self.stop(kill=True)
        self.counts["read there" if result is not None else "read here after all"] += 1
        return result

    def answered(self, task_id: int) -> bool:
        """Whether :meth:`collect` has the task's answer now (or the process failed)."""
        with self._condition:
            return task_id in self._done or self.failed

    def forget(self) -> None:
        """Tasks no one will collect (a poll that ended early): skipped there, dropped here."""
        with self._condition:
            pending = list(self._waiting)
        for task_id in pending:
            self._taken[task_id % _SLOTS] = task_id
            self._forget(task_id)

    def _forget(self, task_id: int) -> None:
        with self._condition:
            self._waiting.discard(task_id)
            self._done.pop(task_id, None)

    def _send(self) -> None:
        while True:
            task = self._outgoing.get()
            if task is None:
                break
            try:
                self._tasks.send(task)
            except (OSError, ValueError):
                self._fail()
                break
        self._tasks.close()  # the process reads to the end, then stops

    def _receive(self) -> None:
        try:
            while True:
                task_id, read = self._results.recv()
                with self._condition:
                    if task_id in self._waiting:
                        self._done[task_id] = read
                        self._condition.notify_all()
        except (OSError, EOFError, ValueError):
            pass
        except Exception:  # an answer that cannot be unpickled: treat it as a failure
            log.warning("the parse process sent something unreadable", exc_info=True)
        self._fail()

    def _fail(self) -> None:
        with self._condition:
            self.failed = True
            self._condition.notify_all()

    def stop(self, *, kill: bool = False) -> None:
        """End the process: politely (its pipe closed, it finishes what it holds), or at
        once; every wait bounded."""
        self._fail()
        self._outgoing.put(None)
        if kill:
            self.process.kill()
        self.process.join(_WORKER_STOP)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(_WORKER_STOP)
        self._sender.join(_WORKER_STOP)
        self._receiver.join(_WORKER_STOP)
        self._results.close()


class _WorkerSlot:
    """The poller's parse process, if any: started when a backlog first needs it, kept for
    later polls, replaced (after :data:`_WORKER_RETRY` seconds) when it failed."""

    def __init__(self, name: str, config: IngestConfig) -> None:
        self._name = name
        self._config = config
        self.worker: _ParseWorker | None = None
        self._retry_at = 0.0
        self.started = 0
        self.counts: Counter[str] = Counter()

    def get(self, *, start: bool) -> _ParseWorker | None:
        worker = self.worker
        if worker is not None and worker.failed:
            worker.stop(kill=True)
            self.counts += worker.counts
            self.worker = worker = None
            self._retry_at = time.monotonic() + _WORKER_RETRY
        if worker is None and start and time.monotonic() >= self._retry_at:
            try:
                worker = self.worker = _ParseWorker(self._name, self._config)
                self.started += 1
            except Exception:  # no processes to be had (limits): the reader thread parses
                log.warning("cannot start a parse process", exc_info=True)
                self._retry_at = time.monotonic() + _WORKER_RETRY
        return worker

    def forget(self) -> None:
        if self.worker is not None:
            self.worker.forget()

    def close(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.stop()
            self.counts += worker.counts

    def summary(self) -> str:
        """What the parse processes did, for logs and the benchmark."""
        if not self.started:
            return "none started"
        counts = ", ".join(f"{n} {what}" for what, n in sorted(self.counts.items())) or "none"
        return f"{self.started} started; tasks of {_WORKER_TASK} messages: {counts}"


class _ReadingElsewhere:
    """One batch being parsed in the parse process, :data:`_WORKER_TASK` messages a task.

    The process works from the first task on; the poller takes tasks from the other end
    (the last task it has not begun is parsed here), so they meet in the middle: when the
    poller needs the batch it parses this batch's tasks the process has not begun, from
    the last back, and while it waits for the others it parses the last tasks of the
    batches fetched further ahead (:meth:`result`'s ``later``), kept for their turn. Any
    task that fails there it parses itself.
    """

    def __init__(
        self,
        raws: list[tuple[bytes | bytearray, Source]],
        config: IngestConfig,
        worker: _ParseWorker,
    ) -> None:
        self._raws = raws
        self._config = config
        self._worker = worker
        self._tasks = [
            (start, worker.submit(raws[start : start + _WORKER_TASK]))
            for start in range(0, len(raws), _WORKER_TASK)
        ]
        self._here: dict[int, list[ReadMessage]] = {}
        """Tasks read here, taken back before the process began them."""

    def result(self, later: Sequence[_ReadingElsewhere] = ()) -> list[ReadMessage]:
        """The batch's messages; ``later``: the batches fetched after it, in order."""
        while self._read_last_here():
            pass
        read: list[ReadMessage] = []
        for start, task_id in self._tasks:
            done = self._here.pop(task_id, None)
            if done is None:
                while not self._worker.answered(task_id) and _read_last_here(later):
                    pass
                there = self._worker.collect(task_id)
                if there is None:
                    done = self._read_here(start)
                else:
                    raws = self._raws[start : start + _WORKER_TASK]
                    done = [
                        dataclasses.replace(message, raw=raw)
                        for message, (raw, _) in zip(there, raws, strict=True)
                    ]
            read += done
        return read

    def _read_last_here(self) -> bool | None:
        """Read here the last task not read yet, if the process has not begun it: True
        when one was; None when none is left; False when the process has begun it (and
        so every task before it)."""
        for start, task_id in reversed(self._tasks):
            if task_id in self._here:
                continue
            if not self._worker.take_back(task_id):
                return False
            self._here[task_id] = self._read_here(start)
            return True
        return None

    def _read_here(self, start: int) -> list[ReadMessage]:
        return [
            read_message(raw, source, self._config)
            for raw, source in self._raws[start : start + _WORKER_TASK]
        ]

    def release(self) -> None:
        self._raws = []
        self._tasks = []
        self._here = {}


_Ahead = tuple[_Fetched, _ReadingElsewhere | None]
"""A batch fetched ahead, and the parse process's reading of it (None: read later here)."""


def _read_last_here(readings: Sequence[_ReadingElsewhere]) -> bool:
    """Read here the last task of these batches (in order) that the process has not begun;
    whether there was one."""
    for reading in reversed(readings):
        done = reading._read_last_here()
        if done is not None:
            return done
    return False


class _Connection:
    """``with _Connection(box) as client``: logs out politely, or just drops a dead socket."""

    def __init__(self, box: MailboxSettings) -> None:
        self.box = box
        self.client: IMAPClient | None = None

    def __enter__(self) -> IMAPClient:
        self.client = connect(self.box)
        return self.client

    def __exit__(self, kind: object, error: object, traceback: object) -> None:
        client, self.client = self.client, None
        if client is None:
            return
        try:
            if kind is None:
                client.logout()
            else:
                client.shutdown()
        except Exception:
            log.debug("closing the IMAP connection failed", exc_info=True)
