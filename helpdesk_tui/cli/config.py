"""``helpdesk config show``: the settings in effect, from every source, secrets masked."""

from __future__ import annotations

import json
import re
from typing import Any

import click

from helpdesk_tui.cli.output import echo_json
from helpdesk_tui.cli.runtime import Runtime, pass_runtime
from helpdesk_tui.cli.server import state
from helpdesk_tui.config import masked

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


@click.group()
def config() -> None:
    """The settings: site file, then the user's file, then HELPDESK_* variables."""


@config.command("show")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of TOML.")
@pass_runtime
def show(runtime: Runtime, as_json: bool) -> None:
    """Print the effective settings; passwords and other secrets show as ********."""
    data = masked(runtime.settings)
    if as_json:
        echo_json(data)
    else:
        click.echo("\n".join(to_toml(data)).strip("\n"))
        # Not a setting of the file: the program decides it before reading any file.
        click.echo(f"\n# cli server: {state()}")
