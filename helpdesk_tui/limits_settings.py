"""The ``[limits]`` table of the config (a leaf: settings import it, the desk applies it).

Why these sizes, and the rules that use them: :mod:`helpdesk_tui.desk.limits`.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_MAX_ATTACHMENTS_BYTES = 20 * 1024 * 1024


class Limits(BaseModel):
    """Size limits for what comes in."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_body_bytes: int = Field(default=DEFAULT_MAX_BODY_BYTES, ge=1024)
    """Largest text of a ticket, reply, note or call log an agent writes, in bytes of UTF-8
    (CLI and TUI); larger text is refused, saying by how much."""
    max_attachment_bytes: int = Field(default=DEFAULT_MAX_ATTACHMENTS_BYTES, ge=1024)
    """Largest file an agent attaches to a reply or note (CLI and TUI), in bytes."""
    max_attachments_bytes: int = Field(default=DEFAULT_MAX_ATTACHMENTS_BYTES, ge=1024)
    """Largest total of the files attached to one reply or note, in bytes."""
