"""``python -m helpdesk_tui``: the same as the ``helpdesk`` command."""

from helpdesk_tui.cli import run

run(prog_name="helpdesk")
