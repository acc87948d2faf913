"""Who a message goes to, on one line that fits: ``To: ann@example.org · Cc: petra@acme.test +2``.

The composer says where a reply goes, and the thread says who each message went to, at 80
columns. Cut at the end with "…", the line lost what matters most (a reply's To, the people
in Cc: "to supp…"). :func:`fit` shortens it in steps instead: every Cc address; the first
and how many more ("+2"); the To whole with a count of the Cc; the To cut in its middle.
Addresses are outside text: each goes through ``safe_text.plain``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from rich.console import Console, ConsoleOptions, RenderResult
from rich.text import Text

from helpdesk_tui.safe_text import plain

SEPARATOR = " · "


def addresses(value: str | Sequence[str] | None) -> list[str]:
    """A header's list (``"a@x, b@y"``) or a sequence, as addresses, blanks dropped."""
    if value is None:
        return []
    items = value.split(",") if isinstance(value, str) else value
    return [" ".join(item.split()) for item in items if item.strip()]


def _shapes(to: str | None, cc: list[str], labels: tuple[str, str]) -> Iterator[list[str]]:
    """The line's parts, longest first."""
    to_part = [f"{labels[0]} {to}"] if to else []
    if not cc:
        yield to_part
        return
    yield [*to_part, f"{labels[1]} {', '.join(cc)}"]
    if len(cc) > 1:
        yield [*to_part, f"{labels[1]} {cc[0]} +{len(cc) - 1}"]
    yield [*to_part, f"{labels[1]} +{len(cc)}"]


def _cut_middle(text: str, cells: int) -> str:
    """``text`` in ``cells`` cells, its middle given up for "…" (an address keeps both ends)."""
    if len(text) <= cells:
        return text
    if cells <= 1:
        return "…"[:cells]
    head = (cells - 1) // 2 + (cells - 1) % 2
    return f"{text[:head]}…{text[len(text) - (cells - 1 - head) :]}"


def fit(
    to: str | None,
    cc: str | Sequence[str] | None,
    width: int,
    *,
    labels: tuple[str, str] = ("to", "cc"),
) -> Text:
    """To and Cc in at most ``width`` cells: the longest shape that fits (see the module)."""
    to = addresses(to)[0] if addresses(to) else None
    copies = addresses(cc)
    shapes = list(_shapes(to, copies, labels))
    for parts in shapes:
        line = plain(SEPARATOR.join(parts))
        if line.cell_len <= width:
            return line
    # Even "to X · cc +N" is too long: the To's middle goes.
    rest = shapes[-1][1:]
    tail = (SEPARATOR + SEPARATOR.join(rest)) if rest else ""
    room = width - len(labels[0]) - 1 - len(tail)
    if to and room >= 8:
        return plain(f"{labels[0]} {_cut_middle(to, room)}{tail}")
    line = plain(SEPARATOR.join(shapes[-1]))
    line.truncate(width, overflow="ellipsis")
    return line


class Header:
    """A message's header line with its To/Cc (``fit``) after it when both fit on one line,
    else the To/Cc on a line of their own below: never cut to "to supp…"."""

    def __init__(self, lead: Text, to: str | None, cc: str | None) -> None:
        self.lead = lead
        self.to = to
        self.cc = cc

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        width = options.max_width
        lead = self.lead
        if not addresses(self.to) and not addresses(self.cc):
            yield lead  # (wrapped as any header: its time stays in sight)
            return
        room = width - lead.cell_len - len(SEPARATOR)
        whole = fit(self.to, self.cc, 10**6)
        whole.stylize("dim")
        if whole.cell_len <= room:
            yield Text.assemble(lead, (SEPARATOR, "dim"), whole)
            return
        yield lead
        below = fit(self.to, self.cc, width)
        below.stylize("dim")
        yield below


class Line:
    """``To: … · Cc: …`` fitted (:func:`fit`) to the width it is drawn at: the composer's
    line saying where a reply goes."""

    def __init__(self, to: str | None, cc: Sequence[str], hint: str = "") -> None:
        """``hint``: said after the addresses where they leave room (the key that edits)."""
        self.to = to
        self.cc = tuple(cc)
        self.hint = hint

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.to is None and not self.cc:
            yield Text("To: the requester has no email address yet", "dim")
            return
        width = options.max_width
        line = fit(self.to or "?", self.cc, width, labels=("To:", "Cc:"))
        if line.cell_len + len(self.hint) <= width:
            line.append(self.hint, "dim")
        yield line
