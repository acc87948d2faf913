"""What ticket commands read: ticket numbers (``-`` = from stdin) and message bodies.

Stdin and the editor's file are read as bytes (stdin at most the size limit and one byte
more, to know it was over) and decoded strictly: invalid UTF-8 is one line naming the text
and the byte, never a traceback.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable

import click

from helpdesk_tui.cli.errors import CliError
from helpdesk_tui.desk.limits import check_body, human_bytes
from helpdesk_tui.safe_text import clean

STDIN = "-"
EDITOR_HINT = "# Write the {what} above this line; this line and everything below is left out."
MAX_NUMBERS_BYTES = 64 * 1024 * 1024
"""Ticket numbers on stdin: millions of them fit; an endless stream does not."""


def _decoded(data: bytes, what: str) -> str:
    """``data`` as UTF-8 text (a leading BOM dropped, CRLF made LF), or one line naming ``what``."""
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise CliError(
            f"the {what} is not valid UTF-8 (byte {error.start}); nothing was saved"
        ) from None
    return text.removeprefix("\ufeff").replace("\r\n", "\n")


def _stdin(what: str, max_bytes: int, key: str) -> str:
    data = sys.stdin.buffer.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise CliError(
            f"the {what} on stdin is over the {human_bytes(max_bytes)} limit ({key}); "
            "nothing was saved"
        )
    return _decoded(data, f"{what} on stdin")


def number_tokens(values: Iterable[str]) -> list[str]:
    """The ticket numbers given, with ``-`` replaced by whatever stdin holds (one per word)."""
    tokens: list[str] = []
    for value in values:
        if value == STDIN:
            tokens.extend(_stdin("ticket numbers", MAX_NUMBERS_BYTES, "64 MB").split())
        else:
            tokens.append(value)
    if not tokens:
        raise CliError("no ticket numbers given")
    return tokens


def numbers_use_stdin(values: Iterable[str]) -> bool:
    return STDIN in values


def body_from_editor(body: str | None, *, edit: bool) -> bool:
    """Whether :func:`read_body` takes the text from ``$EDITOR`` (a person typed it)."""
    return body is None and (edit or sys.stdin.isatty())


def read_body(body: str | None, *, edit: bool, stdin_free: bool, what: str, max_bytes: int) -> str:
    """The text of a message: ``--body``, else stdin when piped, else ``$EDITOR``.

    ``edit`` opens the editor even when stdin is not a terminal; ``stdin_free`` is False
    when stdin already carries ticket numbers. Text over ``max_bytes`` is refused.
    """
    if body is not None:
        return check_body(body, what, max_bytes)
    if not body_from_editor(body, edit=edit):
        if not stdin_free:
            raise CliError(f"ticket numbers come from stdin; give the {what} with --body")
        return _stdin(what, max_bytes, "limits.max_body_bytes")
    hint = EDITOR_HINT.format(what=what)
    # Bytes in and out: click would decode the file itself, and a traceback is all it has
    # for a file that is not UTF-8.
    data = click.edit(f"\n{hint}\n".encode(), require_save=True)
    if data is None:
        raise CliError(f"the {what} was not saved in the editor; nothing was saved")
    text = _decoded(data, f"{what} written in the editor")
    return check_body(text.split(hint)[0].rstrip(), what, max_bytes)


def ask_first(question: str, *, numbers: Iterable[str], refusal: str) -> None:
    """Ask a person to confirm (``y`` goes ahead, anything else aborts).

    With nobody to ask — stdin is not a terminal, or it carries the ticket numbers — the
    command stops with ``refusal``: one line that says to pass ``--yes``.
    """
    if numbers_use_stdin(numbers) or not sys.stdin.isatty():
        raise CliError(refusal)
    # On a terminal click hands the question to ``input()``, which writes it to the file
    # descriptor itself, past the cleaning stream: clean it here.
    click.confirm(clean(question), abort=True)
