"""``helpdesk`` with no arguments: the terminal UI, on a database set up if it is new."""

from __future__ import annotations

from helpdesk_tui.cli.runtime import current_runtime


def start() -> None:
    runtime = current_runtime()
    actor = runtime.actor()
    from helpdesk_tui.app import make_app

    make_app(runtime.settings, runtime.database(), actor).run()
