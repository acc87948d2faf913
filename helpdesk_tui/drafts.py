"""Drafts of replies, notes and call logs, kept as files so they outlive the app.

One file per ticket and kind under ``data_dir()/drafts``, written atomically (a temporary
file renamed over the old one), readable by the agent only. A knowledge-base article or a
canned response being written is kept there too (``save_fields``: one JSON file per
article or response, ``kb-12.json``, ``canned-new.json``), so leaving the app, a crash or
the end of the agent's access loses no text.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, Protocol, cast, runtime_checkable

from helpdesk_tui.config_files import data_dir

DraftKind = Literal["reply", "note", "call"]
DRAFT_KINDS: tuple[DraftKind, ...] = ("reply", "note", "call")
_DRAFT_FILE = re.compile(r"(\d+)-(reply|note|call)\.txt")
PREVIEW_CHARS = 60

EditorKind = Literal["kb", "canned"]
"""What else is written as a draft: a knowledge-base article, a canned response."""
EDITOR_KINDS: tuple[EditorKind, ...] = ("kb", "canned")
_EDITOR_FILE = re.compile(r"(kb|canned)-(\d+|new)\.json")
EDITOR_NAMES: dict[EditorKind, str] = {"kb": "article", "canned": "canned response"}


@dataclass(frozen=True)
class EditorDraft:
    """A kept article or canned response: which (``item`` None: a new one), when, how it
    is named (its title or name, as the agent wrote it)."""

    kind: EditorKind
    item: int | None
    saved_at: datetime
    preview: str


@runtime_checkable
class KeepsDraft(Protocol):
    """A screen whose text is kept as a draft at once when the app quits or the agent's
    access ends (``screens.access_ended.keep_drafts``)."""

    def keep_draft(self) -> str | None:
        """Save now; what was kept, for people ("Your note on #1042"), or None."""
        ...


@dataclass(frozen=True)
class Draft:
    """One kept draft: which ticket and kind, when it was last saved, how it begins."""

    number: int
    kind: DraftKind
    saved_at: datetime
    preview: str
    """The first non-blank line, cut to ``PREVIEW_CHARS`` (the agent's own text)."""


class DraftStore:
    """Where one agent's drafts live; ``root`` defaults to ``data_dir()/drafts``."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root if root is not None else data_dir() / "drafts"

    def path(self, number: int, kind: DraftKind) -> Path:
        if kind not in DRAFT_KINDS:
            raise ValueError(f"unknown draft kind {kind!r}")
        return self.root / f"{int(number)}-{kind}.txt"

    def load(self, number: int, kind: DraftKind) -> str:
        """The saved draft, or an empty string when there is none."""
        try:
            return self.path(number, kind).read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""

    def save(self, number: int, kind: DraftKind, text: str) -> None:
        """Keep ``text``; an empty (or blank) text removes the draft instead."""
        if not text.strip():
            self.delete(number, kind)
            return
        self._write(self.path(number, kind), text)

    def _write(self, target: Path, text: str) -> None:
        """Atomically, in the agent's own directory (0700; the file 0600, ``mkstemp``)."""
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        handle, temp = tempfile.mkstemp(dir=self.root, prefix=f".{target.name}.", suffix=".tmp")
        try:
            with os.fdopen(handle, "w", encoding="utf-8") as out:
                out.write(text)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, target)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(temp)
            raise

    def fields_path(self, kind: EditorKind, item: int | None) -> Path:
        """The draft of article/response ``item`` (None: a new one)."""
        if kind not in EDITOR_KINDS:
            raise ValueError(f"unknown draft kind {kind!r}")
        return self.root / f"{kind}-{'new' if item is None else int(item)}.json"

    def load_fields(self, kind: EditorKind, item: int | None) -> dict[str, Any] | None:
        """The kept fields of an article or response being written, or None (none, or a
        file that is not a draft's: left alone)."""
        try:
            kept = json.loads(self.fields_path(kind, item).read_text(encoding="utf-8"))
        except (FileNotFoundError, ValueError):
            return None
        return kept if isinstance(kept, dict) else None

    def save_fields(self, kind: EditorKind, item: int | None, fields: dict[str, Any]) -> None:
        self._write(self.fields_path(kind, item), json.dumps(fields, ensure_ascii=False))

    def delete_fields(self, kind: EditorKind, item: int | None) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fields_path(kind, item).unlink()

    def delete(self, number: int, kind: DraftKind) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(number, kind).unlink()

    def move(self, number: int, to: int) -> list[DraftKind]:
        """Drafts of a ticket merged into ``to`` follow it, where ``to`` has none of that kind.

        A draft ``to`` already has is never overwritten (the other stays, and is listed).
        """
        moved: list[DraftKind] = []
        for kind in DRAFT_KINDS:
            source, target = self.path(number, kind), self.path(to, kind)
            try:
                os.link(source, target)  # fails, changing nothing, if ``target`` exists
            except (FileNotFoundError, FileExistsError):
                continue
            source.unlink()
            moved.append(kind)
        return moved

    def editor_drafts(self) -> list[EditorDraft]:
        """Every article and canned response kept, most recently saved first."""
        found: list[EditorDraft] = []
        try:
            entries = list(os.scandir(self.root))
        except FileNotFoundError:
            return []
        for entry in entries:
            match = _EDITOR_FILE.fullmatch(entry.name)
            if match is None or not entry.is_file():
                continue
            kind = cast(EditorKind, match.group(1))
            item = None if match.group(2) == "new" else int(match.group(2))
            kept = self.load_fields(kind, item)
            try:
                saved = datetime.fromtimestamp(entry.stat().st_mtime, UTC)
            except FileNotFoundError:
                continue
            if kept is None:
                continue
            named = kept.get("title", kept.get("name", ""))
            found.append(EditorDraft(kind, item, saved, _preview(str(named))))
        found.sort(key=lambda d: (d.saved_at, d.kind, d.item or 0), reverse=True)
        return found

    def kinds_with_drafts(self, number: int) -> list[DraftKind]:
        """Which drafts exist for a ticket (shown on the ticket screen)."""
        return [kind for kind in DRAFT_KINDS if self.path(number, kind).exists()]

    def list_drafts(self) -> list[Draft]:
        """Every draft kept, most recently saved first (so none is stranded out of sight)."""
        found: list[Draft] = []
        try:
            entries = list(os.scandir(self.root))
        except FileNotFoundError:
            return []
        for entry in entries:
            match = _DRAFT_FILE.fullmatch(entry.name)
            if match is None or not entry.is_file():
                continue
            number, kind = int(match.group(1)), cast(DraftKind, match.group(2))
            try:
                text = Path(entry.path).read_text(encoding="utf-8", errors="replace")
                saved = datetime.fromtimestamp(entry.stat().st_mtime, UTC)
            except FileNotFoundError:
                continue  # sent or discarded meanwhile
            found.append(Draft(number, kind, saved, _preview(text)))
        found.sort(key=lambda d: (d.saved_at, d.number, d.kind), reverse=True)
        return found


def _preview(text: str) -> str:
    """The first non-blank line of ``text``, cut to ``PREVIEW_CHARS``."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first if len(first) <= PREVIEW_CHARS else first[: PREVIEW_CHARS - 1] + "…"
