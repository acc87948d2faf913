"""``helpdesk`` with no arguments: the terminal UI.

The one exception to "only ``helpdesk init`` creates a desk": with no ``database_url``
configured, the first start sets up its user's private desk in the data directory (a path
no one typed, so no typo can make it) with that user as its admin.

When this user has started the UI on this desk before (a first page is kept in their cache
dir: ``queue_cache``), the UI is drawn at once with that page and the desk is opened in a
thread meanwhile: the data layer is not imported before the first paint. A desk that cannot
be opened then ends the UI and is reported here, as it is on a first start.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

import click

from helpdesk_tui.cli.lazy import loading
from helpdesk_tui.cli.runtime import Runtime, current_runtime
from helpdesk_tui.config_files import default_database_url
from helpdesk_tui.desk.actors import Actor

if TYPE_CHECKING:
    from helpdesk_tui.desk.opening import Database


def _open(runtime: Runtime) -> tuple[Database, Actor]:
    """The desk's database and the agent running the UI (made first admin of a new private
    desk)."""
    if runtime.start.database_url == default_database_url():
        db = runtime.database(create=True)
        return db, runtime.first_admin()
    actor = runtime.actor()
    return runtime.database(), actor


def _say_kept(kept: list[str], left_problem: str | None = None) -> None:
    """What quitting kept as drafts, once the terminal is back (nothing is dropped), and
    why this terminal's presence markers stay a while, if they do."""
    for said in kept:
        click.echo(f"{said} is kept as a draft: it is offered back when opened again.", err=True)
    if left_problem is not None:
        click.echo(left_problem, err=True)


def start() -> None:
    # (what the imports make is frozen until the heap settles: ``HelpdeskApp.settle_heap``)
    with loading():
        from helpdesk_tui.app import HEAP_SETTLE_SECONDS, end_by_signal, kept_page, make_app

    runtime = current_runtime()
    kept = kept_page(runtime.start, runtime.login)
    if kept is None:
        db, actor = _open(runtime)
        app = make_app(runtime.settings, db, actor)
        app.settle_heap_after = HEAP_SETTLE_SECONDS  # this process runs one app
        app.desk_jobs = True
        app.run()
        _say_kept(app.kept_on_quit, app.left_problem)
        if app.ended_by is not None:  # (SIGTERM: the terminal is back, the drafts kept)
            runtime.close()
            end_by_signal(app.ended_by)
        return
    notes: list[str] = []
    runtime.say = notes.append  # nothing may write to the terminal while the UI runs
    click.get_current_context().call_on_close(runtime.close)  # (opened in another thread)
    # The settings were checked when last validated (``start_settings``); they are read
    # whole (pydantic) in the opening thread, with the desk.
    app = make_app(
        None,
        None,
        Actor(name=runtime.login),
        opening=lambda: _open(runtime),
        kept=kept,
        start=runtime.start,
        load_settings=lambda: runtime.settings,
    )
    app.settle_heap_after = HEAP_SETTLE_SECONDS
    app.desk_jobs = True
    app.collect_after_first_paint = True
    gc.disable()
    try:
        app.run()
    finally:
        gc.enable()
        for note in notes:
            click.echo(note, err=True)
    _say_kept(app.kept_on_quit, app.left_problem)
    if app.ended_by is not None:
        runtime.close()
        end_by_signal(app.ended_by)
    if app.open_error is not None:
        raise app.open_error
