"""Classify incoming mail so that no automatic mail ever answers automatic mail.

Only :attr:`Noise.NORMAL` mail gets an acknowledgement. The other classes tell ingest what
else to do: keep an auto-reply in the thread quietly, match a bounce to the outbox, drop
our own mail coming back, hold spam.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import StrEnum

from helpdesk_tui.mail.parse import ParsedMessage, mailboxes

LOOP_HEADER = "x-helpdesk-loop"
"""Set on every message we send; finding it on incoming mail means it came from a helpdesk."""

_BOUNCE_SENDERS = frozenset({"mailer-daemon", "postmaster"})
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list", "auto_reply"})
_AUTO_REPLY_MARKERS = ("x-autoreply", "x-autorespond", "x-auto-response-suppress")


class Noise(StrEnum):
    NORMAL = "normal"
    AUTO_REPLY = "auto_reply"
    """Written by a machine on someone's behalf (vacation, ticket robots, lists): still kept."""
    BOUNCE = "bounce"
    OWN = "own"
    SPAM = "spam"


def classify(
    parsed: ParsedMessage, *, own_addresses: Iterable[str], blocked: Iterable[str]
) -> Noise:
    """Decide what kind of mail this is; OWN > SPAM > BOUNCE > AUTO_REPLY > NORMAL.

    ``blocked`` entries are full addresses, ``@domain`` or ``domain`` (case-insensitive;
    a domain entry matches that domain only, not its subdomains).
    """
    if _is_own(parsed, own_addresses):
        return Noise.OWN
    if _is_spam(parsed, blocked):
        return Noise.SPAM
    auto_reply = _is_auto_reply(parsed)
    if _is_bounce(parsed, auto_reply=auto_reply):
        return Noise.BOUNCE
    if auto_reply:
        return Noise.AUTO_REPLY
    return Noise.NORMAL


def should_acknowledge(noise: Noise) -> bool:
    """Whether this mail may get an automatic answer (only mail a person wrote)."""
    return noise == Noise.NORMAL


def _is_own(parsed: ParsedMessage, own_addresses: Iterable[str]) -> bool:
    if LOOP_HEADER in parsed.internal_headers:
        return True
    own = {address.strip().lower() for address in own_addresses}
    return parsed.from_address is not None and parsed.from_address in own


def _is_spam(parsed: ParsedMessage, blocked: Iterable[str]) -> bool:
    if parsed.headers.get("x-spam-flag", "").strip().lower() == "yes":
        return True
    if parsed.from_address is None:
        return False
    domain = parsed.from_address.rpartition("@")[2]
    for entry in blocked:
        entry = entry.strip().lower()
        if not entry:
            continue
        if "@" in entry.lstrip("@"):
            if entry == parsed.from_address:
                return True
        elif entry.lstrip("@") == domain:
            return True
    return False


def _is_bounce(parsed: ParsedMessage, *, auto_reply: bool) -> bool:
    """Delivery reports, mail from the mail system itself, and mail with a null sender.

    A null Return-Path (``<>``) alone is not enough when the message also says it is an
    auto-reply: RFC 3834 asks vacation responders to send with a null sender too.
    """
    if parsed.is_delivery_report or "x-failed-recipients" in parsed.headers:
        return True
    # "MAILER-DAEMON" often comes without a domain, so look at the raw From as well.
    senders = [parsed.from_address] if parsed.from_address else []
    senders += [address for _, address in mailboxes(parsed.headers.get("from", ""))]
    if any(sender.partition("@")[0].strip().lower() in _BOUNCE_SENDERS for sender in senders):
        return True
    null_sender = re.sub(r"\s", "", parsed.headers.get("return-path", "")) == "<>"
    return null_sender and not auto_reply


def _is_auto_reply(parsed: ParsedMessage) -> bool:
    headers = parsed.headers
    auto_submitted = headers.get("auto-submitted", "no").split(";", 1)[0].strip().lower()
    if auto_submitted not in ("", "no"):
        return True
    if headers.get("precedence", "").strip().lower() in _BULK_PRECEDENCE:
        return True
    return any(marker in headers for marker in _AUTO_REPLY_MARKERS)
