"""A reply with files attached (from the CLI's ``--attach``) goes through the outbox to a real
SMTP server (aiosmtpd on loopback) as MIME parts that arrive byte-identical."""

from __future__ import annotations

import asyncio
import json
import random
from pathlib import Path

import pytest
from click.testing import CliRunner

from helpdesk_tui.cli import main
from helpdesk_tui.cli.runtime import Runtime
from helpdesk_tui.desk.actors import Actor
from helpdesk_tui.desk.attachments import list_attachments
from helpdesk_tui.storage.database import Database

from .mailbuild import config_for, email, new_id
from .servers import SmtpServer
from .test_outbox import parsed, sender, smtp_settings


def _cli(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(main, list(args), obj=Runtime(login="ada"))
    return result.exit_code, result.stdout, result.stderr


def test_reply_with_two_attachments_arrives_byte_identical(
    db: Database,
    admin: Actor,
    smtp_server: SmtpServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from helpdesk_tui.mail.ingest import ingest

    settings = smtp_settings(smtp_server)
    with db.write() as session:
        number = ingest(session, email(message_id=new_id()), config_for(settings)).ticket_number
    assert number is not None
    # (Random bytes: the generator made a ``Random(7)`` per byte before, 300,000 seeds,
    # ≈ 1 s of CPU, for one byte repeated.)
    binary = random.Random(7).randbytes(300_000) + b"\r\n\x00.\r\n"
    (tmp_path / "core.bin").write_bytes(binary)
    text = "Résumé of the fix\r\nline two with trailing spaces   \n.\nend".encode()
    (tmp_path / "notes été.txt").write_bytes(text)

    monkeypatch.setenv("HELPDESK_DATABASE_URL", db.url)
    code, out, err = _cli(
        "ticket", "reply", str(number), "--body", "Files attached.",
        "--attach", str(tmp_path / "core.bin"), "--attach", str(tmp_path / "notes été.txt"),
        "--json",
    )  # fmt: skip
    assert code == 0, err
    assert json.loads(out)[0]["number"] == number

    report = asyncio.run(sender(db, settings).send_due())
    assert (report.sent, report.failed) == (2, 0)  # the acknowledgement and the reply
    reply = next(m for m in (parsed(r.raw) for r in smtp_server.wait_for(2)) if "Files" in str(m))
    assert reply.get_content_type() == "multipart/mixed"
    assert reply.get_body(("plain",)).get_content().strip() == "Files attached."  # type: ignore[union-attr]
    parts = {part.get_filename(): part for part in reply.iter_attachments()}
    assert set(parts) == {"core.bin", "notes été.txt"}
    assert parts["core.bin"].get_content_type() == "application/octet-stream"
    assert parts["core.bin"].get_payload(decode=True) == binary
    assert parts["notes été.txt"].get_content_type() == "text/plain"
    assert parts["notes été.txt"].get_payload(decode=True) == text
    # Opened in the customer's mail client, the UTF-8 text reads as written ("Résumé", not
    # "RÃ©sumÃ©"): the part says its charset.
    assert parts["notes été.txt"].get_content_charset() == "utf-8"
    assert parts["notes été.txt"].get_content().startswith("Résumé of the fix")

    with db.read() as session:  # kept on the ticket like incoming files
        shown = [(a.filename, a.size) for a in list_attachments(session, number)]
    assert shown == [("core.bin", len(binary)), ("notes été.txt", len(text))]
