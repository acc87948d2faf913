"""Checking ``[ui.keymap]`` before the app applies it.

Textual ignores a keymap entry whose binding id matches nothing, and binds a key name it can
never receive without a word, so a typo there would leave an agent with a key that silently
does nothing. The app checks the keymap once at start-up and refuses it with one line that
names every bad entry (``ConfigError``, which the CLI prints as a config problem).
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
import unicodedata
from collections.abc import Iterable, Mapping

from textual.binding import Binding
from textual.dom import DOMNode
from textual.keys import REPLACED_KEYS, Keys, key_to_character

from helpdesk_tui.config_files import ConfigError

BINDING_PACKAGES = ("helpdesk_tui.screens", "helpdesk_tui.widgets")
"""Where the app's screens and widgets, and so their bindings, live."""
MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})
_NAMED_KEYS = frozenset(
    base
    for base in (key.value.rpartition("+")[2] for key in Keys)
    if len(base) > 1 and not base.startswith("<")
)


def binding_ids(classes: Iterable[type[DOMNode]]) -> set[str]:
    """The ids of every binding of ``classes`` and of the screens and widgets.

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
        binding.id
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


def check_keymap(keymap: Mapping[str, str], ids: set[str]) -> None:
    """Refuse ``keymap`` in one line if an entry names no binding or a key that cannot be."""
    problems = []
    for ident, keys in keymap.items():
        where = f"bad value for 'ui.keymap.{ident}'"
        if ident not in ids:
            problems.append(f"{where}: no key binding has this id (? lists them)")
            continue
        bad = [key.strip() for key in keys.split(",") if not is_key(key.strip())]
        if bad:
            problems.append(f"{where}: not a key: {', '.join(repr(key) for key in bad)}")
    if problems:
        raise ConfigError("; ".join(problems))
