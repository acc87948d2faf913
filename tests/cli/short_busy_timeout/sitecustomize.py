"""Imported at start-up by every Python process whose ``PYTHONPATH`` has this directory
(``tests/cli/test_outage_sqlite.py``'s ``short_busy_timeout``): the ``helpdesk`` it runs,
cold or as its warm server, waits ``TEST_SQLITE_BUSY_TIMEOUT_MS`` for a SQLite lock, not
30 s. Only how long the real wait lasts changes: SQLite's busy handler waits and gives up
just as it does after 30 s, and the verb says so the same way."""

import os

from helpdesk_tui.storage import database

database.SQLITE_BUSY_TIMEOUT_MS = int(os.environ["TEST_SQLITE_BUSY_TIMEOUT_MS"])
