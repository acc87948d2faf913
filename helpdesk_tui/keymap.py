"""Checking ``[ui.keymap]`` before the app applies it.

Textual ignores a keymap entry whose binding id matches nothing, and binds a key name it can
never receive without a word, so a typo there would leave an agent with a key that silently
does nothing; a key given to a second binding of the same screen silently takes it from the
first (``"queue.search" = "f"`` left the queue without Filter). The app checks the keymap once
at start-up and refuses it with one line that names every bad entry (``ConfigError``, which
the CLI prints as a config problem).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import unicodedata
from collections.abc import Iterable, Mapping

from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import REPLACED_KEYS, Keys, _character_to_key, key_to_character

from helpdesk_tui.config_files import ConfigError

BINDING_PACKAGES = ("helpdesk_tui.screens", "helpdesk_tui.widgets")
"""Where the app's screens and widgets, and so their bindings, live."""
MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
_NAMED_KEYS = frozenset(
    base
    for base in (key.value.rpartition("+")[2] for key in Keys)
    if len(base) > 1 and not base.startswith("<")
)


def binding_keys(classes: Iterable[type[DOMNode]]) -> dict[str, str]:
    """The id and default keys of every binding of ``classes`` and of the screens and widgets.

    Imports every screen and widget module: called only when a keymap is configured.
    """
    found = list(classes)
    for package_name in BINDING_PACKAGES:
        package = importlib.import_module(package_name)
        for module_info in pkgutil.iter_modules(package.__path__):
            module = importlib.import_module(f"{package_name}.{module_info.name}")
            found += [
                member
                for _, member in inspect.getmembers(module, inspect.isclass)
                if issubclass(member, DOMNode)
            ]
    return {
        binding.id: binding.key
        for cls in found
        for base in cls.__mro__
        for binding in getattr(base, "BINDINGS", ())
        if isinstance(binding, Binding) and binding.id
    }


def is_key(key: str) -> bool:
    """Whether Textual can ever report ``key``: modifiers, then a character or a key name."""
    *modifiers, base = key.split("+")
    if not base or any(modifier not in MODIFIERS for modifier in modifiers):
        return False
    if len(base) == 1 or base in _NAMED_KEYS or key_to_character(base) is not None:
        return True
    name = REPLACED_KEYS.get(base, base).replace("_", " ").upper()
    try:
        unicodedata.lookup(name)
    except KeyError:
        return False
    return True


def _split(keys: str) -> list[str]:
    return [key.strip() for key in keys.split(",")]


def _keys(keys: str) -> set[str]:
    """The keys of a binding's comma-separated list, a character named as Textual names it."""
    return {_character_to_key(key) if len(key) == 1 else key for key in _split(keys)}


def _clashes(keymap: Mapping[str, str], defaults: Mapping[str, str]) -> dict[str, str]:
    """For each entry of ``keymap`` that makes a binding share a key with another one on the
    same screen, which key and whose (``"f is queue.filter's key too"``).

    Bindings are on one screen when their ids share all but the last part (``queue.search``,
    ``queue.filter``; ``reports.filter.cancel`` is another screen's); the app's (``app.help``)
    are on every screen. Keys two bindings shared already (``?`` opens the help and closes it
    on the help screen) are left as they are.
    """
    found: dict[str, str] = {}
    for ident, keys in keymap.items():
        place = ident.rpartition(".")[0]
        by_key: dict[str, list[str]] = {}
        for other, default in sorted(defaults.items()):
            together = {place, other.rpartition(".")[0]}
            if other == ident or (len(together) > 1 and "app" not in together):
                continue
            shared = _keys(keys) & _keys(keymap.get(other, default))
            for key in shared - (_keys(defaults[ident]) & _keys(default)):
                by_key.setdefault(key, []).append(other)
        if by_key:
            found[ident] = "; ".join(
                f"{key} is {', '.join(them)}'s key too" for key, them in by_key.items()
            )
    return found


def _source(ident: str) -> str:
    """``in FILE`` for the config file (or environment variable) that set ``ui.keymap.IDENT``,
    named in the error as every other bad setting's place is; empty for settings made in code."""
    from helpdesk_tui.config import setting_source  # (only for an error: config imports pydantic)

    where = setting_source(("ui", "keymap", ident))
    return f" in {where}" if where else ""


def check_keymap(keymap: Mapping[str, str], defaults: Mapping[str, str]) -> None:
    """Refuse ``keymap`` in one line if an entry names no binding (``defaults``: every
    binding's id and keys), a key that cannot be, or a key of another binding on its screen."""
    problems = []
    valid = {
        ident: keys
        for ident, keys in keymap.items()
        if ident in defaults and all(map(is_key, _split(keys)))
    }
    clashes = _clashes(valid, defaults)
    for ident, keys in keymap.items():
        if ident in valid and ident not in clashes:
            continue
        where = f"bad value for 'ui.keymap.{ident}'{_source(ident)}"
        if ident not in defaults:
            problems.append(f"{where}: no key binding has this id (? lists them)")
            continue
        bad = [key for key in _split(keys) if not is_key(key)]
        if bad:
            problems.append(f"{where}: not a key: {', '.join(repr(key) for key in bad)}")
        elif ident in clashes:
            problems.append(f"{where}: {clashes[ident]}")
    if problems:
        raise ConfigError("; ".join(problems))
