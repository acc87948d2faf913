"""The child that reads a TNEF file for :mod:`helpdesk_tui.mail.tnef`, under its limits.

Started once per file as ``python -I -c`` running :func:`main` (not ``-m``: no ``runpy``),
it imports only ``sys`` and ``resource`` before the limits are set, then ``tnefparse`` (and,
for what needs them, ``compressed_rtf``, the RTF reader and ``email``): a new interpreter
costs some 45 ms of imports, of which the parent module's own (``dataclasses``,
``subprocess``, ``typing``) and ``runpy`` were a third. Frames out: see ``mail/tnef.py``.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

MEMORY_BYTES = 768 * 1024 * 1024
"""The child's address space: Python itself, the file, and what is read from it."""
CPU_SECONDS = 20
MAX_NAME = 1000


def _put(out: object, kind: bytes, name: str, payload: bytes) -> None:
    encoded = name.encode("utf-8", "replace")[:MAX_NAME]
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


_MAX_EMBED_DEPTH = 3
"""Messages attached inside messages inside TNEF: deeper ones are kept as their raw bytes."""
_MAX_RTF_BYTES = 16 * 1024 * 1024
"""Compressed RTF that says it holds more is not decompressed (the body is left out)."""


def _rtf_body(tnef: Any) -> tuple[bytes | None, bool]:
    """The body kept only as RTF: decompressed (``compressed_rtf``), then read by
    :func:`~helpdesk_tui.mail.rtf_text.rtf_body` (both here, under the child's limits);
    ``(HTML, True)`` for RTF that wraps an HTML message (``\\fromhtml1``), else its text."""
    raw = getattr(tnef, "_rtfbody", None)
    if isinstance(raw, list):
        raw = raw[0] if raw else None
    if not isinstance(raw, bytes | bytearray) or len(raw) < 16:
        return None, False
    if int.from_bytes(raw[4:8], "little") > _MAX_RTF_BYTES:
        raise ValueError("its RTF text says it is larger than allowed")
    from compressed_rtf import decompress

    from helpdesk_tui.mail.rtf_text import rtf_body

    body, is_html = rtf_body(decompress(bytes(raw)))
    return body.encode("utf-8") or None, is_html


def _texts(tnef: Any) -> tuple[bytes | None, bytes | None, str | None]:
    """(plain text, HTML, why the RTF text could not be read) of a TNEF message."""
    text, html = _as_bytes(tnef.body), _as_bytes(tnef.htmlbody)
    if text is not None or html is not None:
        return text, html, None
    try:
        body, is_html = _rtf_body(tnef)
    except MemoryError:
        raise
    except Exception as error:  # a broken RTF body: the files still come out
        return None, None, f"{type(error).__name__}: {error}"
    return (None, body, None) if is_html else (body, None, None)


def _property(tnef: Any, names: tuple[int, ...]) -> str:
    for prop in (*getattr(tnef, "msgprops", ()), *getattr(tnef, "mapiprops", ())):
        if prop.name in names:
            value = prop.data
            if isinstance(value, list):
                value = value[0] if value else ""
            if isinstance(value, bytes | bytearray):
                value = bytes(value).decode("cp1252", "replace")
            if isinstance(value, str):
                return " ".join(value.strip("\x00").split())[:MAX_NAME]
    return ""


def _embedded_eml(embed: Any, depth: int) -> tuple[str, bytes]:
    """A message attached inside TNEF as an ``.eml`` file: its subject, sender and date as
    far as TNEF gives them, its text, and its own files (messages in it, to a depth)."""
    from email.message import EmailMessage
    from email.policy import default

    message = EmailMessage(policy=default.clone(max_line_length=998))
    subject = _property(embed, (0x8004, 0x0037))  # attSubject, PR_SUBJECT
    sender = _property(embed, (0x0C1F, 0x0065))  # PR_SENDER_EMAIL_ADDRESS, sent-representing
    name = _property(embed, (0x0C1A, 0x0042))  # PR_SENDER_NAME, sent-representing
    message["Subject"] = subject or "(no subject)"
    if sender or name:
        message["From"] = f"{name} <{sender}>" if sender and name else sender or name
    from datetime import datetime
    from email.utils import format_datetime

    for prop in getattr(embed, "msgprops", ()):
        if prop.name == 0x8005 and isinstance(prop.data, datetime):  # attDateSent
            try:
                message["Date"] = format_datetime(prop.data)
            except (TypeError, ValueError, OverflowError):
                continue
    text, html, _ = _texts(embed)
    message.set_content((text or b"").decode("utf-8", "replace") if text else "")
    if html is not None:
        message.add_alternative(html.decode("utf-8", "replace"), subtype="html")
    for filename, payload in _files(embed, depth + 1):
        message.add_attachment(
            payload, maintype="application", subtype="octet-stream", filename=filename
        )
    stem = "".join(c for c in subject if c.isprintable() and c not in '/\\:*?"<>|').strip()
    return f"{stem[:150] or 'attached message'}.eml", message.as_bytes()


def _files(tnef: Any, depth: int = 0) -> list[tuple[str, bytes]]:
    """The files in a TNEF message; an attached message as an ``.eml`` file."""
    found: list[tuple[str, bytes]] = []
    for attachment in tnef.attachments:
        embed = getattr(attachment, "embed", None)
        if embed is not None and depth < _MAX_EMBED_DEPTH:
            found.append(_embedded_eml(embed, depth))
            continue
        name = _as_name(attachment.long_filename())
        if embed is not None and not name:
            name = "attached message.msg"  # too deep: its raw bytes
        found.append((name, _as_bytes(attachment.data) or b""))
    return found


def main() -> None:  # pragma: no cover - runs in the child process (tests run it there)
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_BYTES, MEMORY_BYTES))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))
    data = sys.stdin.buffer.read()
    import logging

    logging.disable(logging.CRITICAL)
    from tnefparse.tnef import TNEF

    try:
        tnef = TNEF(data, do_checksum=False)
        found = _files(tnef)
        text, html, broken = _texts(tnef)
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
    if broken is not None:
        _put(out, b"N", "", f"its text (RTF) could not be read: {broken}".encode())
    out.flush()
