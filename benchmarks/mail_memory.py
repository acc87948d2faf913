"""Peak memory of the poller importing big messages, over the idle poller, against Dovecot.

    python benchmarks/mail_memory.py [--size-mb 30] [--counts 1,5] [--batch-mb 64]
                                     [--database-url URL]

For each count, a fresh process (so peaks do not mix) makes the real poller poll an empty
folder first (imports loaded, database and IMAP connected: the idle poller), notes its
resident set, resets the kernel's peak (``/proc/self/clear_refs``), then imports N messages
of SIZE MB each (a short text and one base64 attachment, ≈ 73 % of the message) from
another folder: fetch, parse, store raw message and attachment, commit, move. It prints
the peak resident set over the idle one, and that as a multiple of one message; the peak
counts the poller's parse process too, should it start one (big messages are parsed in
the poller, so it should not). Goal (issue 9): at most 2x the largest message.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

# The package from PYTHONPATH first (an A/B run puts older code there), this checkout's
# only when nothing else provides it.
sys.path.append(str(Path(__file__).resolve().parents[1]))

from helpdesk_tui.config import IntakeOptions
from helpdesk_tui.mail.ingest import IngestConfig
from helpdesk_tui.mail.poller import MailboxPoller
from helpdesk_tui.mail_settings import MailSettings
from helpdesk_tui.storage import migrate
from helpdesk_tui.storage.database import Database
from tests.mail.servers import DovecotServer, ImapAccount

DESK = "support@desk.example"
IDLE_FOLDER = "Idle"
BIG_FOLDER = "Big"


def big_message(number: int, size: int) -> bytes:
    """About ``size`` bytes: a text part and a base64 attachment of random bytes."""
    payload = os.urandom(size * 3 // 4 - 4096)
    encoded = base64.encodebytes(payload).replace(b"\n", b"\r\n")
    head = (
        f"From: Ann Customer <ann{number}@example.org>\r\n"
        f"To: {DESK}\r\nSubject: Scan {number} of the contract\r\n"
        f"Message-ID: <big-{number}-{os.urandom(6).hex()}@example.org>\r\n"
        "Date: Mon, 23 Nov 2026 10:00:00 +0000\r\nMIME-Version: 1.0\r\n"
        'Content-Type: multipart/mixed; boundary="big"\r\n\r\n'
        "--big\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe scan is attached.\r\n"
        "--big\r\nContent-Type: application/pdf\r\n"
        f'Content-Disposition: attachment; filename="scan-{number}.pdf"\r\n'
        "Content-Transfer-Encoding: base64\r\n\r\n"
    ).encode()
    return head + encoded + b"--big--\r\n"


def settings_for(
    account: dict[str, object], folder: str, size: int, batch_bytes: int
) -> MailSettings:
    return MailSettings.model_validate(
        {
            "mailboxes": {"bench": {**account, "security": "none", "folder": folder}},
            "addresses": [DESK],
            "message_id_secret": "benchmark-secret-0123456789",
            "max_attachment_bytes": size,
            "batch_bytes": batch_bytes,
        }
    )


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def child(account: dict[str, object], url: str, size: int, batch_bytes: int) -> dict[str, int]:
    """In a fresh process: poll the empty folder, then the big one; memory in KiB."""
    db = Database(url)
    migrate.upgrade(db)

    def poll(folder: str) -> tuple[int, int]:
        settings = settings_for(account, folder, size, batch_bytes)
        poller = MailboxPoller(
            db,
            "bench",
            settings.mailboxes["bench"],
            settings,
            IngestConfig.from_options(IntakeOptions(settings, "Benchmark Desk")),
            stop=threading.Event(),
        )
        return poller.run_once(), poller.parse_worker.started

    poll(IDLE_FOLDER)
    idle = _status_kb("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # the peak (VmHWM) starts again from now
    imported, workers = poll(BIG_FOLDER)
    # A parse process the poller started is stopped and waited for by the end of the poll;
    # its peak is at most the largest child's (a bound: ctypes ran ldconfig at import), counted
    # on top.
    worker = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if workers else 0
    peak = _status_kb("VmHWM") + worker
    db.dispose()
    return {"imported": imported, "idle_kb": idle, "peak_kb": peak, "worker_kb": worker}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-mb", type=int, default=30)
    parser.add_argument("--counts", default="1,5")
    parser.add_argument("--batch-mb", type=int, default=64, help="mail.batch_bytes, in MiB")
    parser.add_argument("--database-url", help="an empty database (default: SQLite in a temp dir)")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    size = args.size_mb * 1024 * 1024
    batch_bytes = args.batch_mb * 1024 * 1024
    if args.child:
        spec = json.loads(args.child)
        print(json.dumps(child(spec["account"], spec["url"], size, batch_bytes)))
        return

    server = DovecotServer()
    server.start()
    workdir = Path(tempfile.mkdtemp(prefix="helpdesk-memory-"))
    try:
        print(
            f"message size {args.size_mb} MB, batch_bytes {args.batch_mb} MiB; "
            "peak RSS over the idle poller (goal <= 2x the largest message)"
        )
        for count in (int(c) for c in args.counts.split(",")):
            account = ImapAccount(server, *server.new_account())
            for folder in (IDLE_FOLDER, BIG_FOLDER):
                account.create_folder(folder)
            for number in range(count):
                account.append(BIG_FOLDER, big_message(number, size))
            url = args.database_url or f"sqlite:///{workdir / f'memory-{count}.db'}"
            spec = {
                "account": {
                    "host": account.host,
                    "port": account.port,
                    "user": account.user,
                    "password": account.password,
                },
                "url": url,
            }
            out = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--size-mb",
                    str(args.size_mb),
                    "--child",
                    json.dumps(spec),
                ],
                capture_output=True,
                text=True,
                check=True,
            ).stdout
            result = json.loads(out.strip().splitlines()[-1])
            assert result["imported"] == count, result
            over = (result["peak_kb"] - result["idle_kb"]) * 1024
            print(
                f"{count} x {args.size_mb} MB: idle {result['idle_kb'] / 1024:6.0f} MiB, "
                f"peak {result['peak_kb'] / 1024:6.0f} MiB, over idle {over / 2**20:6.0f} MiB "
                f"= {over / size:4.1f}x the largest message "
                f"(parse process: {result['worker_kb'] / 1024:.0f} MiB of it)"
            )
    finally:
        server.close()
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
