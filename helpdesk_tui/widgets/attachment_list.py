"""Files attached to a draft: the list the composer shows, and path completion for adding one.

File names are outside text (a colleague's download, a customer's file saved as it came):
they are shown through ``plain`` (a ``Text``, no markup, no escapes), never as markup.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from rich.text import Text
from textual.reactive import reactive
from textual.suggester import Suggester
from textual.widgets import Static

from helpdesk_tui.desk.limits import human_bytes
from helpdesk_tui.safe_text import plain

MAX_SUGGESTION_ENTRIES = 2000
"""Directory entries read for one completion: a huge directory does not stall typing."""


@dataclass(frozen=True)
class AttachedFile:
    """A file on a draft: where it is, the clean name it will carry, its size when added."""

    path: Path
    name: str
    size: int


def files_text(files: tuple[AttachedFile, ...]) -> Text:
    """``2 files: report.pdf (1.2 MB) · core.bin (12.0 KB)``, names as plain text."""
    text = Text()
    if not files:
        return text
    count = len(files)
    text.append(f"{count} file{'s' * (count != 1)}: ", "bold")
    for index, item in enumerate(files):
        if index:
            text.append(" · ", "dim")
        text.append_text(plain(item.name))
        text.append(f" ({human_bytes(item.size)})", "dim")
    return text


class AttachmentList(Static):
    """The draft's files in one line or a few; hidden while there are none."""

    DEFAULT_CSS = """
    AttachmentList { padding: 0 1; height: auto; max-height: 4; color: $text; display: none; }
    AttachmentList.-has-files { display: block; }
    """

    files: reactive[tuple[AttachedFile, ...]] = reactive((), always_update=True)

    def watch_files(self, files: tuple[AttachedFile, ...]) -> None:
        self.set_class(bool(files), "-has-files")
        self.update(files_text(files))


class PathSuggester(Suggester):
    """Completes a path from the file system: the first entry (sorted) that the last part
    starts with; a directory gets its ``/`` so the next part can be typed at once."""

    def __init__(self, *, cwd: Path | None = None) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.cwd = cwd

    async def get_suggestion(self, value: str) -> str | None:
        if not value:
            return None
        head, _, stem = value.rpartition("/")
        directory = Path(os.path.expanduser(head + "/" if head or value.startswith("/") else "."))
        if not directory.is_absolute() and self.cwd is not None:
            directory = self.cwd / directory
        try:
            with os.scandir(directory) as entries:
                names = []
                for count, entry in enumerate(entries):
                    if count >= MAX_SUGGESTION_ENTRIES:
                        break
                    if entry.name.startswith(stem) and (
                        stem.startswith(".") or not entry.name.startswith(".")
                    ):
                        names.append((entry.name, entry.is_dir()))
        except OSError:
            return None
        if not names:
            return None
        name, is_dir = min(names)
        if name == stem and not is_dir:
            return None
        if not name.isprintable():
            return None  # a name with control characters is not typed into the input
        return value[: len(value) - len(stem)] + name + ("/" if is_dir else "")
