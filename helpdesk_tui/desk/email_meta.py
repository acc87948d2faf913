"""What a new message may bring besides its text: an email's headers and source, files.

Apart from :mod:`helpdesk_tui.desk.inbound` (incoming mail's values, which re-exports these)
so that a ticket write (``desk/tickets``) imports two classes, not the mail's eleven: each
frozen dataclass costs ≈ 0.5 ms of a CLI verb's start.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from helpdesk_tui.desk.blobs import Content, size_of


@dataclass(frozen=True)
class NewAttachment:
    filename: str
    content: Content
    """The bytes, or (a big attachment from mail) a :class:`~.blobs.Chunked` recipe."""
    content_type: str = "application/octet-stream"
    content_id: str | None = None
    inline: bool = False

    def row(self, message_id: int) -> dict[str, Any]:
        """Its ``attachment`` row on message ``message_id``, the content as given (bytes or
        a recipe: a writer that streams big content decides what to do with a recipe)."""
        return {
            "message_id": message_id,
            "filename": self.filename,
            "content_type": self.content_type,
            "size": size_of(self.content),
            "content_id": self.content_id,
            "inline": self.inline,
            "content": self.content,
        }


@dataclass(frozen=True)
class EmailMeta:
    """What an email brings besides its text: headers for threading, the raw source."""

    message_id: str | None = None
    in_reply_to: str | None = None
    references: Sequence[str] = ()
    from_address: str | None = None
    to: Sequence[str] = ()
    cc: Sequence[str] = ()
    subject: str | None = None
    body_html: str | None = None
    raw_message_id: int | None = None
    attachments: Sequence[NewAttachment] = field(default_factory=tuple)
