"""Drafts of replies, notes and call logs, kept as files so they outlive the app.

One file per ticket and kind under ``data_dir()/drafts``, written atomically (a temporary
file renamed over the old one), readable by the agent only.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Literal

from helpdesk_tui.config import data_dir

DraftKind = Literal["reply", "note", "call"]
DRAFT_KINDS: tuple[DraftKind, ...] = ("reply", "note", "call")


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
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        target = self.path(number, kind)
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

    def delete(self, number: int, kind: DraftKind) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.path(number, kind).unlink()

    def kinds_with_drafts(self, number: int) -> list[DraftKind]:
        """Which drafts exist for a ticket (shown on the ticket screen)."""
        return [kind for kind in DRAFT_KINDS if self.path(number, kind).exists()]
