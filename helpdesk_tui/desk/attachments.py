"""Attachments on a ticket: listed with their sizes, saved to a file without surprises.

A file name comes from a stranger's email: it is cut to a bare name (no directories, no
``..``, no control characters, no leading dot) before it touches the file system, and an
existing file is never replaced unless the agent said so.
"""

from __future__ import annotations

import contextlib
import mimetypes
import os
import stat
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import select

from helpdesk_tui.desk.errors import DeskError, InvalidValue, NotFound
from helpdesk_tui.desk.limits import human_bytes
from helpdesk_tui.desk.ticket_reads import AttachmentInfo as AttachmentInfo
from helpdesk_tui.desk.ticket_reads import list_attachments as list_attachments
from helpdesk_tui.desk.ticket_record import load
from helpdesk_tui.desk.tickets import NewAttachment
from helpdesk_tui.safe_text import clean
from helpdesk_tui.storage.core_tables import Attachment, Message, attachment, message
from helpdesk_tui.storage.database import connection_of

if TYPE_CHECKING:
    from helpdesk_tui.limits_settings import Limits
    from helpdesk_tui.storage.database import Reader

MAX_NAME_BYTES = 200
_UNSAFE = set('/\\:*?"<>|')


class TargetExists(DeskError):
    """The file is there already; ``path`` says where, so a screen can ask to overwrite."""

    def __init__(self, path: Path) -> None:
        super().__init__(f"{path} exists already; nothing was saved")
        self.path = path


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
    session: Reader,
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
    conn = connection_of(session)
    ticket = load(conn, number)
    found = conn.execute(
        select(Attachment.filename, Attachment.content)
        .join_from(attachment, message, Message.id == Attachment.message_id)
        .where(Attachment.id == attachment_id, Message.ticket_id == ticket.id)
    ).first()
    if found is None:
        raise NotFound(f"#{number} has no attachment {attachment_id}")
    if not directory.is_dir():
        raise InvalidValue(f"{directory} is not a directory")
    target = directory / safe_filename(name or found.filename)
    try:  # (a directory the agent may not write to fails here, before anything is written)
        handle, temp_name = tempfile.mkstemp(dir=directory, prefix=".helpdesk-", suffix=".part")
    except OSError as error:
        raise InvalidValue(f"cannot save to {target}: {error.strerror or error}") from None
    temp = Path(temp_name)
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(found.content)
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


MAX_ATTACHED_FILES = 20
"""Files on one reply or note: more is a mistake (a glob gone wide), not a message."""


def file_to_attach(path: Path, limits: Limits) -> tuple[str, int]:
    """The clean name and size of a file an agent attaches, or InvalidValue saying why not.

    Only a regular file is taken (a directory, a FIFO or a device is refused: reading one
    could block or never end), and only within ``limits.max_attachment_bytes``.
    """
    try:
        info = path.stat()
    except OSError as error:
        raise InvalidValue(f"cannot attach {path}: {error.strerror or error}") from None
    if not stat.S_ISREG(info.st_mode):
        raise InvalidValue(f"cannot attach {path}: not a regular file")
    if info.st_size > limits.max_attachment_bytes:
        raise InvalidValue(
            f"{path} is {human_bytes(info.st_size)}, over the "
            f"{human_bytes(limits.max_attachment_bytes)} limit for one file "
            "(limits.max_attachment_bytes); nothing was saved"
        )
    return safe_filename(path.name), info.st_size


def read_attachments(paths: Sequence[Path], limits: Limits) -> list[NewAttachment]:
    """The files an agent attaches to a reply or note, read whole and checked against the
    limits (each file and all together) before anything is saved.

    Names are cut to bare safe names (as incoming ones are when saved); the type is guessed
    from the name. A file that grows past its limit while being read is refused too.
    """
    if len(paths) > MAX_ATTACHED_FILES:
        raise InvalidValue(f"at most {MAX_ATTACHED_FILES} files go on one message")
    checked = [(path, *file_to_attach(path, limits)) for path in paths]
    total = sum(size for _path, _name, size in checked)
    if total > limits.max_attachments_bytes:
        raise InvalidValue(
            f"the attached files come to {human_bytes(total)}, over the "
            f"{human_bytes(limits.max_attachments_bytes)} limit for one message "
            "(limits.max_attachments_bytes); nothing was saved"
        )
    found: list[NewAttachment] = []
    for path, name, size in checked:
        try:
            with path.open("rb") as handle:
                content = handle.read(limits.max_attachment_bytes + 1)
        except OSError as error:
            raise InvalidValue(f"cannot attach {path}: {error.strerror or error}") from None
        if len(content) > limits.max_attachment_bytes:
            raise InvalidValue(f"{path} grew past the limit while it was read; nothing was saved")
        total += len(content) - size
        if total > limits.max_attachments_bytes:
            raise InvalidValue(f"{path} grew past the limit while it was read; nothing was saved")
        kind = mimetypes.guess_type(name, strict=False)[0] or "application/octet-stream"
        found.append(NewAttachment(filename=name, content=content, content_type=kind))
    return found
