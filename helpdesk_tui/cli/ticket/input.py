"""What ticket commands read: ticket numbers (``-`` = from stdin) and message bodies."""

from __future__ import annotations

import sys
from collections.abc import Iterable

import click

from helpdesk_tui.cli.errors import CliError

STDIN = "-"
EDITOR_HINT = "# Write the {what} above this line; this line and everything below is left out."


def _stdin() -> str:
    return sys.stdin.read()


def number_tokens(values: Iterable[str]) -> list[str]:
    """The ticket numbers given, with ``-`` replaced by whatever stdin holds (one per word)."""
    tokens: list[str] = []
    for value in values:
        tokens.extend(_stdin().split() if value == STDIN else [value])
    if not tokens:
        raise CliError("no ticket numbers given")
    return tokens


def numbers_use_stdin(values: Iterable[str]) -> bool:
    return STDIN in values


def body_from_editor(body: str | None, *, edit: bool) -> bool:
    """Whether :func:`read_body` takes the text from ``$EDITOR`` (a person typed it)."""
    return body is None and (edit or sys.stdin.isatty())


def read_body(body: str | None, *, edit: bool, stdin_free: bool, what: str) -> str:
    """The text of a message: ``--body``, else stdin when piped, else ``$EDITOR``.

    ``edit`` opens the editor even when stdin is not a terminal; ``stdin_free`` is False
    when stdin already carries ticket numbers.
    """
    if body is not None:
        return body
    stdin = sys.stdin
    if not body_from_editor(body, edit=edit):
        if not stdin_free:
            raise CliError(f"ticket numbers come from stdin; give the {what} with --body")
        return stdin.read()
    hint = EDITOR_HINT.format(what=what)
    text = click.edit(f"\n{hint}\n", require_save=True)
    if text is None:
        raise CliError(f"the {what} was not saved in the editor; nothing was saved")
    return text.split(hint)[0].rstrip()


def ask_first(question: str, *, numbers: Iterable[str], refusal: str) -> None:
    """Ask a person to confirm (``y`` goes ahead, anything else aborts).

    With nobody to ask — stdin is not a terminal, or it carries the ticket numbers — the
    command stops with ``refusal``: one line that says to pass ``--yes``.
    """
    if numbers_use_stdin(numbers) or not sys.stdin.isatty():
        raise CliError(refusal)
    click.confirm(question, abort=True)
