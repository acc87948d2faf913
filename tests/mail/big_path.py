"""The big-message parser path against the ordinary one: the same result, always."""

from __future__ import annotations

import dataclasses

from helpdesk_tui.desk.blobs import as_bytes
from helpdesk_tui.mail.parse import ParsedMessage, ParseError, parse_message


def materialized(parsed: ParsedMessage) -> ParsedMessage:
    """Streamed attachment contents read whole, so two results compare with ``==``."""
    attachments = [dataclasses.replace(a, content=as_bytes(a.content)) for a in parsed.attachments]
    return dataclasses.replace(parsed, attachments=attachments)


def both_ways(raw: bytes, **limits: int) -> ParsedMessage | str:
    """Parse ``raw`` the ordinary way and forced through the big-message path (every run
    of base64-looking lines taken out, however short); fail unless both agree. Returns
    the ordinary result, or the reason both gave for refusing it."""
    try:
        ordinary: ParsedMessage | str = parse_message(raw, **limits)  # type: ignore[arg-type]
    except ParseError as error:
        ordinary = error.reason
    try:
        big: ParsedMessage | str = materialized(
            parse_message(raw, **limits, big_over=0, run_bytes=1)  # type: ignore[arg-type]
        )
    except ParseError as error:
        big = error.reason
    if isinstance(ordinary, ParsedMessage) and isinstance(big, ParsedMessage):
        differ = [
            f.name
            for f in dataclasses.fields(ParsedMessage)
            if getattr(ordinary, f.name) != getattr(big, f.name)
        ]
        assert not differ, f"the big-message path reads {differ} otherwise"
    else:
        assert ordinary == big
    return ordinary
