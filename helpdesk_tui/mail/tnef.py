"""Outlook's ``winmail.dat`` (``application/ms-tnef``): the files and text inside it.

Outlook wraps a message's attachments (and sometimes its only text) in one TNEF file that
no other mail program opens. ``tnefparse`` reads it — but a hostile file makes it loop over
counts read from the file (billions of empty properties) or build objects until memory runs
out. So the file is read in a child process of this module with an address-space and a CPU
limit, under a timeout; whatever goes wrong there is :class:`TnefError` with a one-line
reason, and the caller keeps the raw file.

The child writes frames: a kind (``A`` an attachment, ``T`` plain text, ``H`` HTML), a
4-byte name length and the UTF-8 name, an 8-byte length and the bytes.
"""

from __future__ import annotations

import subprocess
import sys
from dataclasses import dataclass, field

TNEF_TYPES = frozenset({"application/ms-tnef", "application/vnd.ms-tnef"})
TNEF_NAME = "winmail.dat"

MEMORY_BYTES = 768 * 1024 * 1024
"""The child's address space: Python itself, the file, and what is read from it."""
CPU_SECONDS = 20
TIMEOUT_SECONDS = 30.0
_MAX_NAME = 1000
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
            [sys.executable, "-I", "-m", __name__],
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
    return Unpacked(attachments, text, html)


# -- the child -------------------------------------------------------------------------------


def _put(out: object, kind: bytes, name: str, payload: bytes) -> None:
    encoded = name.encode("utf-8", "replace")[:_MAX_NAME]
    write = out.write  # type: ignore[attr-defined]
    write(kind + len(encoded).to_bytes(4, "big") + encoded)
    write(len(payload).to_bytes(8, "big") + payload)


def _as_bytes(value: object) -> bytes | None:
    if isinstance(value, bytes | bytearray):
        return bytes(value).rstrip(b"\x00") or None
    if isinstance(value, str):
        return value.rstrip("\x00").encode("utf-8") or None
    return None


def _as_name(value: object) -> str:
    if isinstance(value, bytes | bytearray):
        value = bytes(value).decode("cp1252", "replace")
    return str(value or "").strip("\x00").strip()


def _child() -> None:  # pragma: no cover - runs in the child process (tests run it there)
    import logging
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    logging.disable(logging.CRITICAL)
    data = sys.stdin.buffer.read()
    from tnefparse.tnef import TNEF

    try:
        tnef = TNEF(data, do_checksum=False)
        found = [(_as_name(a.long_filename()), _as_bytes(a.data) or b"") for a in tnef.attachments]
        text, html = _as_bytes(tnef.body), _as_bytes(tnef.htmlbody)
    except MemoryError:
        sys.stderr.write("it needs more memory than allowed\n")
        sys.exit(1)
    except Exception as error:  # a broken file: any error the reader meets
        sys.stderr.write(f"{type(error).__name__}: {error}\n")
        sys.exit(1)
    out = sys.stdout.buffer
    for name, payload in found:
        _put(out, b"A", name, payload)
    if text is not None:
        _put(out, b"T", "", text)
    if html is not None:
        _put(out, b"H", "", html)
    out.flush()


if __name__ == "__main__":
    _child()
