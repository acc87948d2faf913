"""``helpdesk canned`` and ``helpdesk macro``: the composer's repeated work, scriptable.

Canned responses are shared (``--shared``: supervisors and admins manage them) or personal
(yours alone). Macros are the desk's: a canned text plus field changes, applied to a ticket
as one change (``helpdesk macro apply TICKET NAME``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from helpdesk_tui.cli.errors import CliError
from helpdesk_tui.cli.lazy import loading
from helpdesk_tui.cli.output import echo_json, line
from helpdesk_tui.cli.runtime import Runtime, pass_runtime
from helpdesk_tui.cli.ticket.input import read_body
from helpdesk_tui.desk.canned import PLACEHOLDERS
from helpdesk_tui.desk.canned_reads import CannedReads, CannedView, MacroSpec, MacroView
from helpdesk_tui.desk.values import MAX_NUMBER

if TYPE_CHECKING:
    from helpdesk_tui.desk.canned_service import CannedService

json_option = click.option("--json", "as_json", is_flag=True, help="Print JSON.")
scope_option = click.option(
    "--shared/--personal",
    "shared",
    default=None,
    help="Which one, when both a shared and a personal response have the name.",
)


def _desk(runtime: Runtime) -> CannedService:
    """Canned responses and macros alone, not the whole facade (a quicker start)."""
    with loading():
        from helpdesk_tui.desk.canned_service import CannedService

    return runtime.service(CannedService)


def _reads(runtime: Runtime) -> CannedReads:
    """Their lists alone: read on Core tables, without the ORM (the quickest start)."""
    return runtime.service(CannedReads)


def _text(runtime: Runtime, body: str | None, edit: bool, what: str) -> str:
    text = read_body(
        body,
        edit=edit,
        stdin_free=True,
        what=what,
        max_bytes=runtime.start.max_body_bytes,
    )
    if not text.strip():
        raise CliError(f"an empty {what} was not saved")
    return text


PREVIEW = 60
"""How many characters of a response's text its ``canned list`` line shows."""


def preview(body: str) -> str:
    """What a response says, on one line: its text with the lines joined, less a first
    line that only greets ("Hi {{requester.first_name}},"; most responses start so, and
    every preview would read the same), cut to ``PREVIEW`` characters with "…"."""
    lines = [text for text in (part.strip() for part in body.splitlines()) if text]
    if len(lines) > 1 and lines[0].endswith(",") and len(lines[0]) <= 40:
        lines = lines[1:]
    text = line(" ".join(lines))
    return text if len(text) <= PREVIEW else text[: PREVIEW - 1].rstrip() + "…"


def _canned_line(view: CannedView) -> str:
    return f"{view.scope:<9} {line(view.name):<30} {preview(view.body)}"


@click.group()
def canned() -> None:
    """Canned responses: texts with placeholders, shared or personal.

    Placeholders: {{requester.name}}, {{requester.email}}, {{ticket.number}},
    {{ticket.subject}}, {{agent.name}}, {{agent.email}}, {{desk.name}} and more
    (helpdesk canned placeholders). An unknown placeholder is refused, naming it.
    """


@canned.command("list")
@json_option
@pass_runtime
def canned_list(runtime: Runtime, as_json: bool) -> None:
    """The shared responses and your own, by name."""
    views = _reads(runtime).canned_list()
    if as_json:
        echo_json([v.as_json() for v in views])
        return
    if not views:
        click.echo(
            "no canned responses yet; add one with helpdesk canned add NAME --body TEXT "
            "(--shared for the whole desk), or in the terminal UI: ctrl+p, Canned responses",
            err=True,
        )
    for view in views:
        click.echo(_canned_line(view))


@canned.command("placeholders")
def canned_placeholders() -> None:
    """Every placeholder a canned text may use."""
    for name, meaning in PLACEHOLDERS.items():
        click.echo(f"{'{{' + name + '}}':<26} {meaning}")


@canned.command("show")
@click.argument("name")
@scope_option
@json_option
@pass_runtime
def canned_show(runtime: Runtime, name: str, shared: bool | None, as_json: bool) -> None:
    """Show one response's text as written (placeholders and all)."""
    view = _reads(runtime).canned_get(name, shared=shared)
    if as_json:
        echo_json(view.as_json())
        return
    click.echo(f"{line(view.name)} ({view.scope}, by {line(view.updated_by)})")
    click.echo(view.body)


@canned.command("add")
@click.argument("name")
@click.option("--body", default=None, help="The text (else stdin, else $EDITOR).")
@click.option("--edit", is_flag=True, help="Write the text in $EDITOR.")
@click.option("--shared", is_flag=True, help="The desk's (supervisors and admins).")
@pass_runtime
def canned_add(runtime: Runtime, name: str, body: str | None, edit: bool, shared: bool) -> None:
    """Add a response NAME (personal unless --shared)."""
    text = _text(runtime, body, edit, "canned text")
    view = _desk(runtime).canned_save(name, text, shared=shared)
    click.echo(f"added {view.scope} canned response {line(view.name)}")


@canned.command("edit")
@click.argument("name")
@click.option("--body", default=None, help="The new text (else stdin, else $EDITOR).")
@click.option("--edit", is_flag=True, help="Write the text in $EDITOR.")
@click.option("--rename", default=None, metavar="NEW", help="Give it a new name.")
@scope_option
@pass_runtime
def canned_edit(
    runtime: Runtime,
    name: str,
    body: str | None,
    edit: bool,
    rename: str | None,
    shared: bool | None,
) -> None:
    """Change a response's text (and name with --rename)."""
    desk = _desk(runtime)
    view = desk.canned_get(name, shared=shared)
    text = view.body if rename and body is None and not edit else None
    text = text if text is not None else _text(runtime, body, edit, "canned text")
    changed = desk.canned_save(rename or view.name, text, shared=view.shared, canned_id=view.id)
    click.echo(f"saved {changed.scope} canned response {line(changed.name)}")


@canned.command("delete")
@click.argument("name")
@scope_option
@pass_runtime
def canned_delete(runtime: Runtime, name: str, shared: bool | None) -> None:
    """Delete a response."""
    desk = _desk(runtime)
    view = desk.canned_delete(desk.canned_get(name, shared=shared).id)
    click.echo(f"deleted {view.scope} canned response {line(view.name)}")


@canned.command("render")
@click.argument("name")
@click.argument("number", type=click.IntRange(1, MAX_NUMBER), metavar="TICKET")
@scope_option
@pass_runtime
def canned_render(runtime: Runtime, name: str, number: int, shared: bool | None) -> None:
    """Print the response as it reads on TICKET (placeholders filled)."""
    desk = _desk(runtime)
    view = desk.canned_get(name, shared=shared)
    click.echo(desk.canned_render(view.id, number, desk_name=runtime.start.desk_name))


# -- macros ------------------------------------------------------------------------------


def _macro_line(view: MacroView) -> str:
    return f"{line(view.name):<30} {line(', '.join(view.changes()))}"


@click.group()
def macro() -> None:
    """Macros: a canned text plus field changes, applied to a ticket as one change."""


@macro.command("list")
@json_option
@pass_runtime
def macro_list(runtime: Runtime, as_json: bool) -> None:
    """Every macro, by name, with what it does."""
    views = _reads(runtime).macro_list()
    if as_json:
        echo_json([v.as_json() for v in views])
        return
    if not views:
        click.echo(
            "no macros yet; add one with helpdesk macro add NAME --body TEXT --status STATUS "
            "(supervisors and admins)",
            err=True,
        )
    for view in views:
        click.echo(_macro_line(view))


@macro.command("show")
@click.argument("name")
@json_option
@pass_runtime
def macro_show(runtime: Runtime, name: str, as_json: bool) -> None:
    """Show one macro: its changes and its text."""
    view = _reads(runtime).macro_get(name)
    if as_json:
        echo_json(view.as_json())
        return
    click.echo(_macro_line(view))
    if view.spec.body:
        click.echo(view.spec.body)


@macro.command("add")
@click.argument("name")
@click.option("--body", default=None, help="Its text (placeholders allowed); none: fields only.")
@click.option("--note", "as_note", is_flag=True, help="The text is an internal note, not a reply.")
@click.option("--status", default=None, help="Set this status.")
@click.option("--priority", default=None, help="Set this priority.")
@click.option("--tag", "tags_add", multiple=True, help="Add this tag; repeatable.")
@click.option("--untag", "tags_remove", multiple=True, help="Remove this tag; repeatable.")
@click.option("--assignee", default=None, metavar="LOGIN", help="Assign to this agent.")
@click.option("--team", default=None, help="Hand to this team.")
@click.option("--replace", is_flag=True, help="Replace the macro NAME if there is one.")
@pass_runtime
def macro_add(
    runtime: Runtime,
    name: str,
    body: str | None,
    as_note: bool,
    status: str | None,
    priority: str | None,
    tags_add: tuple[str, ...],
    tags_remove: tuple[str, ...],
    assignee: str | None,
    team: str | None,
    replace: bool,
) -> None:
    """Add a macro (supervisors and admins)."""
    desk = _desk(runtime)
    spec = MacroSpec(
        name=name,
        body=body or "",
        body_kind="note" if as_note else "reply",
        status=status,
        priority=priority,
        tags_add=tags_add,
        tags_remove=tags_remove,
        assignee=assignee,
        team=team,
    )
    existing = None
    if replace:
        existing = next((v.id for v in desk.macro_list() if v.name == name.strip()), None)
    view = desk.macro_save(spec, macro_id=existing)
    click.echo(f"saved macro {_macro_line(view)}")


@macro.command("delete")
@click.argument("name")
@pass_runtime
def macro_delete(runtime: Runtime, name: str) -> None:
    """Delete a macro (supervisors and admins)."""
    view = _desk(runtime).macro_delete(name)
    click.echo(f"deleted macro {line(view.name)}")


@macro.command("apply")
@click.argument("number", type=click.IntRange(1, MAX_NUMBER), metavar="TICKET")
@click.argument("name")
@click.option(
    "--expect-version",
    type=click.IntRange(0, MAX_NUMBER),
    default=None,
    metavar="N",
    help="Refuse if the ticket is no longer at version N.",
)
@json_option
@pass_runtime
def macro_apply(
    runtime: Runtime, number: int, name: str, expect_version: int | None, as_json: bool
) -> None:
    """Apply macro NAME to TICKET as one change (one version, one group of events)."""
    result = _desk(runtime).macro_apply(
        number, name, expected_version=expect_version, desk_name=runtime.start.desk_name
    )
    if as_json:
        echo_json(
            {"number": result.number, "version": result.version, "changes": list(result.changes)}
        )
        return
    click.echo(f"#{result.number} v{result.version}: {line(', '.join(result.changes))}")
