"""Every screen's stylesheet is read with the app's (``helpdesk_tui/screens/styles.py``)."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from textual._path import _css_path_type_as_list, _make_path_object_relative
from textual.screen import Screen

import helpdesk_tui.screens
from helpdesk_tui.app import HelpdeskApp


def test_the_app_reads_every_screens_css_in_the_screens_order() -> None:
    """A file left out would only be read late (the whole app restyled at that screen's first
    showing); files in another order would change which of two tied rules wins."""
    read = [_make_path_object_relative(path, HelpdeskApp) for path in HelpdeskApp.CSS_PATH]
    order = {path: index for index, path in enumerate(read)}
    screens = 0
    for module in pkgutil.iter_modules(helpdesk_tui.screens.__path__):
        found = importlib.import_module(f"helpdesk_tui.screens.{module.name}")
        for name, cls in inspect.getmembers(found, inspect.isclass):
            if not issubclass(cls, Screen) or cls.__module__ != found.__name__ or not cls.CSS_PATH:
                continue
            screens += 1
            base = object.__new__(cls)  # (resolved as Textual resolves them: from its file)
            paths = [
                _make_path_object_relative(p, base) for p in _css_path_type_as_list(cls.CSS_PATH)
            ]
            assert all(path in order for path in paths), (name, paths)
            assert [order[path] for path in paths] == sorted(order[path] for path in paths), name
    assert screens >= 20
    assert len(set(read)) == len(read)
