"""The draft of an editor's fields: a knowledge-base article's, a canned response's.

What is written is kept from the first key (``DraftStore.save_fields``, with the replies'
drafts): a moment after typing stops (``typed``), at once when asked (``keep``: the app
quitting, hanging up, crashing, the agent's access ending), and never while the fields are
as the editor opened them. Closing with changes asks whether to keep them
(``close_asking``). One helper for both editors, so they keep, ask and discard alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rich.text import Text
from textual.screen import Screen
from textual.timer import Timer

from helpdesk_tui.drafts import DraftStore, EditorKind

AUTOSAVE_SECONDS = 1.0
"""How long after the last key the fields are saved as a draft (at once on quitting)."""


class FieldDraft:
    """The draft of ``screen``'s fields (``texts()``), of ``kind`` and ``item`` (None: a
    new one), against the fields it opened with (``original``)."""

    def __init__(
        self,
        screen: Screen[Any],
        store: DraftStore,
        kind: EditorKind,
        item: int | None,
        original: Mapping[str, object],
        texts: Callable[[], Mapping[str, object]],
    ) -> None:
        self._screen = screen
        self._store = store
        self._kind: EditorKind = kind
        self._item = item
        self._original = dict(original)
        self._texts = texts
        self._autosave: Timer | None = None
        self.done = False
        """Saved by the desk or discarded: nothing is kept from now on."""

    def kept(self) -> dict[str, Any] | None:
        """The fields an earlier draft kept, to offer back (not yet cleaned)."""
        return self._store.load_fields(self._kind, self._item)

    def typed(self) -> None:
        """A key changed a field: keep the fields once typing stops."""
        self._stop()
        self._autosave = self._screen.set_timer(AUTOSAVE_SECONDS, self.keep)

    def changed(self) -> bool:
        return dict(self._texts()) != self._original

    def keep(self) -> bool:
        """Keep the fields as they are now; whether a draft was kept (none while they are as
        they were, nor once saved or discarded: an unchanged editor leaves no draft)."""
        self._stop()
        if self.done or not self._screen.is_mounted:
            return False
        texts = dict(self._texts())
        if texts == self._original:
            self._store.delete_fields(self._kind, self._item)
            return False
        self._store.save_fields(self._kind, self._item, texts)
        return True

    def discard(self) -> None:
        """No draft any more (discarded, or the desk has the text)."""
        self._stop()
        self.done = True
        self._store.delete_fields(self._kind, self._item)

    def close_asking(self, question: str, choice_id: str, close: Callable[[], object]) -> None:
        """Close the editor (``close``): at once, without a draft, when nothing changed;
        else after asking whether to keep the changes as a draft or discard them."""
        from helpdesk_tui.screens.confirm import Choice, ChoiceScreen

        if not self.changed():
            self.discard()
            close()
            return

        def chosen(answer: str | None) -> None:
            if answer == "keep":
                self.keep()
                self.done = True
                close()
            elif answer == "discard":
                self.discard()
                close()

        self._screen.app.push_screen(
            ChoiceScreen(
                Text(question),
                [Choice("k", "Keep as a draft", "keep"), Choice("d", "Discard them", "discard")],
                cancel_label="Back to writing",
                id=choice_id,
            ),
            chosen,
        )

    def _stop(self) -> None:
        if self._autosave is not None:
            self._autosave.stop()
