"""The screens' header: Textual's ``Header``, its title set as the title changes.

Textual's own header sets its title line in a coroutine it schedules on each change of the
app's or the screen's title, and lets only ``NoScreen`` pass. One scheduled as the header
was being taken down ran after its title line had gone, and the ``NoMatches`` it raised
ended the app with a traceback (seen in the suite under load, as an app ended just after a
title change: the desk's name is read again at each shift beat, the queue's line follows its
ratings to follow up); one never run was a "coroutine never awaited" warning. Here the line
is set at once, in the change's own call, and a header being taken down is left alone.
"""

from __future__ import annotations

import contextlib

from textual.css.query import NoMatches
from textual.dom import NoScreen
from textual.events import Mount
from textual.widgets import Header, Static


class DeskHeader(Header):
    """``Header`` whose title line follows the app's and the screen's titles synchronously."""

    def _on_mount(self, event: Mount) -> None:
        # Header's own handler would watch the same titles with its coroutine as well.
        event.prevent_default()
        self.watch(self.app, "title", self._set_title)
        self.watch(self.app, "sub_title", self._set_title)
        self.watch(self.screen, "title", self._set_title)
        self.watch(self.screen, "sub_title", self._set_title)

    def _set_title(self) -> None:
        with contextlib.suppress(NoMatches, NoScreen):  # (being taken down: nothing to show)
            self.query_one("HeaderTitle", Static).update(self.format_title())
