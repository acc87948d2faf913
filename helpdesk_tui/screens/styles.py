"""Every screen's stylesheet, read with the app's own as the app starts.

Textual reads a screen's ``CSS_PATH`` files the first time that screen is shown, and a file
new to the app's stylesheet then has it parse every source again and restyle every widget
of the app (the queue and every screen under the new one): the first ticket opened, the
first picker, the first question of a session each waited for that (7 % of the ticket
screen tests' time, most of a picker's first showing). Read at the start, no screen's
first showing finds a file new. Every rule in them names its screen, so a rule read early
styles nothing else; a screen's files keep their order here (``pickers.tcss`` before
``canned_picker.tcss``, whose rules win a tie), as the screen reads them.
"""

from __future__ import annotations

from pathlib import Path

SCREEN_STYLES = (
    "queue.tcss",
    "queue_filter.tcss",
    "ticket.tcss",
    "composer.tcss",
    "pickers.tcss",
    "attach.tcss",
    "canned_picker.tcss",
    "access_ended.tcss",
    "canned_manager.tcss",
    "confirm.tcss",
    "contact.tcss",
    "desk_settings.tcss",
    "held_mail.tcss",
    "help.tcss",
    "kb.tcss",
    "kb_edit.tcss",
    "mail.tcss",
    "reports.tcss",
    "settings_form.tcss",
    "values.tcss",
)
"""The screens' stylesheets (files beside this module), in the order they are read."""


def screen_css_paths() -> list[Path]:
    """``SCREEN_STYLES`` as the paths a screen's ``CSS_PATH`` resolves to."""
    here = Path(__file__).resolve().parent  # (as Textual resolves a screen's CSS_PATH)
    return [here / name for name in SCREEN_STYLES]
