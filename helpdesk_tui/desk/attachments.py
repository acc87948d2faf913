"""Attachments on a ticket: listed with their sizes, saved to a file without surprises.

A file name comes from a stranger's email: it is cut to a bare name (no directories, no
``..``, no control characters, no leading dot) before it touches the file system, and an
existing file is never replaced unless the agent said so.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select as sa_select
from sqlmodel import Session, col, select

from helpdesk_tui.desk.errors import DeskError, InvalidValue, NotFound
from helpdesk_tui.desk.tickets import load_ticket
from helpdesk_tui.safe_text import clean
from helpdesk_tui.storage.models import Attachment, Message

MAX_NAME_BYTES = 200
_UNSAFE = set('/\\:*?"<>|')


class TargetExists(DeskError):
    """The file is there already; ``path`` says where, so a screen can ask to overwrite."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} exists already; nothing was saved")
        self.path = path


@dataclass(frozen=True)
class AttachmentInfo:
    id: int
    message_id: int
    filename: str
    content_type: str
    size: int
    inline: bool


def list_attachments(session: Session, number: int) -> list[AttachmentInfo]:
    """Every attachment in the ticket's thread, in thread order, without their contents."""
    ticket = load_ticket(session, number)
    rows = session.execute(
        sa_select(
            col(Attachment.id),
            col(Attachment.message_id),
            col(Attachment.filename),
            col(Attachment.content_type),
            col(Attachment.size),
            col(Attachment.inline),
        )
        .join(Message, col(Message.id) == Attachment.message_id)
        .where(col(Message.ticket_id) == ticket.id)
        .order_by(col(Message.created_at), col(Message.id), col(Attachment.id))
    ).all()
    return [AttachmentInfo(*row) for row in rows]


def safe_filename(name: str, *, fallback: str = "attachment") -> str:
    """A bare file name that is safe to create in any directory."""
    text = clean(name, single_line=True).replace("\\", "/").rsplit("/", 1)[-1]
    text = "".join("_" if ch in _UNSAFE else ch for ch in text).strip().lstrip(".").strip()
    return _shorten(text) or fallback


def _shorten(name: str) -> str:
    """Cut a long name to ``MAX_NAME_BYTES`` of UTF-8, keeping a short extension."""
    if len(name.encode()) <= MAX_NAME_BYTES:
        return name
    stem, dot, ext = name.rpartition(".")
    suffix = f".{ext}" if dot and stem and len(ext) <= 16 else ""
    stem = stem if suffix else name
    budget = MAX_NAME_BYTES - len(suffix.encode())
    return stem.encode()[:budget].decode(errors="ignore") + suffix


def save_attachment(
    session: Session,
    number: int,
    attachment_id: int,
    directory: Path,
    *,
    name: str | None = None,
    overwrite: bool = False,
) -> Path:
    """Write one attachment of ticket ``number`` into ``directory``; returns the file's path.

    The name (the attachment's own unless ``name`` is given) is reduced to a bare safe name,
    so the file always lands directly in ``directory``. Without ``overwrite`` an existing
    file raises ``TargetExists``; the check and the write are one atomic step (a hard link).
    """
    ticket = load_ticket(session, number)
    attachment = session.exec(
        select(Attachment)
        .join(Message, col(Message.id) == Attachment.message_id)
        .where(Attachment.id == attachment_id, Message.ticket_id == ticket.id)
    ).first()
    if attachment is None:
        raise NotFound(f"#{number} has no attachment {attachment_id}")
    if not directory.is_dir():
        raise InvalidValue(f"{directory} is not a directory")
    target = directory / safe_filename(name or attachment.filename)
    handle, temp_name = tempfile.mkstemp(dir=directory, prefix=".helpdesk-", suffix=".part")
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(attachment.content)
            out.flush()
            os.fsync(out.fileno())
        if overwrite:
            os.replace(temp, target)
        else:
            try:
                os.link(temp, target)
            except FileExistsError:
                raise TargetExists(target) from None
    except OSError as error:
        raise InvalidValue(f"cannot save to {target}: {error.strerror or error}") from None
    finally:
        with contextlib.suppress(FileNotFoundError):
            temp.unlink()
    return target
