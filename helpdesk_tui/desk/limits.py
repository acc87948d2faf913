"""How big a message may be: the rules that apply the ``[limits]`` table of the config
(:mod:`helpdesk_tui.limits_settings`).

```toml
[limits]
max_body_bytes = 1048576   # 1 MiB of UTF-8 text per message
```

Why 1 MiB: a long human-written email is 10 to 100 KB, and a pasted log that an agent still
reads in a thread stays well under a megabyte; above that the text is a dump that belongs in
an attachment. A megabyte per message keeps a ticket quick to load and the database small,
and still takes any real message whole. Agents' text (CLI and TUI) over the limit is refused
with the size. Mail has its own key with the same default, ``mail.max_body_bytes``: a
customer's message over it is stored cut to it with a note at its top, and the raw message
(kept as for every mail) still holds all of it.

Incoming attachments have their limit in ``mail.max_attachment_bytes`` (25 MiB, the limit of
the big mail providers): a larger one is left out with a note on the ticket. Files an agent
attaches to a reply or note have theirs here: ``max_attachment_bytes`` for one file and
``max_attachments_bytes`` for all of one message's files together (default 20 MiB: with
base64's third more, a reply stays under the 25 MiB most mail servers take); a file over
either is refused before anything is saved.
"""

from __future__ import annotations

from helpdesk_tui.desk.errors import InvalidValue


def human_bytes(count: int) -> str:
    """``900 B``, ``12.0 KB``, ``1.0 MB``."""
    if count < 1024:
        return f"{count} B"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KB"
    return f"{count / (1024 * 1024):.1f} MB"


def utf8_size(text: str) -> int:
    """Bytes of ``text`` as UTF-8, counted in slices (no encoded copy of a huge text)."""
    step = 1 << 16
    return sum(
        len(text[i : i + step].encode("utf-8", "surrogatepass")) for i in range(0, len(text), step)
    )


def check_body(text: str, what: str, max_bytes: int) -> str:
    """``text`` if it is within ``max_bytes``; else InvalidValue saying by how much."""
    size = utf8_size(text)
    if size > max_bytes:
        raise InvalidValue(
            f"the {what} is {human_bytes(size)}, over the {human_bytes(max_bytes)} limit "
            "(limits.max_body_bytes); nothing was saved — attach long logs or dumps instead"
        )
    return text


def cut_body(text: str, max_bytes: int) -> tuple[str, int]:
    """``text`` cut to at most ``max_bytes`` of UTF-8 (at a character boundary), and its
    size before; the text is unchanged when it fits."""
    size = utf8_size(text)
    if size <= max_bytes:
        return text, size
    return text.encode("utf-8", "surrogatepass")[:max_bytes].decode("utf-8", "ignore"), size
