"""``helpdesk server``: the user's warm command servers (``warm_client``, ``warm_server``)."""

from __future__ import annotations

import json
import os
from typing import Any

import click

from helpdesk_tui.cli import warm_socket
from helpdesk_tui.cli.output import echo_json, line


def _ask(path: str, what: bytes) -> dict[str, Any] | None:
    """A server's answer to ``status`` or ``stop`` (None: nothing answers there)."""
    key = os.path.basename(path).removeprefix("server-").removesuffix(".sock")
    sock = warm_socket.connect(key, timeout=5.0)
    if sock is None:
        return None
    try:
        sock.sendall(warm_socket.REQUEST_HEADER.pack(len(what)) + what)
        message = warm_socket.read_message(sock)
        if message is None or message[0] != warm_socket.INFO:
            return None
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                return None
            data += chunk
    except OSError:
        return None
    finally:
        sock.close()
    answer: dict[str, Any] = json.loads(data)
    return answer


def servers(what: bytes = b"status") -> list[dict[str, Any]]:
    """Each of this user's servers' answer to ``what`` (``status`` or ``stop``)."""
    directory = warm_socket.server_dir(create=False)
    if directory is None:
        return []
    found = []
    for name in sorted(os.listdir(directory)):
        if name.startswith("server-") and name.endswith(".sock"):
            answer = _ask(os.path.join(directory, name), what)
            if answer is not None:
                found.append(answer)
    return found


def state() -> str:
    """One line: whether commands go to a warm server, and where its socket lives."""
    directory = warm_socket.server_dir(create=False)
    problem = None if directory else warm_socket.dir_problem()
    where = f"sockets in {directory or '(no private socket directory yet)'}"
    if problem:
        where = problem  # (e.g. another user made it first: say so, not "not there yet")
    if not warm_socket.enabled():
        return f"off ({warm_socket.SWITCH}); {where}"
    return f"on (helpdesk server stop; {warm_socket.SWITCH}=off turns it off); {where}"


@click.group()
def server() -> None:
    """The warm command server: imports the desk once, so the next verbs start at once.

    A verb that needs no terminal (lists, searches, reports, writes given --body or stdin)
    runs in a child of your own server when one is running; the first one starts it. It
    exits after HELPDESK_CLI_SERVER_IDLE seconds (default 600) without a command, or when
    the code changes. HELPDESK_CLI_SERVER=off never starts one.
    """


@server.command("status")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def status(as_json: bool) -> None:
    """Your running servers: pid, commands served, memory, socket."""
    found = servers()
    if as_json:
        echo_json(found)
        return
    click.echo(f"cli server: {line(state())}")
    for info in found:
        click.echo(
            f"pid {info['pid']}: {info['served']} commands, {info['running']} running, "
            f"{info['rss_kb'] // 1024} MB, {line(str(info['socket']))}"
        )


@server.command("stop")
def stop() -> None:
    """Stop your servers (each ends once its running commands have)."""
    found = servers(b"stop")
    click.echo(f"stopped {len(found)} server{'' if len(found) == 1 else 's'}")
