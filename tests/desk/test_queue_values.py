"""The lister's plain values: importable without the data layer, and in step with it."""

from __future__ import annotations

import subprocess
import sys

from helpdesk_tui.desk.queue import SORT_KEYS
from helpdesk_tui.desk.queue_values import SORT_ORDER


def test_every_sort_a_query_accepts_is_one_the_lister_walks() -> None:
    assert sorted(SORT_KEYS) == sorted(SORT_ORDER)


def test_the_values_screens_draw_with_import_no_data_layer() -> None:
    code = (
        "import sys\n"
        "import helpdesk_tui.desk.queue_values, helpdesk_tui.desk.views\n"
        "import helpdesk_tui.desk.kinds, helpdesk_tui.desk.statuses, helpdesk_tui.desk.actors\n"
        "import helpdesk_tui.desk.sla, helpdesk_tui.desk.values, helpdesk_tui.desk.errors\n"
        "heavy = [m for m in sys.modules if m.split('.')[0] in ('sqlalchemy', 'sqlmodel')]\n"
        "print('loaded:', sorted(heavy))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "loaded: []" in result.stdout
