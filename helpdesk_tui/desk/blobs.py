"""Big values that are never held whole: read a piece at a time, written a piece at a time.

A 30 MB mail's base64 attachment decoded into one ``bytes`` costs 22 MB beside the raw
message it came from. The mail layer hands such content over as :class:`Chunked`: its
size is known, its bytes are made again, a chunk at a time, whenever they are read. The
intake writer streams it into the database (SQLite: a blob handle); code that needs the
bytes whole (the ORM path, PostgreSQL) calls :func:`as_bytes`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator


class Chunked(ABC):
    """Content of a known size whose bytes are produced in chunks on demand."""

    size: int

    @abstractmethod
    def chunks(self) -> Iterator[bytes]:
        """The content, in order, in pieces of at most about a MiB."""

    def read(self) -> bytes:
        return b"".join(self.chunks())


Content = bytes | Chunked
"""An attachment's content: the bytes, or a recipe for them."""


def size_of(content: Content) -> int:
    return content.size if isinstance(content, Chunked) else len(content)


def as_bytes(content: Content) -> bytes:
    return content.read() if isinstance(content, Chunked) else content


_CHUNK = 1 << 20


def chunks_of(content: Content | bytearray) -> Iterator[bytes | memoryview]:
    """The content a MiB at a time, without a copy of bytes held whole."""
    if isinstance(content, Chunked):
        yield from content.chunks()
        return
    view = memoryview(content)
    for start in range(0, len(view), _CHUNK):
        yield view[start : start + _CHUNK]
