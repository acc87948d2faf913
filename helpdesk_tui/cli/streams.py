"""The one way out to the terminal: every write of every command is cleaned.

While a command runs, ``sys.stdout`` and ``sys.stderr`` are :class:`CleanStream` wrappers
(installed by the root group), so every line — results, ``error:`` lines, batch results,
conflict messages quoting field values, click's own usage errors quoting argv, prompts and
confirmations, log lines — loses escape sequences, C0/C1 controls and bidi controls on its
way out. New commands get this without doing anything. Kept light (no database, no Rich):
it is imported for ``helpdesk --help`` too.
"""

from __future__ import annotations

import contextlib
import io
import sys
from collections.abc import Iterator
from typing import IO, Any

from helpdesk_tui.safe_text import clean


class CleanStream(io.TextIOBase):
    """A text stream that passes on only what ``safe_text.clean`` leaves of each write.

    Each write is cleaned on its own, so a sequence split across two writes loses its ESC
    in the first and arrives as harmless characters: no ESC, BEL or C1 byte gets through.
    Bytes written to its ``buffer`` (click echoes bytes there) are cleaned the same way;
    bytes that must go out as they are use :func:`raw_stdout`.
    """

    def __init__(self, stream: IO[str]) -> None:
        super().__init__()
        self.stream = stream

    def write(self, text: str) -> int:  # type: ignore[override]
        if not isinstance(text, str):
            raise TypeError(f"write() argument must be str, not {type(text).__name__}")
        self.stream.write(clean(text))
        return len(text)

    def writable(self) -> bool:
        return True

    def flush(self) -> None:
        self.stream.flush()

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def buffer(self) -> CleanBytes:
        return CleanBytes(self)

    @property
    def encoding(self) -> str:  # type: ignore[override]
        return getattr(self.stream, "encoding", None) or "utf-8"

    @property
    def errors(self) -> str | None:  # type: ignore[override]
        return getattr(self.stream, "errors", None)


class CleanBytes(io.RawIOBase):
    """The byte side of a :class:`CleanStream`: decoded, cleaned, written as text."""

    def __init__(self, text: CleanStream) -> None:
        super().__init__()
        self.text = text

    def write(self, data: Any) -> int:
        self.text.write(bytes(data).decode(self.text.encoding, "surrogateescape"))
        return len(data)

    def writable(self) -> bool:
        return True

    def flush(self) -> None:
        self.text.flush()

    def isatty(self) -> bool:
        return self.text.isatty()

    def fileno(self) -> int:
        return self.text.fileno()


@contextlib.contextmanager
def clean_streams() -> Iterator[None]:
    """Run the block with ``sys.stdout``/``sys.stderr`` cleaning every write."""
    saved = sys.stdout, sys.stderr
    if not isinstance(sys.stdout, CleanStream):
        sys.stdout = CleanStream(sys.stdout)
    if not isinstance(sys.stderr, CleanStream):
        sys.stderr = CleanStream(sys.stderr)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


@contextlib.contextmanager
def raw_streams() -> Iterator[None]:
    """The real streams back for the block: the terminal UI draws with escape sequences."""
    saved = sys.stdout, sys.stderr
    for name in ("stdout", "stderr"):
        stream = getattr(sys, name)
        if isinstance(stream, CleanStream):
            setattr(sys, name, stream.stream)
    try:
        yield
    finally:
        sys.stdout, sys.stderr = saved


def raw_stdout() -> IO[bytes]:
    """The byte stream under stdout, for output that is bytes by design (raw mail to a file)."""
    stream: Any = sys.stdout
    while isinstance(stream, CleanStream):
        stream = stream.stream
    buffer: IO[bytes] = stream.buffer
    return buffer


def raw_stderr() -> IO[str]:
    """The text stream under stderr, for drawing that is ours alone (``demo``'s progress bar:
    fixed words and numbers, redrawn in place with cursor moves the cleaning would strip)."""
    stream: Any = sys.stderr
    while isinstance(stream, CleanStream):
        stream = stream.stream
    text: IO[str] = stream
    return text
