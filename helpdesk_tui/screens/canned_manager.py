"""Managing canned responses: the shared ones and your own, listed; add, edit, delete.

Shared responses are the desk's: a supervisor or an admin manages them, anyone uses them.
Personal ones are yours alone. The desk decides who may do what (``CannedService``); a
refusal, or a text with an unknown placeholder, is shown as the desk words it. Names and
texts are shown as plain text (``plain``), never as markup.

A response being written is a draft from the first key, kept with the replies' drafts
(``DraftStore.save_fields``): saved as the composer's text is (``screens.autosave``: a
moment after typing pauses, in a thread), at once when the app quits or the agent's access
ends, offered back when the same response (or a new one) is opened again, and gone once the
desk has saved it or the agent discards it.
"""

from __future__ import annotations

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.widgets import Checkbox, Input, OptionList, Static, TextArea
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from helpdesk_tui.desk.canned import PLACEHOLDERS
from helpdesk_tui.desk.canned_service import CannedView
from helpdesk_tui.desk.errors import DeskError, UnknownAgent
from helpdesk_tui.drafts import DraftStore
from helpdesk_tui.safe_text import clean, plain
from helpdesk_tui.screens.base import DeskModal, DeskScreen
from helpdesk_tui.screens.field_draft import FieldDraft, FieldEditor
from helpdesk_tui.widgets.key_footer import KeyFooter


def canned_label(view: CannedView) -> Text:
    label = plain(view.name, "bold")
    label.append(f"  {view.scope}", "dim")
    first = view.body.strip().splitlines()[0] if view.body.strip() else ""
    label.append("  ")
    label.append_text(plain(first[:60], "dim"))
    return label


class CannedManagerScreen(DeskScreen):
    """The agent's canned responses (shared and personal), by name."""

    CSS_PATH = "canned_manager.tcss"
    HELP_TITLE = "Canned responses"

    BINDINGS = [
        Binding("a", "add", "Add", id="canned.add"),
        Binding("e,enter", "edit", "Edit", id="canned.edit"),
        Binding("d,delete", "delete", "Delete", id="canned.delete"),
        Binding("escape", "back", "Back", id="canned.back"),
    ]

    class Listed(Message):
        def __init__(self, views: list[CannedView]) -> None:
            super().__init__()
            self.views = views

    def __init__(self, *, editing: int | None = None, edit_draft: bool = False) -> None:
        """``edit_draft``: open the editor of a kept draft once the list is read (of
        response ``editing``; None: a new one's), which offers the draft back."""
        super().__init__()
        self.views: list[CannedView] = []
        self._edit_draft = edit_draft
        self._editing = editing

    def compose(self) -> ComposeResult:
        yield Static(Text("Canned responses"), id="canned-title")
        yield OptionList(id="canned-list")
        with VerticalScroll(id="canned-body"):
            yield Static("", id="canned-text")
        yield Static(
            Text("Insert one in the composer with ctrl+t · placeholders: " + _names()),
            id="canned-hint",
        )
        yield KeyFooter()

    def on_mount(self) -> None:
        self.reload()

    @work(thread=True, exclusive=True, group="canned-list", exit_on_error=False)
    def reload(self) -> None:
        self.post_message(self.Listed(self.desk.canned_list()))

    def on_canned_manager_screen_listed(self, message: Listed) -> None:
        options = self.query_one(OptionList)
        keep = options.highlighted or 0
        self.views = message.views
        options.clear_options()
        options.add_options([Option(canned_label(v), id=str(i)) for i, v in enumerate(self.views)])
        if self.views:
            options.highlighted = min(keep, len(self.views) - 1)
        options.focus()
        self._show_body()
        if self._edit_draft:
            self._edit_draft = False
            self._open_draft(self._editing)

    def _open_draft(self, item: int | None) -> None:
        if item is None:
            self.action_add()
            return
        found = [index for index, view in enumerate(self.views) if view.id == item]
        if not found:
            self.notify(
                f"Canned response {item} is no longer there (deleted?): its draft is kept; "
                "Drafts in the palette can discard it",
                severity="warning",
                markup=False,
                timeout=8,
            )
            return
        self.query_one(OptionList).highlighted = found[0]
        self.action_edit()

    @property
    def selected(self) -> CannedView | None:
        index = self.query_one(OptionList).highlighted
        return self.views[index] if index is not None and index < len(self.views) else None

    @on(OptionList.OptionHighlighted)
    def _show_body(self) -> None:
        view = self.selected
        shown = (
            plain(view.body, single_line=False)
            if view
            else Text("No canned responses yet: a adds one", "dim")
        )
        self.query_one("#canned-text", Static).update(shown)

    @on(OptionList.OptionSelected)
    def _chosen(self) -> None:
        self.action_edit()

    def action_add(self) -> None:
        self._open_editor(None)

    def action_edit(self) -> None:
        if self.selected is not None:
            self._open_editor(self.selected)

    @work(thread=True, exclusive=True, group="canned-open", exit_on_error=False)
    def _open_editor(self, view: CannedView | None) -> None:
        """The editor, with the desk's drafts (its identity read here, off the UI thread)."""
        drafts = DraftStore(desk=self.desk.desk_identity())
        self.app.call_from_thread(self._push_editor, view, drafts)

    def _push_editor(self, view: CannedView | None, drafts: DraftStore) -> None:
        if self.app.screen is self:  # (nothing came over it meanwhile)
            editor = CannedEditScreen(view, may_share=self._may_share(), drafts=drafts)
            self.app.push_screen(editor, self._saved)

    def _may_share(self) -> bool:
        return self.desk.actor.can("supervisor")

    def _saved(self, saved: bool | None) -> None:
        if saved:
            self.reload()

    def action_delete(self) -> None:
        from helpdesk_tui.screens.confirm import Choice, ChoiceScreen

        view = self.selected
        if view is None:
            return
        question = Text(f"Delete the {view.scope} canned response ")
        question.append_text(plain(view.name, "bold"))
        question.append("?")

        def chosen(answer: str | None) -> None:
            if answer == "delete":
                self._delete(view.id)

        choices = [Choice("y", "Delete it", "delete")]
        self.app.push_screen(ChoiceScreen(question, choices, id="canned-delete"), chosen)

    @work(thread=True, exclusive=True, group="canned-change", exit_on_error=False)
    def _delete(self, canned_id: int) -> None:
        self.desk.canned_delete(canned_id)
        self.post_message(self.Listed(self.desk.canned_list()))

    def action_back(self) -> None:
        self.app.pop_screen()

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            if isinstance(error, DeskError) and not isinstance(error, UnknownAgent):
                self.notify(str(error), severity="error", markup=False, timeout=8)
                return
        super().on_worker_state_changed(event)  # (the app covers up for UnknownAgent)


def _names() -> str:
    return " ".join("{{" + name + "}}" for name in PLACEHOLDERS)


class CannedEditScreen(FieldEditor, DeskModal[bool]):
    """Write a canned response: its name, whether it is shared, its text. Dismisses True
    once the desk saved it; a refusal (an unknown placeholder, a name taken) shows here."""

    HELP_TITLE = "Canned response editor"

    CSS_PATH = "canned_manager.tcss"
    DEFAULT_CLASSES = "overlay"
    STATUS_ID = "canned-edit-error"

    BINDINGS = [
        Binding("ctrl+s", "save", "Save", id="canned-edit.save", priority=True),
        Binding("escape", "cancel", "Cancel", id="canned-edit.cancel", priority=True),
    ]

    def __init__(self, view: CannedView | None, *, may_share: bool, drafts: DraftStore) -> None:
        """``drafts``: the desk's (``DraftStore(desk=…)``), where its draft is kept."""
        super().__init__()
        self.view = view
        self.may_share = may_share
        self._item = view.id if view else None
        self._original: dict[str, object] = {
            "name": view.name if view else "",
            "body": clean(view.body) if view else "",  # no escape sequence reaches the terminal
            "shared": view.shared if view else False,
        }
        key = view.draft_key if view else None
        self._draft = FieldDraft(
            self, drafts, "canned", self._item, self._original, self._texts, key
        )

    def compose(self) -> ComposeResult:
        view = self.view
        shown = dict(self._original)
        title = "New canned response" if view is None else f"Edit the {view.scope} response"
        kept = self._draft.kept()
        if kept is not None:
            for name in ("name", "body"):  # (the agent's own text, cleaned like any)
                if isinstance(kept.get(name), str):
                    shown[name] = clean(kept[name], single_line=name == "name")
            if view is None and self.may_share and isinstance(kept.get("shared"), bool):
                shown["shared"] = kept["shared"]
            title += " · your unsaved draft is back"
        with Vertical(id="canned-edit"):
            yield Static(Text(title), id="canned-edit-title")
            with Horizontal(id="canned-edit-row"):
                yield Input(
                    value=str(shown["name"]),
                    placeholder="Name",
                    id="canned-edit-name",
                    select_on_focus=False,  # (the first key typed replaced the name)
                )
                yield Checkbox(
                    "Shared",
                    value=bool(shown["shared"]),
                    disabled=view is not None or not self.may_share,
                    id="canned-edit-shared",
                )
            yield TextArea(str(shown["body"]), id="canned-edit-body", soft_wrap=True)
            yield Static("", id="canned-edit-error", classes="-empty")
            yield Static(
                Text("ctrl+s saves · Esc cancels · F1 lists the keys"), id="canned-edit-hint"
            )
        yield KeyFooter(show_command_palette=False)  # (its keys, not the list's under it)

    def on_mount(self) -> None:
        self._draft.shown()
        self.query_one(Input).focus()
        self.tell_strangers(
            "a new canned response" if self._item is None else f"canned response {self._item}"
        )

    def _texts(self) -> dict[str, object]:
        return {
            "name": self.query_one(Input).value,
            "body": self.query_one(TextArea).text,
            "shared": self.query_one(Checkbox).value,
        }

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Checkbox.Changed)
    def _typed(self) -> None:
        self._draft.typed()

    def keep_draft(self) -> str | None:
        """Keep the response as written now (``FieldDraft.keep``); what was kept, for
        people, or None."""
        if not self._draft.keep():
            return None
        if self._item is None:
            return "Your new canned response"
        return f"Your changes to canned response {self._item}"

    def action_cancel(self) -> None:
        self._draft.close_asking(
            "Close this canned response with changes not saved?",
            "close-canned-draft",
            lambda: self.dismiss(False),
        )

    def action_save(self) -> None:
        name = self.query_one(Input).value
        body = self.query_one(TextArea).text
        shared = self.query_one(Checkbox).value
        canned_id = self.view.id if self.view else None
        self.save_to_desk(
            lambda desk: desk.canned_save(name, body, shared=shared, canned_id=canned_id)
        )

    def saved(self, result: CannedView) -> None:
        self.notify(Text.assemble("Saved: ", plain(result.name)).plain, markup=False)
        self.dismiss(True)
