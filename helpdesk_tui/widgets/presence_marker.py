"""Who else is on a ticket, as a short line: "✎bob ◉ann" (replying first, then viewing)."""

from __future__ import annotations

from collections.abc import Sequence

from rich.style import Style
from rich.text import Text

from helpdesk_tui.desk.kinds import Activity
from helpdesk_tui.desk.queue_values import OnTicket
from helpdesk_tui.safe_text import clean

REPLYING_MARK = "✎"
VIEWING_MARK = "◉"


def presence_text(
    entries: Sequence[OnTicket], *, replying: Style | str = "bold", viewing: Style | str = ""
) -> Text:
    """One mark and login per other agent on the ticket; logins are cleaned like any name."""
    text = Text(no_wrap=True, overflow="ellipsis")
    for index, entry in enumerate(entries):
        if index:
            text.append(" ")
        if entry.activity == Activity.REPLYING:
            text.append(REPLYING_MARK + clean(entry.login, single_line=True), replying)
        else:
            text.append(VIEWING_MARK + clean(entry.login, single_line=True), viewing)
    return text
