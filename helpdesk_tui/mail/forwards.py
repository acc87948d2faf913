"""Who wrote a forwarded message: the original sender of a mail an agent forwarded to the
desk from their own mailbox (``Fwd:`` / ``WG:`` / ``TR:`` subject, and a forwarded header
block in the text or the original attached as ``message/rfc822``).

The mail layer reads it; the desk decides (``desk/intake.decide``: only an agent's forward
makes the original sender the requester).
"""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from email.utils import getaddresses

from helpdesk_tui.desk.blobs import as_bytes
from helpdesk_tui.mail.header_lines import FROM_FIELD, SENT_FIELD
from helpdesk_tui.mail.parse import ParsedMessage

_FORWARD_SUBJECT = re.compile(r"^\s*(?:fwd?|wg|tr|rv|doorst|vs|enc)\s*:", re.IGNORECASE)
"""Fwd:/Fw: (English), WG: (German), TR: (French), RV:/ENC: (Spanish, Portuguese), Doorst:
(Dutch), VS: (Nordic)."""
_BLOCK_START = re.compile(
    r"^\s*(?:-{2,}\s*)?(?:forwarded message|original message|begin forwarded message|"
    r"weitergeleitete nachricht|urspr[üu]ngliche nachricht|message transf[ée]r[ée]|"
    r"message d'origine|mensaje reenviado|mensaje original|mensagem encaminhada|"
    r"doorgestuurd bericht|oorspronkelijk bericht)\b.*$",
    re.IGNORECASE,
)
_BLOCK_LINES = 8
"""How far below the start of a forwarded block its ``From:`` line may be."""


def forwarded_from(parsed: ParsedMessage) -> tuple[str, str] | None:
    """(address, name) of the original sender of a forward, or None if this is none."""
    if not _FORWARD_SUBJECT.match(parsed.subject or ""):
        return None
    for attachment in parsed.attachments:
        if attachment.content_type in ("message/rfc822", "message/global"):
            inner = message_from_bytes(as_bytes(attachment.content), policy=policy.compat32)
            found = _address(str(inner.get("From", "")))
            if found is not None:
                return found
    return _from_block(parsed.body_text)


def _from_block(text: str) -> tuple[str, str] | None:
    """The ``From:`` of the first forwarded header block: after a "Forwarded message" line,
    or an Outlook block (``From:`` with ``Sent:`` right after it)."""
    lines = text.splitlines()[:400]
    for index, line in enumerate(lines):
        line = line.lstrip("> ")
        if _BLOCK_START.match(line):
            for below in lines[index + 1 : index + 1 + _BLOCK_LINES]:
                match = FROM_FIELD.match(below.lstrip("> "))
                if match:
                    return _address(match.group(1))
            continue
        match = FROM_FIELD.match(line)
        if match and any(SENT_FIELD.match(n.lstrip("> ")) for n in lines[index + 1 : index + 3]):
            return _address(match.group(1))
    return None


def _address(value: str) -> tuple[str, str] | None:
    value = value.replace("mailto:", "")
    for name, address in getaddresses([value]):
        address = address.strip().lower()
        if "@" in address and " " not in address:
            return address, " ".join(name.split())[:200]
    return None
