"""The poller's parse process: spawned, reused, bounded, and never needed for correctness.

Whatever happens to the process (killed mid-batch, hung), the poller parses what it did not
answer and imports every message exactly once (real Dovecot).
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
from sqlmodel import func, select

from helpdesk_tui.mail import poller as poller_module
from helpdesk_tui.mail.ingest import Source, read_message
from helpdesk_tui.mail.poller import (
    MailboxPoller,
    _Fetched,
    _ParseWorker,
    _Readers,
    _ReadingElsewhere,
    _WorkerSlot,
)
from helpdesk_tui.storage.database import Database
from helpdesk_tui.storage.mail_models import ProcessedMail

from .mailbuild import config_for, email, mail_settings, server_settings, tickets
from .servers import ImapAccount
from .test_poller import append_all
from .test_poller import poller as support_poller

Raws = list[tuple[bytes | bytearray, Source]]


def some_raws(count: int) -> Raws:
    return [
        (email(subject=f"Message {n}", body=f"Line {n}\n" * n), Source("support", 7, n))
        for n in range(count)
    ]


@pytest.fixture
def worker() -> Iterator[_ParseWorker]:
    started = _ParseWorker("support", config_for(mail_settings()))
    yield started
    started.stop(kill=True)


def test_a_backlog_is_parsed_in_a_spawned_process_and_reads_as_here() -> None:
    config = config_for(mail_settings())
    raws = some_raws(12)
    slot = _WorkerSlot("support", config)
    try:
        with _Readers("support", config, slot) as readers:
            reading = readers.early(_Fetched(list(range(12)), 3, list(raws), 10_000))
            assert reading is not None
            assert slot.worker is not None
            assert slot.worker.process._popen.method == "spawn"  # type: ignore[attr-defined]
            assert reading.result() == [read_message(raw, source, config) for raw, source in raws]
            process = slot.worker.process
            again = readers.early(_Fetched([20], 0, some_raws(1), 1_000))
            assert again is not None, "once started, the process takes a lone batch too"
            again.result()
            assert slot.worker.process is process, "started once, reused"
    finally:
        slot.close()
    assert not process.is_alive()
    assert slot.worker is None


def test_a_lone_batch_or_a_big_message_starts_no_process() -> None:
    config = config_for(mail_settings())
    slot = _WorkerSlot("support", config)
    with _Readers("support", config, slot) as readers:
        assert readers.early(_Fetched([1], 0, some_raws(1), 1_000)) is None
        assert readers.early(_Fetched([1], 5, some_raws(1), 1_000, big=True)) is None
    assert slot.worker is None


def test_a_task_the_process_began_and_never_answers_is_parsed_here(
    worker: _ParseWorker, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = config_for(mail_settings())
    raws = some_raws(7)
    os.kill(worker.process.pid, signal.SIGSTOP)  # hung, as on a lock it never gets
    reading = _ReadingElsewhere(list(raws), config, worker)
    for _, task_id in reading._tasks:  # as if it had begun every task before hanging
        worker._started[task_id % poller_module._SLOTS] = task_id
    monkeypatch.setattr(poller_module, "_WORKER_WAIT", 0.2)

    assert reading.result() == [read_message(raw, source, config) for raw, source in raws]
    assert worker.failed
    assert not worker.process.is_alive(), "stopped, not left behind"


def test_waiting_the_poller_reads_the_last_tasks_of_later_batches(worker: _ParseWorker) -> None:
    config = config_for(mail_settings())
    first, second = some_raws(10), some_raws(10)
    os.kill(worker.process.pid, signal.SIGSTOP)  # it begins nothing: every task is there
    one = _ReadingElsewhere(list(first), config, worker)
    two = _ReadingElsewhere(list(second), config, worker)
    assert poller_module._read_last_here([one, two]) is True
    assert list(two._here) == [two._tasks[-1][1]], "the last task of the last batch first"
    assert poller_module._read_last_here([one, two]) is True
    assert poller_module._read_last_here([one, two]) is True
    assert list(one._here) == [one._tasks[-1][1]], "then the batch before it"
    assert worker.counts["taken back"] == 3

    assert one.result([two]) == [read_message(raw, source, config) for raw, source in first]
    assert two.result() == [read_message(raw, source, config) for raw, source in second]
    assert worker.counts["taken back"] == 4, "every task read here, none twice"


def test_a_failed_process_is_not_used_again_at_once(worker: _ParseWorker) -> None:
    config = config_for(mail_settings())
    slot = _WorkerSlot("support", config)
    slot.worker = worker
    worker.stop(kill=True)
    assert slot.get(start=True) is None, "the reader thread parses until the retry is due"
    assert slot.worker is None


class _KillsTheParseProcess(MailboxPoller):
    """The real poller; its parse process is killed (as the OOM killer would) when the
    poller asks for the second batch it handed over."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.killed: int | None = None


def test_the_parse_process_killed_mid_batch_loses_and_doubles_nothing(
    db: Database, dovecot: ImapAccount, monkeypatch: pytest.MonkeyPatch
) -> None:
    subjects = [f"Request {n}" for n in range(60)]
    append_all(dovecot, [email(subject=s, body=f"About {s}.") for s in subjects])
    poller = support_poller(db, server_settings(dovecot, batch_size=10), _KillsTheParseProcess)
    original = _ReadingElsewhere.result
    asked = 0

    def result(reading: _ReadingElsewhere, later: Sequence[_ReadingElsewhere] = ()) -> list[object]:
        nonlocal asked
        asked += 1
        if asked == 2:
            worker = poller.parse_worker.worker
            assert worker is not None
            poller.killed = worker.process.pid
            os.kill(worker.process.pid, signal.SIGKILL)
        return original(reading, later)  # type: ignore[return-value]

    monkeypatch.setattr(_ReadingElsewhere, "result", result)

    assert poller.run_once() == 60

    assert poller.killed is not None
    assert sorted(t.subject for t in tickets(db)) == sorted(subjects)
    with db.read() as session:
        assert session.exec(select(func.count()).select_from(ProcessedMail)).one() == 60
    assert dovecot.list_uids("INBOX") == []
    assert poller.parse_worker.worker is None, "closed with the poll"
    again = support_poller(db, server_settings(dovecot, batch_size=10), _KillsTheParseProcess)
    assert again.run_once() == 0


def test_the_parse_process_ends_when_the_poller_stops(db: Database, dovecot: ImapAccount) -> None:
    append_all(dovecot, [email(subject=f"Request {n}") for n in range(25)])
    settings = server_settings(dovecot, batch_size=10)
    stop = threading.Event()
    processes = []

    class StopsAfterThePoll(MailboxPoller):
        def _wait_for_mail(self, client: object) -> None:
            if self.parse_worker.worker is not None:
                processes.append(self.parse_worker.worker.process)
            stop.set()

    poller = StopsAfterThePoll(
        db, "support", settings.mailboxes["support"], settings, config_for(settings), stop=stop
    )
    poller.run()

    assert poller.imported == 25
    assert len(processes) == 1, "a backlog of three batches started one process"
    assert not processes[0].is_alive()
    assert poller.parse_worker.worker is None
