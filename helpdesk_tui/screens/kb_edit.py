"""Writing or changing a knowledge-base article: title, category, tags, visibility, and the
Markdown text in a TextArea (ctrl+o hands it to ``$EDITOR``). ctrl+s saves (in a worker:
``FieldEditor.save_to_desk``), escape asks before changes are dropped.

What is written is a draft from the first key (``DraftStore.save_fields``, with the replies'
drafts): saved as the composer's text is (``screens.autosave``: a moment after typing
pauses, in a thread), at once when the app quits or the agent's access ends, and offered
back when the same article (or a new one) is opened again. It goes once the desk has saved
the article or the agent discards it.

The desk checks the fields and refuses an edit made against an older version: the editor
stays open with the refusal on one line, the fields as they were. Saved, it closes with the
article as the desk has it (the KB screen shows it).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.screen import Screen
from textual.widgets import Input, Label, Select, Static, TextArea

from helpdesk_tui.desk.kb import Visibility
from helpdesk_tui.drafts import DraftStore
from helpdesk_tui.safe_text import clean
from helpdesk_tui.screens.editor import edit_in_editor
from helpdesk_tui.screens.field_draft import FieldDraft, FieldEditor
from helpdesk_tui.widgets.key_footer import KeyFooter

if TYPE_CHECKING:
    from helpdesk_tui.desk.facade import Desk
    from helpdesk_tui.desk.kb_service import ArticleView


class KbEditScreen(FieldEditor, Screen["ArticleView | None"]):
    """Fields of a new article (``article`` None) or of one to change."""

    CSS_PATH = "kb_edit.tcss"
    HELP_TITLE = "Article editor"
    STATUS_ID = "kb-edit-status"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", id="kb_edit.save", priority=True),
        Binding("ctrl+o", "editor", "$EDITOR", id="kb_edit.editor", priority=True),
        Binding("escape", "cancel", "Cancel", id="kb_edit.cancel"),
    ]

    def __init__(self, article: ArticleView | None, *, drafts: DraftStore) -> None:
        """``drafts``: the desk's (``DraftStore(desk=…)``), where its draft is kept."""
        super().__init__()
        self.article = article
        self._item = article.id if article else None
        self._original = {
            "title": clean(article.title, single_line=True) if article else "",
            "category": clean(article.category, single_line=True) if article else "",
            "tags": " ".join(article.tags) if article else "",
            "visibility": article.visibility if article else Visibility.INTERNAL.value,
            "body": clean(article.body) if article else "",
        }
        key = article.draft_key if article else None
        self._draft = FieldDraft(self, drafts, "kb", self._item, self._original, self._texts, key)

    def compose(self) -> ComposeResult:
        article = self.article
        shown = dict(self._original)
        kept = self._draft.kept()
        heading = "New article" if article is None else f"Editing version {article.version}"
        if kept is not None:
            for name in shown:  # (the agent's own text, cleaned like any)
                value = kept.get(name)
                if isinstance(value, str):
                    shown[name] = clean(value, single_line=name != "body")
            if shown["visibility"] not in {v.value for v in Visibility}:
                shown["visibility"] = self._original["visibility"]
            heading += " · your unsaved draft is back"
        yield Label(Text(heading), id="kb-edit-title-label")
        # (Not selected when focused: the first key typed replaced the whole title.)
        yield Input(shown["title"], placeholder="Title", id="kb-edit-title", select_on_focus=False)
        with Horizontal(id="kb-edit-fields"):
            yield Input(
                shown["category"],
                placeholder="Category",
                id="kb-edit-category",
                select_on_focus=False,
            )
            yield Input(
                shown["tags"],
                placeholder="Tags (space separated)",
                id="kb-edit-tags",
                select_on_focus=False,
            )
            yield Select[str](
                [(v.value, v.value) for v in Visibility],
                value=shown["visibility"],
                allow_blank=False,
                id="kb-edit-visibility",
            )
        area = TextArea(shown["body"], language="markdown", soft_wrap=True, id="kb-edit-body")
        area.cursor_blink = False
        yield area
        yield Static(id="kb-edit-status", classes="-empty")
        yield KeyFooter()

    def on_mount(self) -> None:
        self._draft.shown()
        self.query_one("#kb-edit-title", Input).focus()
        self.tell_strangers("a new article" if self._item is None else f"article {self._item}")

    def _texts(self) -> dict[str, str]:
        """The fields as written now, as a draft keeps them."""
        visibility = self.query_one("#kb-edit-visibility", Select).value
        return {
            "title": self.query_one("#kb-edit-title", Input).value,
            "category": self.query_one("#kb-edit-category", Input).value,
            "tags": self.query_one("#kb-edit-tags", Input).value,
            "visibility": visibility if isinstance(visibility, str) else Visibility.INTERNAL,
            "body": self.query_one("#kb-edit-body", TextArea).text,
        }

    def fields(self) -> dict[str, Any]:
        texts = self._texts()
        return {
            "id": self._item,
            "version": self.article.version if self.article else None,
            "title": texts["title"],
            "category": texts["category"],
            "tags": texts["tags"].split(),
            "visibility": texts["visibility"],
            "body": texts["body"],
        }

    # Drafts -------------------------------------------------------------------------

    @on(Input.Changed)
    @on(TextArea.Changed)
    @on(Select.Changed)
    def _typed(self) -> None:
        self._draft.typed()

    def keep_draft(self) -> str | None:
        """Keep the fields as they are now (``FieldDraft.keep``); what was kept, for people,
        or None."""
        if not self._draft.keep():
            return None
        return "Your new article" if self._item is None else f"Your changes to article {self._item}"

    def action_save(self) -> None:
        if not self.query_one("#kb-edit-title", Input).value.strip():
            self.notify("An article needs a title", severity="warning")
            return
        fields = self.fields()
        article_id, version = fields.pop("id"), fields.pop("version")

        def save(desk: Desk) -> ArticleView:
            if article_id is None:
                return desk.kb_create(**fields)
            return desk.kb_update(article_id, expected_version=version, **fields)

        self.save_to_desk(save)

    def saved(self, result: ArticleView) -> None:
        self.dismiss(result)

    def action_cancel(self) -> None:
        self._draft.close_asking(
            "Close this article with changes not saved?",
            "close-kb-draft",
            lambda: self.dismiss(None),
        )

    def action_editor(self) -> None:
        area = self.query_one("#kb-edit-body", TextArea)
        edited = edit_in_editor(self, area.text, extension=".md", what="article text")
        if edited is not None:
            area.load_text(clean(edited))
