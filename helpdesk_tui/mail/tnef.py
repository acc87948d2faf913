"""Outlook's ``winmail.dat`` (``application/ms-tnef``): the files and text inside it.

Outlook wraps a message's attachments (and sometimes its only text) in one TNEF file that
no other mail program opens. ``tnefparse`` reads it — but a hostile file makes it loop over
counts read from the file (billions of empty properties) or build objects until memory runs
out. So the file is read in a child process with an address-space and a CPU limit, under a
timeout; whatever goes wrong there is :class:`TnefError` with a one-line reason, and the
caller keeps the raw file.

The child writes frames: a kind (``A`` an attachment, ``T`` plain text, ``H`` HTML, ``N`` a
note on what could not be read), a 4-byte name length and the UTF-8 name, an 8-byte length
and the bytes. A body that Outlook kept only as compressed RTF is decompressed and read as
text there (:mod:`helpdesk_tui.mail.rtf_text`); a message attached inside the file comes
out as an ``.eml`` file. The child is :mod:`helpdesk_tui.mail.tnef_child`: a new one
for each file, since the limits are per process (one file's CPU time and memory must not
count against the next, and a file that kills its reader takes no other file with it).
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field

from helpdesk_tui.mail.tnef_child import CPU_SECONDS as CPU_SECONDS
from helpdesk_tui.mail.tnef_child import MEMORY_BYTES as MEMORY_BYTES

TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
TNEF_NAME = "winmail.dat"

TIMEOUT_SECONDS = 30.0
_START_CHILD = "from helpdesk_tui.mail.tnef_child import main; main()"
_MAX_REASON = 160


class TnefError(Exception):
    """The file could not be unpacked; ``reason`` says why, in one line."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class Unpacked:
    attachments: list[tuple[str, bytes]] = field(default_factory=list)
    """(file name as the sender's Outlook gave it, bytes), in order."""
    text: bytes | None = None
    html: bytes | None = None
    note: str | None = None
    """What could not be read inside it (its RTF text), in one line."""


def is_tnef(content_type: str, filename: str | None) -> bool:
    """A TNEF part: by its type, or an octet stream named ``winmail.dat``."""
    if content_type in TNEF_TYPES:
        return True
    return content_type == "application/octet-stream" and (filename or "").lower() == TNEF_NAME


def unpack(data: bytes, *, timeout: float = TIMEOUT_SECONDS) -> Unpacked:
    """The attachments and text in a TNEF file, read in a limited child process."""
    if not data.startswith(b"\x78\x9f\x3e\x22"):
        raise TnefError("not a TNEF file (wrong signature)")
    try:
        done = subprocess.run(
            [sys.executable, "-I", "-c", _START_CHILD],
            input=data,
            capture_output=True,
            timeout=timeout,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise TnefError(f"reading it took longer than {timeout:g} s") from None
    except OSError as error:
        raise TnefError(f"cannot start the reader: {error.strerror or error}") from None
    if done.returncode != 0:
        raise TnefError(_reason(done.stderr, done.returncode))
    return _frames(done.stdout)


def _reason(stderr: bytes, returncode: int) -> str:
    lines = [line for line in stderr.decode("utf-8", "replace").splitlines() if line.strip()]
    last = lines[-1] if lines else ""
    if not last:
        last = f"the reader ended with signal {-returncode}" if returncode < 0 else "no reason"
    text = "".join(c if c.isprintable() else " " for c in last)
    return " ".join(text.split())[:_MAX_REASON]


def _frames(out: bytes) -> Unpacked:
    attachments: list[tuple[str, bytes]] = []
    text: bytes | None = None
    html: bytes | None = None
    note: str | None = None
    view = memoryview(out)
    at = 0
    while at < len(view):
        if at + 5 > len(view):
            raise TnefError("the reader's answer is cut short")
        kind = bytes(view[at : at + 1])
        name_length = int.from_bytes(view[at + 1 : at + 5], "big")
        at += 5
        name = bytes(view[at : at + name_length]).decode("utf-8", "replace")
        at += name_length
        if at + 8 > len(view):
            raise TnefError("the reader's answer is cut short")
        length = int.from_bytes(view[at : at + 8], "big")
        at += 8
        if at + length > len(view):
            raise TnefError("the reader's answer is cut short")
        payload = bytes(view[at : at + length])
        at += length
        if kind == b"A":
            attachments.append((name, payload))
        elif kind == b"T":
            text = payload
        elif kind == b"H":
            html = payload
        elif kind == b"N":
            note = " ".join(payload.decode("utf-8", "replace").split())[:_MAX_REASON]
    return Unpacked(attachments, text, html, note)


# -- the child: mail/tnef_child.py ----------------------------------------------------------
