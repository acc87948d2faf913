"""Handing a text to the agent's ``$EDITOR`` and back, for every screen that writes text.

The terminal is suspended while the editor runs; what cannot work (a terminal that cannot
suspend, an editor that fails, text that is not UTF-8) is one notification, and the text on
screen stays as it was.
"""

from __future__ import annotations

from typing import Any

from textual.screen import Screen


def edit_in_editor(screen: Screen[Any], text: str, *, extension: str, what: str) -> str | None:
    """``text`` as the agent saved it in ``$EDITOR`` (trailing newlines dropped), or None
    when nothing changed or the editor could not be used (the agent has been told why).

    ``what`` names the text in the UTF-8 message ("reply", "article text" …).
    """
    import click
    from textual.app import SuspendNotSupported

    try:
        with screen.app.suspend():
            edited = click.edit(text, extension=extension, require_save=True)
    except SuspendNotSupported:
        screen.notify("This terminal cannot hand over to an editor", severity="error")
        return None
    except click.ClickException as error:
        screen.notify(error.format_message(), severity="error", markup=False)
        return None
    except UnicodeDecodeError as error:
        screen.notify(
            f"The {what} written in the editor is not valid UTF-8 (byte {error.start}); "
            "the text here is unchanged",
            severity="error",
            markup=False,
        )
        return None
    return None if edited is None else edited.rstrip("\n")
