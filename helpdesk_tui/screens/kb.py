"""The knowledge-base screen (its own app mode: F3 or the palette from anywhere).

Search as you type (debounced; the search runs in a thread worker through the desk), ranked
results with the searched words highlighted, a Markdown preview of the highlighted article,
filters by category, tag, status and visibility; n (ctrl+n from the search box) writes a
new article, e edits the highlighted one (a Markdown TextArea, or ``$EDITOR`` from there),
p publishes or unpublishes. With no article listed the preview says what to do next.
Every title and body is outside text: titles go through ``plain`` into ``Text``, bodies are
cleaned of control sequences before the Markdown widget sees them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, ClassVar

from rich.console import Group
from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.reactive import reactive
from textual.timer import Timer
from textual.widgets import Input, Markdown, OptionList, Select, Static
from textual.widgets.option_list import Option

from helpdesk_tui import timefmt
from helpdesk_tui.desk.kb import ArticleStatus, Span, Visibility
from helpdesk_tui.drafts import DraftStore
from helpdesk_tui.safe_text import clean, plain
from helpdesk_tui.screens.base import DeskScreen
from helpdesk_tui.widgets.desk_header import DeskHeader
from helpdesk_tui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from helpdesk_tui.desk.kb_service import ArticleView, KbResult

DEBOUNCE_SECONDS = 0.2
"""The search runs once typing pauses this long."""
LISTED = 50
MATCH_STYLE = "bold reverse"
FILTERS = ("category", "tag", "status", "visibility")
NO_ARTICLES = (
    "No articles yet — ctrl+n writes one; {helpdesk} kb import DIR reads Markdown files "
    "({helpdesk} demo adds examples)."
)
"""The preview's text on a knowledge base with no article at all: the next step
({helpdesk}: how this user calls the program, ``HelpdeskApp.command``)."""
NO_MATCH = "No article matches — try other words or filters, or ctrl+n writes one."


def highlighted(text: str, spans: tuple[Span, ...], style: str = "") -> Text:
    """``text`` as plain ``Text`` (never markup) with the matched words styled."""
    shown = plain(text, style)
    if shown.plain == text:  # spans index the original; cleaning changed nothing here
        for start, end in spans:
            shown.stylize(MATCH_STYLE, start, end)
    return shown


def result_prompt(article: ArticleView, title_spans: tuple[Span, ...], snippet: Text) -> Group:
    """Two lines, each cut to the width: the title with its matches, then where it sits, its
    state and the body around the first match."""
    title = highlighted(article.title, title_spans, "bold")
    state = article.status if article.status == ArticleStatus.DRAFT else ""
    hidden = "internal" if article.visibility == Visibility.INTERNAL else ""
    meta = " · ".join(p for p in (clean(article.category, single_line=True), state, hidden) if p)
    second = Text(meta or "-", "dim")
    if snippet.plain:
        second.append("  ")
        second.append_text(snippet)
    for line in (title, second):
        line.no_wrap = True
        line.overflow = "ellipsis"
    return Group(title, second)


class KbScreen(DeskScreen):
    """Search, read and write knowledge-base articles."""

    CSS_PATH = "kb.tcss"
    HELP_TITLE = "Knowledge base"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "leave", "Back", id="kb.leave"),
        Binding("slash", "focus_search", "Search", id="kb.search"),
        # ctrl+n too: the screen opens in the search box, where n is typed. Two ids, so
        # remapping one in [ui.keymap] leaves the other (the search box needs ctrl+n).
        Binding("n", "new", "New", id="kb.new"),
        Binding("ctrl+n", "new", "New", id="kb.new_from_search"),
        Binding("e", "edit", "Edit", id="kb.edit"),
        # One key, named for what it does to the article shown ("Publish/unpublish" left
        # no room for "? Keys" in the footer at 80 columns); check_action shows one of them.
        Binding("p", "publish", "Publish", id="kb.publish"),
        Binding("p", "unpublish", "Unpublish", id="kb.unpublish"),
        Binding("c", "filter('category')", "Category", show=False, id="kb.filter_category"),
        Binding("t", "filter('tag')", "Tag", show=False, id="kb.filter_tag"),
        Binding("s", "filter('status')", "Status", show=False, id="kb.filter_status"),
        Binding("v", "filter('visibility')", "Visibility", show=False, id="kb.filter_visibility"),
        Binding("ctrl+l", "reload", "Reload", show=False, id="kb.reload"),
    ]

    search_text: reactive[str] = reactive("")
    """What the search box holds (searched once typing pauses)."""
    article: reactive[ArticleView | None] = reactive(None)
    """The highlighted article, shown in the preview."""
    empty_hint: reactive[str] = reactive("")
    """What the preview says when no article is listed (``NO_ARTICLES``, ``NO_MATCH``)."""

    def __init__(self) -> None:
        super().__init__()
        self._timer: Timer | None = None
        self.results: list[ArticleView] = []
        self.searched: str | None = None
        """The query the shown results are for (None before the first search)."""
        self.wanted: int | None = None
        """An article asked for by id (:meth:`open_article`): highlighted when it is listed."""
        self.wanted_edit: int | None = None
        """An article whose kept draft is to be opened (:meth:`edit_draft`), once mounted."""

    def compose(self) -> ComposeResult:
        yield DeskHeader()
        yield Input(placeholder="Search articles (title, tags, text)", id="kb-query")
        with Horizontal(id="kb-filters"):
            yield Select[str]([], prompt="Category", id="kb-category")
            yield Select[str]([], prompt="Tag", id="kb-tag")
            yield Select[str](
                [(s.value, s.value) for s in ArticleStatus], prompt="Status", id="kb-status"
            )
            yield Select[str](
                [(v.value, v.value) for v in Visibility], prompt="Visibility", id="kb-visibility"
            )
        with Horizontal(id="kb-body"):
            yield OptionList(id="kb-results")
            with Vertical(id="kb-preview"):
                yield Static(id="kb-meta")
                with VerticalScroll(id="kb-preview-scroll"):
                    yield Markdown(id="kb-markdown")
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#kb-query", Input).focus()
        self.load_choices()
        if self.wanted_edit is not None:
            self._fetch_to_edit(self.wanted_edit)
            self.wanted_edit = None
        if self.wanted is not None:
            self._fetch(self.wanted)
        else:
            self.run_search()

    def open_article(self, article_id: int) -> None:
        """Show one article: its title searched, filters cleared, the article highlighted."""
        self.wanted = article_id
        if self.is_mounted:
            self._fetch(article_id)

    @work(thread=True, exclusive=True, group="kb-open", exit_on_error=False)
    def _fetch(self, article_id: int) -> None:
        article = self.desk.kb_article(article_id)
        self.app.call_from_thread(self._opened, article)

    def _opened(self, article: ArticleView) -> None:
        for name in FILTERS:
            select = self.query_one(f"#kb-{name}", Select)
            with select.prevent(Select.Changed):
                select.clear()
        self.article = article
        query = self.query_one("#kb-query", Input)
        query.value = clean(article.title, single_line=True)
        self.search_text = query.value
        if self._timer is not None:
            self._timer.stop()  # no need to wait for typing to pause
        self.run_search()
        self.query_one("#kb-results", OptionList).focus()

    def on_screen_resume(self) -> None:
        self.load_choices()

    # -- searching ------------------------------------------------------------------------------

    @on(Input.Changed, "#kb-query")
    def _typed(self, event: Input.Changed) -> None:
        self.search_text = event.value

    def watch_search_text(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self._timer = self.set_timer(DEBOUNCE_SECONDS, self.run_search)

    @on(Select.Changed)
    def _filtered(self) -> None:
        self.run_search()

    def filters(self) -> dict[str, str | None]:
        chosen: dict[str, str | None] = {}
        for name in FILTERS:
            value = self.query_one(f"#kb-{name}", Select).value
            chosen[name] = value if isinstance(value, str) else None
        return chosen

    def run_search(self) -> None:
        """Search now for what the box holds, with the filters chosen."""
        self._search(self.search_text, self.filters())

    @work(thread=True, exclusive=True, group="kb-search", exit_on_error=False)
    def _search(self, query: str, filters: dict[str, str | None]) -> None:
        rows: list[tuple[ArticleView, tuple[Span, ...], Text]]
        if query.strip():
            found: list[KbResult] = self.desk.kb_search(query, limit=LISTED, **filters)
            rows = [
                (r.article, r.title_spans, highlighted(r.snippet, r.snippet_spans, "dim"))
                for r in found
            ]
        else:
            rows = [(a, (), Text()) for a in self.desk.kb_list(limit=LISTED, **filters)]
        self.app.call_from_thread(self._show, query, rows, filters)

    def _show(
        self,
        query: str,
        rows: list[tuple[ArticleView, tuple[Span, ...], Text]],
        filters: dict[str, str | None],
    ) -> None:
        if query != self.search_text or filters != self.filters():
            # An older search that finished late (its thread is not stopped when a newer
            # one starts): the newer one, for what the box and the filters hold, is on its way.
            return
        listing = self.query_one("#kb-results", OptionList)
        # The same search again (after a save): stay on the article; a new one: its best.
        same = query == self.searched
        keep = self.article.id if self.article is not None and same else None
        if self.wanted is not None:
            keep, self.wanted = self.wanted, None
        listing.clear_options()
        listing.add_options(
            [Option(result_prompt(a, spans, line), id=str(a.id)) for a, spans, line in rows]
        )
        self.results = [a for a, _, _ in rows]
        self.searched = query
        ids = [a.id for a in self.results]
        if ids:
            listing.highlighted = ids.index(keep) if keep in ids else 0
        else:
            searched = query.strip() or any(filters.values())
            command = clean(self.desk_app.command, single_line=True)
            self.empty_hint = NO_MATCH if searched else NO_ARTICLES.format(helpdesk=command)
            self.article = None
        count = len(rows)
        listing.border_title = f"{count} article{'s' if count != 1 else ''}"

    @on(OptionList.OptionHighlighted, "#kb-results")
    def _highlighted(self, event: OptionList.OptionHighlighted) -> None:
        index = event.option_index
        self.article = self.results[index] if 0 <= index < len(self.results) else None

    def watch_empty_hint(self) -> None:
        if self.article is None:
            self.watch_article(None)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in ("publish", "unpublish"):
            article = self.article
            published = article is not None and article.status == ArticleStatus.PUBLISHED
            return published == (action == "unpublish")
        return True

    def watch_article(self, article: ArticleView | None) -> None:
        self.refresh_bindings()  # (p publishes or unpublishes the article shown)
        meta = self.query_one("#kb-meta", Static)
        markdown = self.query_one("#kb-markdown", Markdown)
        if article is None:
            meta.update(Text(self.empty_hint or "No article", "dim"))
            markdown.update("")
            return
        line = plain(article.title, "bold")
        line.append("\n")
        updated = timefmt.relative(article.updated_at, self.app.clock())  # type: ignore[attr-defined]
        details = [
            clean(article.category, single_line=True) or "no category",
            article.status,
            article.visibility,
            f"v{article.version}",
            f"updated {updated}",
        ]
        line.append(" · ".join(details), "dim")
        if article.tags:
            line.append("\n")
            line.append_text(plain(" ".join(f"#{t}" for t in article.tags), "dim"))
        meta.update(line)
        markdown.update(clean(article.body))

    @work(thread=True, exclusive=True, group="kb-choices", exit_on_error=False)
    def load_choices(self) -> None:
        categories, tags = self.desk.kb_categories(), self.desk.kb_tags()
        self.app.call_from_thread(self._set_choices, categories, tags)

    def _set_choices(self, categories: list[str], tags: list[str]) -> None:
        for name, values in (("category", categories), ("tag", tags)):
            select = self.query_one(f"#kb-{name}", Select)
            current = select.value
            with select.prevent(Select.Changed):
                select.set_options([(plain(v), v) for v in values])
                if isinstance(current, str) and current in values:
                    select.value = current

    # -- keys -----------------------------------------------------------------------------------

    @on(Input.Submitted, "#kb-query")
    def _to_results(self) -> None:
        if self._timer is not None:
            self._timer.stop()
        self.run_search()
        self.query_one("#kb-results", OptionList).focus()

    def action_focus_search(self) -> None:
        self.query_one("#kb-query", Input).focus()

    def action_filter(self, name: str) -> None:
        self.query_one(f"#kb-{name}", Select).focus()

    def action_leave(self) -> None:
        """Back to the queue's mode as it was left: the queue, or the ticket open there."""
        self.app.switch_mode("queue")

    def action_reload(self) -> None:
        self.load_choices()
        self.run_search()

    def action_new(self) -> None:
        self._open_editor(None)

    def action_edit(self) -> None:
        if self.article is None:
            self.notify("No article to edit", severity="warning")
            return
        self._open_editor(self.article)

    @work(thread=True, exclusive=True, group="kb-editor", exit_on_error=False)
    def _open_editor(self, article: ArticleView | None) -> None:
        """The editor, with the desk's drafts (its identity read here, off the UI thread)."""
        drafts = DraftStore(desk=self.desk.desk_identity())
        self.app.call_from_thread(self._edit_fetched, article, drafts)

    def edit_draft(self, item: int | None) -> None:
        """Open the editor of a kept draft (``item`` None: a new article's), which offers
        the draft back (the Drafts screen: ``HelpdeskApp.open_editor_draft``)."""
        if item is None:
            self.action_new()
        elif self.is_mounted:
            self._fetch_to_edit(item)
        else:
            self.wanted_edit = item

    @work(thread=True, exclusive=True, group="kb-open", exit_on_error=False)
    def _fetch_to_edit(self, article_id: int) -> None:
        article = self.desk.kb_article(article_id)
        drafts = DraftStore(desk=self.desk.desk_identity())
        self.app.call_from_thread(self._edit_fetched, article, drafts)

    def _edit_fetched(self, article: ArticleView | None, drafts: DraftStore) -> None:
        from helpdesk_tui.screens.kb_edit import KbEditScreen

        if self.app.screen is self:  # (nothing came over it meanwhile)
            self.app.push_screen(KbEditScreen(article, drafts=drafts), self._save)

    def _save(self, saved: ArticleView | None) -> None:
        """The editor closed: with the article the desk saved (None: nothing saved)."""
        if saved is not None:
            self._written(saved, "Saved")

    def action_publish(self) -> None:
        if self.article is not None:
            self._toggle(self.article)

    def action_unpublish(self) -> None:
        self.action_publish()  # (_toggle reads the article's status)

    @work(thread=True, exclusive=True, group="kb-write", exit_on_error=False)
    def _toggle(self, article: ArticleView) -> None:
        if article.status == ArticleStatus.PUBLISHED:
            made, done = (
                self.desk.kb_unpublish(article.id, expected_version=article.version),
                "Unpublished",
            )
        else:
            made, done = (
                self.desk.kb_publish(article.id, expected_version=article.version),
                "Published",
            )
        self.app.call_from_thread(self._written, made, done)

    def _written(self, article: ArticleView, done: str) -> None:
        self.notify(Text.assemble(f"{done}: ", plain(article.title)).plain, markup=False)
        self.article = article
        self.load_choices()
        self.run_search()
