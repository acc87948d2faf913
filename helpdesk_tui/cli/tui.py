"""``helpdesk`` with no arguments: the terminal UI.

The one exception to "only ``helpdesk init`` creates a desk": with no ``database_url``
configured, the first start sets up its user's private desk in the data directory (a path
no one typed, so no typo can make it) with that user as its admin.
"""

from __future__ import annotations

from helpdesk_tui.cli.runtime import current_runtime
from helpdesk_tui.config import default_database_url


def start() -> None:
    runtime = current_runtime()
    if runtime.settings.database_url == default_database_url():
        runtime.database(create=True)
        actor = runtime.first_admin()
    else:
        actor = runtime.actor()
    from helpdesk_tui.app import make_app

    make_app(runtime.settings, runtime.database(), actor).run()
