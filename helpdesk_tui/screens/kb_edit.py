"""Writing or changing a knowledge-base article: title, category, tags, visibility, and the
Markdown text in a TextArea (ctrl+o hands it to ``$EDITOR``). ctrl+s saves, escape drops.

The screen only collects the fields; the KB screen saves them through the desk, which checks
them and refuses an edit made against an older version.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Input, Label, Select, TextArea

from helpdesk_tui.desk.kb import Visibility
from helpdesk_tui.safe_text import clean
from helpdesk_tui.screens.editor import edit_in_editor
from helpdesk_tui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from helpdesk_tui.desk.kb_service import ArticleView


class KbEditScreen(Screen[dict[str, Any] | None]):
    """Fields of a new article (``article`` None) or of one to change."""

    CSS_PATH = "kb_edit.tcss"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="kb_edit.save", priority=True),
        Binding("ctrl+o", "editor", "$EDITOR", id="kb_edit.editor", priority=True),
        Binding("escape", "cancel", "Cancel", id="kb_edit.cancel"),
    ]

    def __init__(self, article: ArticleView | None) -> None:
        super().__init__()
        self.article = article

    def compose(self) -> ComposeResult:
        article = self.article
        heading = "New article" if article is None else f"Editing version {article.version}"
        yield Label(heading, id="kb-edit-title-label")
        yield Input(
            clean(article.title, single_line=True) if article else "",
            placeholder="Title",
            id="kb-edit-title",
        )
        with Horizontal(id="kb-edit-fields"):
            yield Input(
                clean(article.category, single_line=True) if article else "",
                placeholder="Category",
                id="kb-edit-category",
            )
            yield Input(
                " ".join(article.tags) if article else "",
                placeholder="Tags (space separated)",
                id="kb-edit-tags",
            )
            yield Select[str](
                [(v.value, v.value) for v in Visibility],
                value=article.visibility if article else Visibility.INTERNAL.value,
                allow_blank=False,
                id="kb-edit-visibility",
            )
        area = TextArea(
            clean(article.body) if article else "",
            language="markdown",
            soft_wrap=True,
            id="kb-edit-body",
        )
        area.cursor_blink = False
        yield area
        yield KeyFooter()

    def on_mount(self) -> None:
        self.query_one("#kb-edit-title", Input).focus()

    def fields(self) -> dict[str, Any]:
        visibility = self.query_one("#kb-edit-visibility", Select).value
        return {
            "id": self.article.id if self.article else None,
            "version": self.article.version if self.article else None,
            "title": self.query_one("#kb-edit-title", Input).value,
            "category": self.query_one("#kb-edit-category", Input).value,
            "tags": self.query_one("#kb-edit-tags", Input).value.split(),
            "visibility": visibility if isinstance(visibility, str) else Visibility.INTERNAL,
            "body": self.query_one("#kb-edit-body", TextArea).text,
        }

    def action_save(self) -> None:
        if not self.query_one("#kb-edit-title", Input).value.strip():
            self.notify("An article needs a title", severity="warning")
            return
        self.dismiss(self.fields())

    def action_cancel(self) -> None:
        self.dismiss(None)

    def action_editor(self) -> None:
        area = self.query_one("#kb-edit-body", TextArea)
        edited = edit_in_editor(self, area.text, extension=".md", what="article text")
        if edited is not None:
            area.load_text(clean(edited))
