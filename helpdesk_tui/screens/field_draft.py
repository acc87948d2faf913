"""The draft of an editor's fields: a knowledge-base article's, a canned response's.

What is written is kept from the first key (``DraftStore.save_fields``, with the replies'
drafts) by the composer's autosave (``screens.autosave``): a moment after typing pauses, at
least every 2 s while it goes on, at once when the editor is covered or a field loses the
focus, in a thread; at once and blocking when asked (``keep``: the app quitting, hanging up,
crashing, the agent's access ending); never while the fields are as last saved, and while
they are as the editor opened them there is no draft. Closing with changes asks whether to
keep them (``close_asking``). One helper for both editors, so they keep, ask and discard
alike.

ctrl+s hands the fields to the desk in a worker (``FieldEditor.save_to_desk``): the draft is
written first, in that thread too, and goes once the desk has the fields. Meanwhile the
editor answers keys, its fields wait (disabled) and it says "Saving…"; a refusal or a
failure (a conflicting edit, the database gone) is one line in the editor, the fields as
they were and their draft kept.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Mapping
from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, cast

from rich.text import Text
from textual import events
from textual.screen import Screen
from textual.widget import Widget
from textual.widgets import Input, Static, TextArea
from textual.worker import Worker, WorkerState

from helpdesk_tui.app_access import desk_app
from helpdesk_tui.desk.errors import UnknownAgent
from helpdesk_tui.drafts import DraftStore, EditorKind
from helpdesk_tui.safe_text import plain
from helpdesk_tui.screens.autosave import Autosave

if TYPE_CHECKING:
    from helpdesk_tui.desk.facade import Desk

SAVE_GROUP = "editor-save"
"""The worker group of an editor's ctrl+s (``FieldEditor.save_to_desk``)."""
FIELDS = "Input, TextArea, Checkbox, Select"
"""What an editor's agent writes in: disabled while the desk saves it."""


class FieldDraft:
    """The draft of ``screen``'s fields (``texts()``), of ``kind`` and ``item`` (None: a
    new one; ``key``: which one, ``drafts.item_key``), against the fields it opened with
    (``original``), kept in ``store``: the desk's (``DraftStore(desk=…)``), so another
    desk's draft, another item's that had the id, or an unclaimed one is never offered."""

    def __init__(
        self,
        screen: Screen[Any],
        store: DraftStore,
        kind: EditorKind,
        item: int | None,
        original: Mapping[str, object],
        texts: Callable[[], Mapping[str, object]],
        key: str | None = None,
    ) -> None:
        self._screen = screen
        self._store = store
        self._kind: EditorKind = kind
        self._item = item
        self._key = key
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
        """The fields an earlier draft kept on this desk's item, to offer back (not yet
        cleaned); never an unclaimed one (a store that knows no desk offers none)."""
        if self._store.desk is None:
            return None
        return self._store.load_fields(self._kind, self._item, self._key)

    def strangers(self) -> int:
        """Drafts kept for this id that are not this item's (an item that had the id, or
        unclaimed): not offered here, kept (``helpdesk drafts`` lists them)."""
        if self._store.desk is None:
            return 0
        return self._store.fields_strangers(self._kind, self._item, self._key)

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

    def texts(self) -> dict[str, object]:
        """The fields as written now (the UI thread reads them)."""
        return dict(self._texts())

    def keep_in_thread(self, texts: dict[str, object]) -> None:
        """(A worker, saving to the desk.) Keep ``texts`` as the draft now, before the desk
        is given them; a draft that cannot be written (a full disk) does not stop the save."""
        with contextlib.suppress(OSError):
            self.autosave.write(texts)

    def desk_has_it(self) -> None:
        """(A worker.) The desk saved the fields: the draft goes, nothing is written after."""
        self.autosave.end(lambda: self._store.delete_fields(self._kind, self._item, self._key))

    def _write(self, texts: dict[str, object]) -> None:
        """(A thread: ``autosave``.) Fields as they were opened leave no draft."""
        if texts == self._original:
            self._store.delete_fields(self._kind, self._item, self._key)
        else:
            self._store.save_fields(self._kind, self._item, texts, self._key)

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
        self.autosave.end(lambda: self._store.delete_fields(self._kind, self._item, self._key))

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

    @property
    def draft_key(self) -> str | None:
        """Which item's (``drafts.item_key``; None: a new one's)."""
        return self._draft._key

    def tell_strangers(self, what: str) -> None:
        """A one-line notice when a draft kept for this id is not this one's (``what``:
        "article 12"): it is not offered here, and it is kept."""
        if self._draft.strangers():
            cast("Screen[Any]", self).notify(
                f"A draft kept for {what} was not written on this one (but on one that "
                "had its id, or before drafts knew their desk): not opened here, kept "
                "(helpdesk drafts lists it)",
                severity="warning",
                timeout=10,
                markup=False,
            )

    # Saving to the desk ---------------------------------------------------------------

    STATUS_ID: ClassVar[str]
    """The id of the editor's one-line ``Static`` for "Saving…" and a refusal."""
    _saving: tuple[Callable[[], None], list[Widget]] | None = None
    """While the desk saves the fields: how to give the focus back as it was, and the
    fields disabled meanwhile."""

    def save_to_desk(self, save: Callable[[Desk], object]) -> None:
        """Hand the fields to the desk (``save``, in a worker, after their draft is kept);
        ``saved`` gets what it returns. Until then the fields wait and ctrl+s, Esc and
        $EDITOR do nothing (they are shown disabled)."""
        screen = cast("Screen[Any]", self)
        if self._saving is not None:
            return
        texts = self._draft.texts()
        fields = [field for field in screen.query(FIELDS) if not field.disabled]
        self._saving = (_focus_back(screen.focused), fields)
        self._draft.autosave.stop()  # (the worker writes the draft)
        for field in fields:
            field.disabled = True
        self.show_status("Saving…")
        screen.refresh_bindings()
        screen.run_worker(
            partial(self._save_in_thread, texts, save),
            thread=True,
            group=SAVE_GROUP,
            exit_on_error=False,
        )

    def _save_in_thread(self, texts: dict[str, object], save: Callable[[Desk], object]) -> object:
        self._draft.keep_in_thread(texts)  # (nothing is lost if the desk refuses or we die)
        result = save(desk_app(cast("Screen[Any]", self)).desk)
        self._draft.desk_has_it()
        return result

    def saved(self, result: Any) -> None:
        """The desk saved the fields and returned ``result`` (the editor closes)."""
        raise NotImplementedError

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if self._saving is not None and action in {"save", "cancel", "editor"}:
            return None  # (shown, disabled: the desk has the fields)
        return True

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.worker.group != SAVE_GROUP or self._saving is None:
            return
        if event.state == WorkerState.SUCCESS:
            self.saved(event.worker.result)
        elif event.state in {WorkerState.ERROR, WorkerState.CANCELLED}:
            self._done_saving()
            error = event.worker.error
            if isinstance(error, UnknownAgent):
                # (the access ended: the app covers everything and keeps the fields as a
                # draft; a line here would still say so once the agent is back)
                self.show_status("")
                return
            told = desk_app(cast("Screen[Any]", self)).failure_text(error).strip()
            first = told.splitlines()[0] if told else type(error).__name__
            self.show_status(f"Not saved: {first}", error=True)  # (the fields are all there)

    def _done_saving(self) -> None:
        """The fields back as they were before ctrl+s, with the focus."""
        assert self._saving is not None
        focus_back, fields = self._saving
        self._saving = None
        for field in fields:
            field.disabled = False
        focus_back()
        cast("Screen[Any]", self).refresh_bindings()

    def show_status(self, text: str, *, error: bool = False) -> None:
        """One line under the fields (none when ``text`` is empty)."""
        line = cast("Screen[Any]", self).query_one(f"#{self.STATUS_ID}", Static)
        line.update(plain(text))
        line.set_class(not text, "-empty")
        line.set_class(error, "-error")


def _focus_back(widget: Widget | None) -> Callable[[], None]:
    """Gives ``widget`` the focus again as it has it now: an Input's cursor and selection as
    they are (focused anew, it would select its whole text, and the next key replace it)."""
    selection = widget.selection if isinstance(widget, Input) else None

    def focus() -> None:
        if widget is None or not widget.is_attached:
            return
        widget.screen.set_focus(widget)  # (now: ``focus()`` would wait its turn)
        if isinstance(widget, Input) and selection is not None:
            widget.call_later(setattr, widget, "selection", selection)  # (after its Focus)

    return focus
