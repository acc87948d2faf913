"""Drafts of replies, notes and call logs, kept as files so they outlive the app.

One file per ticket and kind under ``data_dir()/drafts/desk-<desk id>/``, named
``{number}-{kind}.{ticket}.txt``: the desk's identity (``desk_setting`` ``desk.id``, copied by
backup and restore as the desk's content is) and the ticket's (``ticket_key``: its id and
creation time, which no other ticket of that desk has even where a restore reuses its number)
say whose it is, so a draft is never loaded into a composer on another desk's ticket or on
another ticket that now has its number. Files straight under ``drafts/`` named
``{number}-{kind}.txt`` were written before drafts knew their desk ("unclaimed"): listed, never
loaded, adopted by ``helpdesk drafts adopt``. Written atomically (a temporary file renamed over
the old one), readable by the agent only. A knowledge-base article or a
canned response being written is kept in the desk's folder too (``save_fields``: one JSON
file per article or response, ``kb-12.{article}.json`` named by the article's key as a
ticket's draft is by the ticket's, ``canned-new.json`` for a new one), so leaving the app, a
crash or the end of the agent's access loses no text, and another desk's article 12, or a
response that got the id of a deleted one, is never offered another's draft. Such files
straight under ``drafts/`` (``kb-12.json``) are unclaimed like the ticket drafts there:
listed, never offered back, adopted by ``helpdesk drafts adopt kb:12``.
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
_DRAFT_FILE = re.compile(r"(\d+)-(reply|note|call)(?:\.(\d+-\d+))?\.txt")
_DESK_ID = re.compile(r"[0-9a-f]{8,64}")
TICKET_KEY = re.compile(r"\d{1,19}-\d{1,20}")
"""What ``ticket_key`` makes (and all a file name may hold of it)."""
DESK_DIR_PREFIX = "desk-"
PREVIEW_CHARS = 60

EditorKind = Literal["kb", "canned"]
"""What else is written as a draft: a knowledge-base article, a canned response."""
EDITOR_KINDS: tuple[EditorKind, ...] = ("kb", "canned")
_EDITOR_FILE = re.compile(r"(kb|canned)-(\d+|new)(?:\.(\d+-\d+))?\.json")
EDITOR_NAMES: dict[EditorKind, str] = {"kb": "article", "canned": "canned response"}


@dataclass(frozen=True)
class EditorDraft:
    """A kept article or canned response: which (``item`` None: a new one), when, how it
    is named (its title or name, as the agent wrote it)."""

    kind: EditorKind
    item: int | None
    saved_at: datetime
    preview: str
    key: str | None = None
    """The article or response it was written on (``item_key``; None: a new one's, or
    unclaimed)."""
    unclaimed: bool = False
    """Written before drafts knew their desk (straight under ``drafts/``): never offered
    back by an editor; ``helpdesk drafts adopt kb:12`` makes it this desk's."""
    path: Path | None = None
    """Where the file is (for people: to read, adopt or delete it)."""


@runtime_checkable
class KeepsDraft(Protocol):
    """A screen whose text is kept as a draft at once when the app quits or the agent's
    access ends (``screens.access_ended.keep_drafts``)."""

    def keep_draft(self) -> str | None:
        """Save now; what was kept, for people ("Your note on #1042"), or None."""
        ...


def ticket_key(ticket_id: int, created_at: datetime) -> str:
    """Which ticket a draft was written on: ``{id}-{creation time in µs}``. A merge keeps
    both tickets (and this); a restore of an older backup may give a new ticket an old
    number, and even an old id, but not the same creation time."""
    if created_at.tzinfo is None:
        created_at = created_at.replace(tzinfo=UTC)  # (the desk keeps UTC)
    micros = round(created_at.timestamp() * 1_000_000)
    return f"{int(ticket_id)}-{micros}"


item_key = ticket_key
"""Which article or canned response an editor's draft was written on: its id and creation
time, as a ticket's (an id a deleted response had may be given to a new one; not its time)."""


@dataclass(frozen=True)
class Draft:
    """One kept draft: which ticket and kind, when it was last saved, how it begins."""

    number: int
    kind: DraftKind
    saved_at: datetime
    preview: str
    """The first non-blank line, cut to ``PREVIEW_CHARS`` (the agent's own text)."""
    ticket: str | None = None
    """The ticket it was written on (``ticket_key``); None: written before drafts knew it
    (unclaimed: never loaded into a composer)."""
    path: Path | None = None
    """Where the file is (for people: to read, adopt or delete it)."""

    def written_on(self, ticket_id: int, created_at: datetime) -> bool:
        """Whether the ticket now numbered ``number`` is the one the draft was written on."""
        return self.ticket is not None and self.ticket == ticket_key(ticket_id, created_at)


class DraftStore:
    """Where one agent's drafts live: ``root`` defaults to ``data_dir()/drafts``; ``desk``
    (the desk's identity, ``Desk.desk_identity``) keeps ticket drafts in that desk's own
    folder under it, and the articles and canned responses being written (``fields_path``).

    A ticket draft is named by the ticket it was written on (``ticket``: ``ticket_key``);
    ``ticket=None`` means the unclaimed kind (no ticket said: tests, and drafts written
    before this)."""

    def __init__(self, root: Path | None = None, *, desk: str | None = None) -> None:
        self.base = root if root is not None else data_dir() / "drafts"
        if desk is not None and not _DESK_ID.fullmatch(desk):
            raise ValueError(f"not a desk identity: {desk!r}")
        self.desk = desk
        self.root = self.base / f"{DESK_DIR_PREFIX}{desk}" if desk is not None else self.base

    def path(self, number: int, kind: DraftKind, ticket: str | None = None) -> Path:
        if kind not in DRAFT_KINDS:
            raise ValueError(f"unknown draft kind {kind!r}")
        if ticket is None:  # (unclaimed: where drafts were kept before they knew their desk)
            return self.base / f"{int(number)}-{kind}.txt"
        if not TICKET_KEY.fullmatch(ticket):
            raise ValueError(f"not a ticket key: {ticket!r}")
        return self.root / f"{int(number)}-{kind}.{ticket}.txt"

    def load(self, number: int, kind: DraftKind, ticket: str | None = None) -> str:
        """The saved draft of that very ticket, or an empty string when there is none (a
        draft on another ticket with that number is never read here: ``strangers``)."""
        try:
            return self.path(number, kind, ticket).read_text(encoding="utf-8")
        except FileNotFoundError:
            return ""

    def save(self, number: int, kind: DraftKind, text: str, ticket: str | None = None) -> None:
        """Keep ``text``; an empty (or blank) text removes the draft instead."""
        if not text.strip():
            self.delete(number, kind, ticket)
            return
        self._write(self.path(number, kind, ticket), text)

    def strangers(self, number: int, ticket: str) -> list[Draft]:
        """Drafts kept for ``#number`` that were not written on this ticket (another ticket
        that had the number, on this desk or a restored copy of it), and the unclaimed ones
        written before drafts knew their desk: shown, never loaded, never overwritten."""
        found = [
            draft
            for draft in self.list_drafts()
            if draft.number == number and draft.ticket != ticket
        ]
        return found

    def _write(self, target: Path, text: str) -> None:
        """Atomically, in the agent's own directory (0700; the file 0600, ``mkstemp``)."""
        self.base.mkdir(parents=True, exist_ok=True, mode=0o700)
        target.parent.mkdir(exist_ok=True, mode=0o700)
        handle, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
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

    def fields_path(self, kind: EditorKind, item: int | None, key: str | None = None) -> Path:
        """The draft of article/response ``item`` (None: a new one), written on the one
        ``key`` names (``item_key``), in the desk's folder; unclaimed (``unclaimed_fields``)
        where the store knows no desk."""
        if kind not in EDITOR_KINDS:
            raise ValueError(f"unknown draft kind {kind!r}")
        if self.desk is None:
            return self.unclaimed_fields(kind, item)
        if item is None:
            return self.root / f"{kind}-new.json"
        if key is None or not TICKET_KEY.fullmatch(key):
            raise ValueError(f"not an article's or response's key: {key!r}")
        return self.root / f"{kind}-{int(item)}.{key}.json"

    def unclaimed_fields(self, kind: EditorKind, item: int | None) -> Path:
        """Where an editor's draft was kept before drafts knew their desk."""
        if kind not in EDITOR_KINDS:
            raise ValueError(f"unknown draft kind {kind!r}")
        return self.base / f"{kind}-{'new' if item is None else int(item)}.json"

    def load_fields(
        self, kind: EditorKind, item: int | None, key: str | None = None
    ) -> dict[str, Any] | None:
        """The kept fields of an article or response being written, or None (none, or a
        file that is not a draft's: left alone)."""
        return _read_fields(self.fields_path(kind, item, key))

    def save_fields(
        self, kind: EditorKind, item: int | None, fields: dict[str, Any], key: str | None = None
    ) -> None:
        self._write(self.fields_path(kind, item, key), json.dumps(fields, ensure_ascii=False))

    def delete_fields(self, kind: EditorKind, item: int | None, key: str | None = None) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.fields_path(kind, item, key).unlink()

    def delete_editor_draft(
        self, kind: EditorKind, item: int | None, key: str | None, *, unclaimed: bool
    ) -> None:
        """Discard a listed editor's draft (``EditorDraft``: this desk's, or unclaimed)."""
        path = self.unclaimed_fields(kind, item) if unclaimed else self.fields_path(kind, item, key)
        with contextlib.suppress(FileNotFoundError):
            path.unlink()

    def fields_strangers(self, kind: EditorKind, item: int | None, key: str | None) -> int:
        """How many drafts kept for ``item``'s id were not written on it (on an article or
        response that had the id before, or unclaimed): never offered in its editor. (Names
        only: an editor asks as it opens.)"""
        which = "new" if item is None else str(int(item))
        count = int(self.desk is not None and self.unclaimed_fields(kind, item).is_file())
        if self.desk is None or item is None:
            return count
        try:
            names = [entry.name for entry in os.scandir(self.root)]
        except FileNotFoundError:
            return count
        for name in names:
            match = _EDITOR_FILE.fullmatch(name)
            if match and match.group(1, 2) == (kind, which) and match.group(3) not in {key, None}:
                count += 1
        return count

    def adopt_fields(self, kind: EditorKind, item: int | None, key: str | None) -> bool:
        """An unclaimed editor's draft becomes this desk's ``item``'s (``key``; a new one's
        for None); False when there is none, or there is one already (nothing overwritten)."""
        if self.desk is None:
            raise ValueError("adopting needs the desk's identity")
        source = self.unclaimed_fields(kind, item)
        target = self.fields_path(kind, item, key)
        target.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            os.link(source, target)
        except (FileNotFoundError, FileExistsError):
            return False
        source.unlink()
        return True

    def delete(self, number: int, kind: DraftKind, ticket: str | None = None) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(number, kind, ticket).unlink()

    def move(
        self, number: int, to: int, ticket: str | None = None, to_ticket: str | None = None
    ) -> list[DraftKind]:
        """Drafts of a ticket (``ticket``) merged into ``to`` (``to_ticket``) follow it,
        where ``to`` has none of that kind.

        A draft ``to`` already has is never overwritten (the other stays, and is listed).
        """
        moved: list[DraftKind] = []
        for kind in DRAFT_KINDS:
            source, target = self.path(number, kind, ticket), self.path(to, kind, to_ticket)
            try:
                os.link(source, target)  # fails, changing nothing, if ``target`` exists
            except (FileNotFoundError, FileExistsError):
                continue
            source.unlink()
            moved.append(kind)
        return moved

    def editor_drafts(self) -> list[EditorDraft]:
        """Every article and canned response kept, most recently saved first: this desk's,
        and the unclaimed ones (``unclaimed``) written before drafts knew their desk."""
        found: list[EditorDraft] = []
        folders = [self.root] if self.root == self.base else [self.root, self.base]
        for folder in folders:
            try:
                entries = list(os.scandir(folder))
            except FileNotFoundError:
                continue
            unclaimed = self.desk is not None and folder == self.base
            for entry in entries:
                match = _EDITOR_FILE.fullmatch(entry.name)
                if match is None or not entry.is_file(follow_symlinks=False):
                    continue
                kind = cast(EditorKind, match.group(1))
                item = None if match.group(2) == "new" else int(match.group(2))
                key = match.group(3)
                wants_key = self.desk is not None and not unclaimed and item is not None
                if (key is not None) != wants_key:
                    continue  # (not a draft's name here)
                kept = _read_fields(Path(entry.path))
                try:
                    saved = datetime.fromtimestamp(entry.stat().st_mtime, UTC)
                except FileNotFoundError:
                    continue
                if kept is None:
                    continue
                named = kept.get("title", kept.get("name", ""))
                path = Path(entry.path)
                found.append(
                    EditorDraft(kind, item, saved, _preview(str(named)), key, unclaimed, path)
                )
        found.sort(key=lambda d: (d.saved_at, d.kind, d.item or 0), reverse=True)
        return found

    def kinds_with_drafts(self, number: int, ticket: str | None = None) -> list[DraftKind]:
        """Which drafts exist for a ticket (said before closing it)."""
        return [kind for kind in DRAFT_KINDS if self.path(number, kind, ticket).exists()]

    def list_drafts(self) -> list[Draft]:
        """Every draft kept, most recently saved first (so none is stranded out of sight):
        this desk's, and the unclaimed ones (``ticket`` None) written before drafts knew
        their desk. Other desks' drafts are not this desk's to show."""
        found: list[Draft] = []
        folders = [self.root] if self.root == self.base else [self.root, self.base]
        for folder in folders:
            try:
                entries = list(os.scandir(folder))
            except FileNotFoundError:
                continue
            for entry in entries:
                match = _DRAFT_FILE.fullmatch(entry.name)
                if match is None or not entry.is_file(follow_symlinks=False):
                    continue
                ticket = match.group(3)
                if (ticket is not None and folder != self.root) or (
                    ticket is None and folder != self.base
                ):
                    continue  # (another desk's, or not a draft's name)
                number, kind = int(match.group(1)), cast(DraftKind, match.group(2))
                try:
                    text = Path(entry.path).read_text(encoding="utf-8", errors="replace")
                    saved = datetime.fromtimestamp(entry.stat().st_mtime, UTC)
                except FileNotFoundError:
                    continue  # sent or discarded meanwhile
                path = Path(entry.path)
                found.append(Draft(number, kind, saved, _preview(text), ticket, path))
        found.sort(key=lambda d: (d.saved_at, d.number, d.kind), reverse=True)
        return found

    def elsewhere(self) -> int:
        """How many drafts are kept for other desks (not listed: not this desk's)."""
        count = 0
        try:
            folders = [
                entry
                for entry in os.scandir(self.base)
                if entry.name.startswith(DESK_DIR_PREFIX) and entry.path != str(self.root)
            ]
        except FileNotFoundError:
            return 0
        for folder in folders:
            with contextlib.suppress(OSError):
                count += sum(
                    1
                    for entry in os.scandir(folder.path)
                    if _DRAFT_FILE.fullmatch(entry.name) or _EDITOR_FILE.fullmatch(entry.name)
                )
        return count

    def adopt(self, number: int, kind: DraftKind, ticket: str) -> bool:
        """An unclaimed draft (written before drafts knew their desk) becomes this desk's
        ``#number``'s (the ticket ``ticket``); False when there is none, or that ticket
        already has a draft of that kind (nothing is overwritten)."""
        if self.desk is None:
            raise ValueError("adopting needs the desk's identity")
        source = self.base / f"{int(number)}-{kind}.txt"
        target = self.path(number, kind, ticket)
        self.base.mkdir(parents=True, exist_ok=True, mode=0o700)
        target.parent.mkdir(exist_ok=True, mode=0o700)
        try:
            os.link(source, target)
        except (FileNotFoundError, FileExistsError):
            return False
        source.unlink()
        return True


def unclaimed_note(kind: EditorKind, item: int | None) -> str:
    """What an unclaimed editor's draft is, and how it becomes this desk's (the CLI's list,
    the Drafts screen)."""
    which = f"{kind}:{'new' if item is None else item}"
    return (
        "written before drafts knew their desk: not opened in an editor; "
        f"helpdesk drafts adopt {which} makes it this desk's"
    )


def stranger_note(kind: EditorKind, item: int) -> str:
    """What a draft kept for ``item``'s id but written on another (one deleted, whose id was
    given again) is (the CLI's list, the Drafts screen)."""
    return (
        f"written on another {EDITOR_NAMES[kind]} that had the id {item} (deleted): "
        "not opened on this one"
    )


def _read_fields(path: Path) -> dict[str, Any] | None:
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return kept if isinstance(kept, dict) else None


def _preview(text: str) -> str:
    """The first non-blank line of ``text``, cut to ``PREVIEW_CHARS``."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    return first if len(first) <= PREVIEW_CHARS else first[: PREVIEW_CHARS - 1] + "…"
