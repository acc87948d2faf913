"""The draft of an editor's fields: a knowledge-base article's, a canned response's.

What is written is kept from the first key (``DraftStore.save_fields``, with the replies'
drafts) by the composer's autosave (``screens.autosave``): a moment after typing pauses, at
least every 2 s while it goes on, at once when the editor is covered or a field loses the
focus, in a thread; at once and blocking when asked (``keep``: the app quitting, hanging up,
crashing, the agent's access ending); never while the fields are as last saved, and while
they are as the editor opened them there is no draft. Closing with changes asks whether to
keep them (``close_asking``). One helper for both editors, so they keep, ask and discard
alike.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widgets import Input, TextArea

from helpdesk_tui.drafts import DraftStore, EditorKind
from helpdesk_tui.screens.autosave import Autosave


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
        self.autosave: Autosave[dict[str, object]] = Autosave(
            screen, lambda: dict(self._texts()), self._write
        )

    @property
    def done(self) -> bool:
        """Saved by the desk or discarded: nothing is kept from now on."""
        return self.autosave.ended

    def kept(self) -> dict[str, Any] | None:
        """The fields an earlier draft kept, to offer back (not yet cleaned)."""
        return self._store.load_fields(self._kind, self._item)

    def shown(self) -> None:
        """The fields are on screen as the editor opened them (the original, or a kept
        draft offered back): nothing to write until they change."""
        self.autosave.saved_as(dict(self._texts()))

    def typed(self) -> None:
        """A key changed a field: keep the fields once typing pauses."""
        self.autosave.typed()

    def save_now(self) -> None:
        """Keep the fields now, in a thread (the editor is covered, a field lost focus)."""
        self.autosave.save_now()

    def changed(self) -> bool:
        return dict(self._texts()) != self._original

    def _write(self, texts: dict[str, object]) -> None:
        """(A thread: ``autosave``.) Fields as they were opened leave no draft."""
        if texts == self._original:
            self._store.delete_fields(self._kind, self._item)
        else:
            self._store.save_fields(self._kind, self._item, texts)

    def keep(self) -> bool:
        """Keep the fields as they are now, blocking; whether a draft was kept (none while
        they are as they were, nor once saved or discarded: an unchanged editor leaves no
        draft)."""
        return self.autosave.keep() and self.changed()

    def finish(self) -> None:
        """The desk is being given the fields: nothing is written any more (the draft
        stays until the desk has them)."""
        self.autosave.stop()
        self.autosave.end()

    def discard(self) -> None:
        """No draft any more (discarded, or the desk has the text)."""
        self.autosave.stop()
        self.autosave.end(lambda: self._store.delete_fields(self._kind, self._item))

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
                self.finish()
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


class FieldEditor:
    """What both editors of fields do alike with their ``FieldDraft`` (``_draft``) for the
    item they edit (``_item``, None: a new one): keep the fields at once when a field loses
    the focus or something comes over the editor, and say whose draft it writes. (Mixed
    into the editors' screens, before ``Screen``: Textual finds these handlers by the MRO.)"""

    _draft: FieldDraft
    _item: int | None

    def on_descendant_blur(self, event: events.DescendantBlur) -> None:
        """A field lost the focus (to another field, another screen…): keep them now."""
        if isinstance(event.widget, (Input, TextArea)):
            self._draft.save_now()

    def on_screen_suspend(self) -> None:
        """Something came over the editor (a question, the key help): keep the fields now."""
        self._draft.save_now()

    @property
    def draft_item(self) -> int | None:
        """Whose draft this editor writes (None: a new one's): ``DraftStore.fields_path``."""
        return self._item
