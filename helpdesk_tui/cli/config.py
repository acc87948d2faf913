"""``helpdesk config show``: the settings in effect, from every source, secrets masked."""

from __future__ import annotations

import json
import re
from typing import Any

import click

from helpdesk_tui.cli.lazy import loading
from helpdesk_tui.cli.output import echo_json
from helpdesk_tui.cli.runtime import Runtime, pass_runtime
from helpdesk_tui.cli.server import state
from helpdesk_tui.config import masked
from helpdesk_tui.safe_text import clean

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def _key(name: str) -> str:
    return name if _BARE_KEY.match(name) else json.dumps(name)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "[" + ", ".join(_value(item) for item in value) + "]"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_key(k)} = {_value(v)}" for k, v in value.items()) + "}"
    return json.dumps(str(value))


def _is_table_array(value: Any) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(v, dict) for v in value)


def to_toml(data: dict[str, Any], table: tuple[str, ...] = ()) -> list[str]:
    """The settings as TOML a person can read and copy into a config file."""
    lines: list[str] = []
    nested: list[tuple[str, Any]] = []
    for name, value in data.items():
        if isinstance(value, dict) or _is_table_array(value):
            nested.append((name, value))
        elif value is None:
            lines.append(f"# {_key(name)} is not set")
        else:
            lines.append(f"{_key(name)} = {_value(value)}")
    for name, value in nested:
        path = (*table, _key(name))
        if isinstance(value, dict):
            lines += ["", f"[{'.'.join(path)}]", *to_toml(value, path)]
        else:
            for item in value:
                lines += ["", f"[[{'.'.join(path)}]]", *to_toml(item, path)]
    return lines


def desk_name_in_force(runtime: Runtime) -> list[str]:
    """Comment lines under ``desk_name``: the name in force and where it comes from. The
    desk's own name (kept in its database: ``helpdesk desk name``) wins over every config's
    ``desk_name``, so the line above alone showed "Helpdesk" on a desk named "ACME IT". Read
    as any agent reads it; when it cannot be read, that is said instead."""
    with loading():
        from helpdesk_tui.desk.admin_reads import AdminReads
        from helpdesk_tui.desk.errors import DeskError

    try:
        reads = runtime.service(AdminReads, doing="read the desk's name")
        named = reads.desk_name_view(runtime.settings.desk_name)
    except DeskError as error:
        return [
            "# the desk's own name, which wins over desk_name, was not read: "
            + clean(str(error), single_line=True)
        ]
    if named.own is None:
        return ["# in force: this desk_name (the desk has no name of its own)"]
    return [
        f"# not in force: the desk's own name {_value(named.own)} wins (helpdesk desk name);",
        "# this desk_name is only the fallback of a desk that has none",
    ]


def with_desk_name(lines: list[str], note: list[str]) -> list[str]:
    """``lines`` (:func:`to_toml`'s) with ``note`` right below the ``desk_name`` line."""
    at = next((i for i, line in enumerate(lines) if line.startswith("desk_name = ")), None)
    return lines if at is None else [*lines[: at + 1], *note, *lines[at + 1 :]]


@click.group()
def config() -> None:
    """The settings: site file, then the user's file, then HELPDESK_* variables."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of TOML.")
@pass_runtime
def show(runtime: Runtime, as_json: bool) -> None:
    """Print the effective settings; passwords and other secrets show as ********.

    Below desk_name, a comment says whether it is in force: the desk's own name (helpdesk
    desk name) wins over every config's. --json prints the settings alone."""
    data = masked(runtime.settings)
    if as_json:
        echo_json(data)
    else:
        lines = with_desk_name(to_toml(data), desk_name_in_force(runtime))
        click.echo("\n".join(lines).strip("\n"))
        # Not a setting of the file: the program decides it before reading any file.
        click.echo(f"\n# cli server: {state()}")
