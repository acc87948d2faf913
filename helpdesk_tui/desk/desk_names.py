"""The desk's name as a value: how long it may be and how it is cleaned for a terminal.

A leaf (no data layer), so the start paths that draw the title before the desk is open
(the kept first page, ``queue_cache``) clean a kept name by the same rule as the desk.
"""

from __future__ import annotations

DEFAULT_DESK_NAME = "Helpdesk"
MAX_DESK_NAME = 80
"""The longest desk name (characters): it heads every terminal and goes into mail."""


def clean_desk_name(text: str) -> str:
    """``text`` as a desk name: one line, no escape sequences or control characters."""
    from helpdesk_tui.safe_text import clean

    return clean(text, single_line=True)[:MAX_DESK_NAME].strip()
