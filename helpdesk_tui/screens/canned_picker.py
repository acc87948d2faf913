"""Pick a canned response (its text rendered for this ticket goes into the draft) or a macro
(applied to the ticket at once), by typing a few letters: fuzzy, keyboard only.

Ranking is the desk's (``canned_pick``: rapidfuzz, names before bodies). A canned text with
a placeholder the desk does not know is not inserted at all: the error naming it shows here
and the picker stays open. Names and bodies are outside text (anyone may write them): they
are shown through ``plain``, never as markup.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.message import Message
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option
from textual.worker import Worker, WorkerState

from helpdesk_tui.app_access import desk_app
from helpdesk_tui.desk.canned_service import CannedView, MacroView
from helpdesk_tui.desk.errors import DeskError
from helpdesk_tui.safe_text import clean, plain
from helpdesk_tui.screens.key_order import ListedFor
from helpdesk_tui.screens.pickers import ListModal
from helpdesk_tui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from helpdesk_tui.desk.facade import Desk
    from helpdesk_tui.desk.kb_service import ArticleView

PREVIEW_LINES = 4


def preview(body: str) -> Text:
    """The first lines of a text as it is written (placeholders and all)."""
    lines = body.strip().splitlines()
    text = plain("\n".join(lines[:PREVIEW_LINES]), single_line=False)
    if len(lines) > PREVIEW_LINES:
        text.append(f"\n… {len(lines) - PREVIEW_LINES} more lines", "dim")
    return text


class _DeskPicker(ListModal[Any]):
    """A typed query, a list ranked by the desk (in a worker), a preview and an error line."""

    CSS_PATH = ["pickers.tcss", "canned_picker.tcss"]
    DEFAULT_CLASSES = "overlay"

    BINDINGS = [
        Binding("escape", "cancel", "Cancel", id="canned-picker.cancel"),
        Binding("down", "move(1)", "Down", show=False, id="canned-picker.down", priority=True),
        Binding("up", "move(-1)", "Up", show=False, id="canned-picker.up", priority=True),
    ]

    title_text = ""
    hint_text = ""
    empty_text = ""
    """What the preview says when the desk has none at all: where to write the first
    ({helpdesk}: how this user calls the program, ``HelpdeskApp.command``)."""

    def _empty(self) -> str:
        return self.empty_text.format(helpdesk=clean(desk_app(self).command, single_line=True))

    class Found(Message):
        def __init__(self, query: str, items: list[Any]) -> None:
            super().__init__()
            self.query = query
            self.items = items

    def __init__(self) -> None:
        super().__init__()
        self.items: list[Any] = []
        self.listed = ListedFor()

    @property
    def desk(self) -> Desk:
        return desk_app(self).desk

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static(Text(self.title_text), id="picker-title")
            yield Input(id="picker-input", placeholder="Type to search")
            yield OptionList(id="picker-options")
            yield Static("", id="canned-preview")
            yield Static("", id="canned-error", classes="-empty")
            yield Static(Text(self.hint_text), id="picker-hint")
        # Its keys, not those of the composer below (which showed ^r Send and the rest
        # under the picker, none of which works while it is open).
        yield KeyFooter(show_command_palette=False)

    def on_mount(self) -> None:
        self._lookup("")

    @on(Input.Changed)
    def _typed(self, event: Input.Changed) -> None:
        self._lookup(event.value)

    def find_items(self, query: str) -> list[Any]:
        raise NotImplementedError

    def item_label(self, item: Any) -> Text:
        raise NotImplementedError

    def item_body(self, item: Any) -> str:
        raise NotImplementedError

    def choose_item(self, item: Any) -> None:
        raise NotImplementedError

    @work(thread=True, exclusive=True, group="canned-pick", exit_on_error=False)
    def _lookup(self, query: str) -> None:
        self.post_message(self.Found(query, self.find_items(query)))

    @on(Found)
    def _found(self, message: Found) -> None:
        if message.query != self.query_one(Input).value:
            return
        self.items = message.items
        options = self.options
        options.clear_options()
        options.add_options(
            [Option(self.item_label(item), id=str(index)) for index, item in enumerate(self.items)]
        )
        if self.items:
            options.highlighted = 0
        self._preview()
        self.listed.listed(message.query)

    def when_listed(self, act: Callable[[], None]) -> None:
        """``act`` on the list of the words in the search line (``key_order.ListedFor``)."""
        self.listed.when_listed(self.query_one(Input).value, act)

    @on(OptionList.OptionHighlighted)
    def _preview(self) -> None:
        highlighted = self.options.highlighted
        shown = (
            preview(self.item_body(self.items[highlighted]))
            if highlighted is not None and highlighted < len(self.items)
            else Text("Nothing matches" if self.query_one(Input).value else self._empty(), "dim")
        )
        self.query_one("#canned-preview", Static).update(shown)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        self.when_listed(self._choose_highlighted)

    def _choose_highlighted(self) -> None:
        highlighted = self.options.highlighted
        if highlighted is not None and highlighted < len(self.items):
            self.choose_item(self.items[highlighted])

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.choose_item(self.items[int(event.option.id or 0)])

    def show_error(self, message: str) -> None:
        error = self.query_one("#canned-error", Static)
        error.update(plain(message, single_line=False))
        error.set_class(not message, "-empty")

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        if event.state == WorkerState.ERROR:
            error = event.worker.error
            self.show_error(str(error) if isinstance(error, DeskError) else repr(error))


class CannedPickScreen(_DeskPicker):
    """Dismisses with the chosen response's text rendered for ticket ``number`` (or None)."""

    hint_text = "Enter inserts the text for this ticket · Esc cancels"
    empty_text = (
        "No canned responses yet. Write one from the command palette (ctrl+p, Canned "
        "responses) or with {helpdesk} canned add NAME; {helpdesk} demo adds examples."
    )

    class Rendered(Message):
        def __init__(self, text: str) -> None:
            super().__init__()
            self.text = text

    def __init__(self, number: int, desk_name: str) -> None:
        super().__init__()
        self.number = number
        self.desk_name = desk_name
        self.title_text = f"Insert a canned response into #{number}"

    def find_items(self, query: str) -> list[CannedView]:
        return [match.canned for match in self.desk.canned_pick(query)]

    def item_label(self, item: CannedView) -> Text:
        label = plain(item.name)
        label.append(f"  {item.scope}", "dim")
        return label

    def item_body(self, item: CannedView) -> str:
        return item.body

    def choose_item(self, item: CannedView) -> None:
        self.show_error("")
        self._render_canned(item.id)

    @work(thread=True, exclusive=True, group="canned-render", exit_on_error=False)
    def _render_canned(self, canned_id: int) -> None:
        text = self.desk.canned_render(canned_id, self.number, desk_name=self.desk_name)
        self.post_message(self.Rendered(text))

    @on(Rendered)
    def _rendered(self, message: Rendered) -> None:
        self.dismiss(message.text)


class MacroPickScreen(_DeskPicker):
    """Dismisses with the chosen macro's name (or None); the composer applies it."""

    hint_text = "Enter applies the macro to the ticket now · Esc cancels"
    DRAFT_HINTS: ClassVar[dict[str, str]] = {
        kind: f"Enter applies it: fields now, a {kind} text into your draft · Esc cancels"
        for kind in ("reply", "note")
    }
    """The hint from a composer: a text of its kind goes into the draft, not the thread."""
    empty_text = (
        "No macros yet. A supervisor adds one with {helpdesk} macro add NAME; "
        "{helpdesk} demo adds examples."
    )

    def __init__(self, number: int, draft_kind: str | None = None) -> None:
        """``draft_kind``: opened from a composer of that kind (``Desk.macro_apply``)."""
        super().__init__()
        self.title_text = f"Apply a macro to #{number}"
        self.hint_text = self.DRAFT_HINTS.get(draft_kind or "", self.hint_text)

    def find_items(self, query: str) -> list[MacroView]:
        return self.desk.macro_pick(query)

    def item_label(self, item: MacroView) -> Text:
        label = plain(item.name)
        label.append("  ")
        label.append_text(plain(", ".join(item.changes()), "dim"))
        return label

    def item_body(self, item: MacroView) -> str:
        return item.spec.body or "(no text: fields only)"

    def choose_item(self, item: MacroView) -> None:
        self.dismiss(item.name)


class MarkedMacroPickScreen(MacroPickScreen):
    """The queue's marks: dismisses with the chosen macro (its ``MacroView``, or None); the
    queue asks the desk whether it may go on many tickets (``MacroView.bulk_refusal``)."""

    hint_text = "Enter applies it to every marked ticket (a reply macro: one at a time)"

    def __init__(self, count: int) -> None:
        super().__init__(0)
        self.title_text = f"Apply a macro to {count} marked ticket{'s' if count != 1 else ''}"
        self.hint_text = type(self).hint_text

    def choose_item(self, item: MacroView) -> None:
        self.dismiss(item)


class ArticlePickScreen(_DeskPicker):
    """Dismisses with a published article's text (Enter) or its help-site link (ctrl+l), to
    go in at the composer's cursor, or None: the knowledge base from inside a reply or note,
    without leaving it. Which articles, and which may be linked, is the desk's
    (``kb_for_reply``, ``ArticleView.reply_link``): a refused link says why here."""

    BINDINGS = [
        Binding("enter", "text", "Text", id="article-picker.text", priority=True),
        Binding("ctrl+l", "link", "Link", id="article-picker.link", priority=True),
    ]
    hint_text = "Enter puts its text in · ctrl+l its help-site link · Esc cancels"
    empty_text = "No published articles yet: F3 opens the knowledge base, where they are written."

    def __init__(self, number: int, public_url: str) -> None:
        super().__init__()
        self.title_text = f"Put a knowledge-base article into #{number}"
        self.public_url = public_url

    def find_items(self, query: str) -> list[ArticleView]:
        return self.desk.kb_for_reply(query)

    def item_label(self, item: ArticleView) -> Text:
        label = plain(item.title)
        detail = item.category if item.is_public else f"{item.category} · {item.visibility}"
        label.append("  ")
        label.append_text(plain(detail, "dim"))
        return label

    def item_body(self, item: ArticleView) -> str:
        return item.body

    def choose_item(self, item: ArticleView) -> None:
        self.dismiss(clean(item.body, single_line=False).rstrip("\n"))

    def _highlighted(self) -> ArticleView | None:
        index = self.options.highlighted
        return self.items[index] if index is not None and index < len(self.items) else None

    def action_text(self) -> None:
        self.when_listed(self._text)

    def _text(self) -> None:
        item = self._highlighted()
        if item is not None:
            self.choose_item(item)

    def action_link(self) -> None:
        self.when_listed(self._link)

    def _link(self) -> None:
        item = self._highlighted()
        if item is None:
            return
        try:
            link = item.reply_link(self.public_url)
        except DeskError as error:
            self.show_error(str(error))
            return
        self.dismiss(link)
