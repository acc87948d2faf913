"""SQLAlchemy's compiled statements kept once per test process, not once per engine.

SQLAlchemy compiles a statement to SQL once per engine and keeps it in that engine's cache
(``Engine._compiled_cache``), keyed by the statement's structure and the engine's dialect
*object*. A desk keeps one engine for its life, so it compiles each statement once; the
tests make a new ``Database`` (a new engine, an empty cache) for nearly every test, and so
compiled the same few dozen statements again in each (the ORM's per-mapper caches of its
inserts and updates are keyed by dialect object too): a desk test compiled some 40
statements; 8,177 compilations in four desk and CLI modules, 1,456 now, their CPU time
12.5 s -> 10.4 s (alternated, under load).

``install`` gives every engine the tests make a view of one process-wide cache in which a
dialect counts by its configuration rather than by identity: its class and every plain
value it holds (server version, paramstyle, the flags ``initialize`` sets from the server
it met), read at each look-up. Two engines share a compiled statement only where their
dialects would compile it alike: the same SQLite, or the same PostgreSQL server version
and settings. Each statement is still compiled by the tests, on each engine kind, the
first time a test runs it (in that worker); what reaches the database, and every row
returned, is the same. The programs tests start (cold verbs, warm servers, terminals)
are other processes, with the app's own per-engine caches.
"""

from __future__ import annotations

import functools
import types
from typing import Any

from sqlalchemy.engine import Dialect, Engine
from sqlalchemy.sql.elements import ClauseElement
from sqlalchemy.util import LRUCache

from helpdesk_tui.storage import database as database_module

SIZE = 20_000
"""Statements kept (an engine keeps 500): every statement of a worker's share of the
suite, on both engines, with room to spare."""

_PLAIN = (str, int, float, bool, type(None), tuple, frozenset, type)
_CACHE: LRUCache[Any, Any] = LRUCache(SIZE)


def _configuration(dialect: Dialect) -> tuple[Any, ...]:
    """What identifies a dialect's compiling: its class and its plain values by name, less
    what its class derives from them on first use (a memoized property, kept in the same
    ``__dict__``: set by a compile, it would make the key at the store another than at the
    look-up before it)."""
    found: list[Any] = [type(dialect)]
    derived = _derived(type(dialect))
    # (A copy, made at once under the GIL: another thread's compile may add a memoized
    # value to this dict while it is read, and iterating it then raised RuntimeError.)
    for name, value in vars(dialect).copy().items():
        if name in derived:
            continue
        if isinstance(value, _PLAIN):
            found.append((name, value))
        elif isinstance(value, types.ModuleType):
            found.append((name, value.__name__))
        elif isinstance(value, types.FunctionType):  # (a hook set on this dialect: by name)
            found.append((name, value.__module__, value.__qualname__))
        elif callable(value):  # (a serializer set on this dialect: by identity)
            found.append((name, value))
    return tuple(found)


@functools.cache
def _derived(cls: type) -> frozenset[str]:
    """The names of ``cls``'s memoized properties: descriptors with ``__get__`` only, whose
    value goes to the instance's ``__dict__`` once read."""
    return frozenset(
        name
        for klass in cls.__mro__
        for name, attribute in vars(klass).items()
        if hasattr(type(attribute), "__get__")
        and not hasattr(type(attribute), "__set__")
        and not callable(attribute)
        and not isinstance(attribute, (staticmethod, classmethod))
    )


class _ByConfiguration:
    """A compiled-statement cache as one look-up sees it: its keys' dialect (their first
    item) counted by configuration (what SQLAlchemy calls on a cache: ``get``, item
    assignment)."""

    __slots__ = ("_cache", "_dialect")

    def __init__(self, cache: Any, dialect: Dialect) -> None:
        self._cache = cache
        self._dialect = dialect

    def _key(self, key: tuple[Any, ...]) -> tuple[Any, ...]:
        assert key[0] is self._dialect, "a key of another dialect"
        return (_configuration(self._dialect), *key[1:])

    def get(self, key: tuple[Any, ...], default: Any = None) -> Any:
        return self._cache.get(self._key(key), default)

    def __setitem__(self, key: tuple[Any, ...], value: Any) -> None:
        self._cache[self._key(key)] = value


_compile_w_cache = ClauseElement._compile_w_cache


def _compile_w_shared_cache(
    self: ClauseElement, dialect: Dialect, *, compiled_cache: Any, **options: Any
) -> Any:
    """``ClauseElement._compile_w_cache`` (its one caller: ``Connection.execute``), the
    cache it is given seen by dialect configuration: an engine's (every engine's is one,
    ``_sharing_make_engine``) and a mapper's, the ORM's inserts and updates (process-wide
    already, but keyed by each engine's dialect)."""
    if compiled_cache is not None:
        compiled_cache = _ByConfiguration(compiled_cache, dialect)
    return _compile_w_cache(self, dialect, compiled_cache=compiled_cache, **options)


_make_engine = database_module.make_engine


def _sharing_make_engine(url: str, **options: Any) -> Engine:
    engine = _make_engine(url, **options)
    if engine._compiled_cache is not None:  # (None: caching turned off, left off)
        engine._compiled_cache = _CACHE
    return engine


def install() -> None:
    """For the rest of this process (tests/conftest.py, before the first test)."""
    database_module.make_engine = _sharing_make_engine  # type: ignore[assignment]
    ClauseElement._compile_w_cache = _compile_w_shared_cache  # type: ignore[method-assign]
