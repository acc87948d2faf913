"""The ``helpdesk`` click group: with no arguments the terminal UI, otherwise a subcommand.

Run in-process by ``helpdesk_tui.cli.run`` (or in a warm server's child, ``warm_server``).
Subcommands live in their own modules and are imported only when they run (see
``lazy.py``), so ``helpdesk --help`` and ``--version`` answer at once and never load
Textual or the database drivers.
"""

from __future__ import annotations

import gc

# The command line's own modules (click, ours) are imported as a command's are
# (``lazy.loading``): with the cyclic collector paused, what they make kept out of its
# later walks. 21 collections ran during these imports, ≈ 3 ms of every command's start.
_COLLECTING = gc.isenabled()
gc.disable()
try:
    import os
    import sys
    import traceback
    from collections.abc import MutableMapping
    from typing import Any

    import click

    from helpdesk_tui import __version__
    from helpdesk_tui.cli import interrupts
    from helpdesk_tui.cli.errors import translate
    from helpdesk_tui.cli.lazy import LazyGroup, loading
    from helpdesk_tui.cli.streams import clean_streams, raw_streams
finally:
    if _COLLECTING:
        gc.enable()
gc.freeze()

SUBCOMMANDS = {
    "agent": "helpdesk_tui.cli.agents:agent",
    "canned": "helpdesk_tui.cli.canned:canned",
    "completion": "helpdesk_tui.cli.completion:completion",
    "config": "helpdesk_tui.cli.config:config",
    "contact": "helpdesk_tui.cli.contact:contact",
    "db": "helpdesk_tui.cli.db:db",
    "demo": "helpdesk_tui.cli.demo:demo",
    "desk": "helpdesk_tui.cli.desk:desk",
    "drafts": "helpdesk_tui.cli.drafts:drafts",
    "init": "helpdesk_tui.cli.init:init",
    "kb": "helpdesk_tui.cli.kb:kb",
    "locate": "helpdesk_tui.cli.locate:locate",
    "macro": "helpdesk_tui.cli.canned:macro",
    "mail": "helpdesk_tui.cli.mail:mail",
    "report": "helpdesk_tui.cli.report:report",
    "rules": "helpdesk_tui.cli.rules:rules",
    "server": "helpdesk_tui.cli.server:server",
    "sla": "helpdesk_tui.cli.sla:sla",
    "survey": "helpdesk_tui.cli.survey:survey",
    "team": "helpdesk_tui.cli.agents:team",
    "ticket": "helpdesk_tui.cli.ticket:ticket",
}

SUBCOMMAND_HELP = {
    "agent": "Add agents, list them, change their roles, deactivate them.",
    "canned": "Canned responses: list, show, add, edit, delete, render on a ticket.",
    "completion": "Print the shell completion script for bash, zsh or fish.",
    "config": "Show the effective settings (secrets masked).",
    "contact": "A customer's data: show it, export it, forget it (admins).",
    "db": "The desk's database: status, upgrade, backup, restore.",
    "demo": "Fill the database with realistic demo tickets.",
    "desk": "The desk's name, the same for everyone: show it, set it (admins).",
    "drafts": "List your unsent drafts of replies, notes and call logs.",
    "init": "Create a desk (--shared GROUP: a team's); its first admin is you.",
    "kb": "The knowledge base: search, write, publish, import and export articles.",
    "locate": "Print where the config files and the data live.",
    "macro": "Macros: a canned text plus field changes, applied to a ticket at once.",
    "mail": "Fetch and send mail: the poller and the outbox.",
    "report": "The reports screen's numbers as a table, CSV or JSON.",
    "rules": "Routing rules: list, check, test on a message; hand out a team's tickets.",
    "server": "Your warm command server (fast verbs): status, stop.",
    "sla": "Service levels: SLA policies and business calendars.",
    "survey": "Satisfaction surveys: on or off for the desk; requesters who opt out.",
    "team": "Add teams and list them.",
    "ticket": "Create, list, show and change tickets.",
}


class HelpdeskGroup(LazyGroup):
    """The root group: turns every expected failure into one line on stderr.

    Everything the command writes, click's own messages included, goes out through
    ``clean_streams``: the one place that keeps escape sequences off the terminal. A Ctrl-C
    is never lost in a finalizer on the way (``interrupts.kept``).
    """

    def main(self, *args: Any, **kwargs: Any) -> Any:
        # The program itself (``helpdesk``, ``python -m``, a warm child: arguments from
        # argv, not a caller's list) running a command (not the terminal UI)?
        program = not args and kwargs.get("args") is None and bool(sys.argv[1:])
        interrupts.starting(program)
        try:
            with clean_streams(), interrupts.kept():
                try:
                    return super().main(*args, **kwargs)
                except Exception as error:
                    if _interrupted(error):
                        # A Ctrl-C that a library's cleanup turned into another error on its
                        # way out (SQLAlchemy asserts its transaction ended when the interrupt
                        # came as it closed it): ended as an interrupted command.
                        click.echo(file=sys.stderr)
                        click.echo(interrupts.said(), err=True)
                        sys.exit(interrupts.INTERRUPTED)
                    # A bug. Its traceback may quote outside text (a subject, a header), so
                    # it is printed here, through the cleaning stream, not by Python after it.
                    traceback.print_exc()
                    sys.exit(1)
        except SystemExit as done:
            code = done.code
            if code == 1 and _interrupted(done):
                # click's own "Aborted!" for a Ctrl-C outside the command's run (while
                # reading its arguments, in a prompt): the status of an interrupted command.
                code = interrupts.INTERRUPTED
            # The program itself ends here if it can.
            if program:
                from helpdesk_tui.cli.quick_exit import end

                end(code)
            if code != done.code:
                raise SystemExit(code) from None
            raise

    def _main_shell_completion(
        self, ctx_args: MutableMapping[str, Any], prog_name: str, complete_var: str | None = None
    ) -> None:
        """A Tab on a value the fast table knows (``fast_complete``) is answered without
        loading any command; everything else as click does it."""
        if complete_var is None:  # as click names it
            complete_var = f"_{prog_name.replace('-', '_').replace('.', '_')}_COMPLETE".upper()
        shell, _, what = os.environ.get(complete_var, "").partition("_")
        if what == "complete":
            from click.shell_completion import get_completion_class

            from helpdesk_tui.cli.fast_complete import fast_completions

            comp_cls = get_completion_class(shell)
            if comp_cls is not None:
                comp = comp_cls(self, ctx_args, prog_name, complete_var)
                items = fast_completions(*comp.get_completion_args())
                if items is not None:
                    click.echo("\n".join(comp.format_completion(item) for item in items))
                    sys.exit(0)
        super()._main_shell_completion(ctx_args, prog_name, complete_var)

    def invoke(self, ctx: click.Context) -> Any:
        """Run the command; a Ctrl-C during it ends it with one line that says whether what
        it changed before is saved (``interrupts.said``) and status 130. Once its work is
        done, a Ctrl-C is kept for the program's end (``interrupts.ending``: from the
        closing of the command's desk, ``Runtime``, or here)."""
        try:
            result = self._invoke(ctx)
        except KeyboardInterrupt:
            click.echo(file=sys.stderr)
            click.echo(interrupts.said(), err=True)
            raise click.exceptions.Exit(interrupts.INTERRUPTED) from None
        except (click.ClickException, click.exceptions.Exit):
            interrupts.ending()  # (its error said, or its status set)
            raise
        interrupts.ending()
        return result

    def _invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except BrokenPipeError:
            # The reader went away (``helpdesk ticket list --ids | head``): stop quietly.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            ctx.exit(1)
        except click.ClickException as error:
            _shorten(error)
            raise
        except (click.exceptions.Exit, click.Abort):
            raise
        except Exception as error:
            runtime = ctx.obj
            url = getattr(runtime, "database_url", None)
            translated = translate(error, url)
            if translated is None:
                raise
            _shorten(translated)
            raise translated from None

    def make_context(self, *args: Any, **kwargs: Any) -> click.Context:
        try:
            return super().make_context(*args, **kwargs)
        except click.ClickException as error:
            _shorten(error)
            raise


def _interrupted(error: BaseException) -> bool:
    """Whether ``error`` was raised while a KeyboardInterrupt was being handled."""
    seen: set[int] = set()
    cause: BaseException | None = error
    while cause is not None and id(cause) not in seen:
        if isinstance(cause, KeyboardInterrupt):
            return True
        seen.add(id(cause))
        cause = cause.__context__
    return False


def _shorten(error: click.ClickException) -> None:
    """Keep what ``error`` quotes to a few lines (``safe_text.shortened``): a 3,000-character
    argument is not printed whole in the one line that says it is wrong."""
    from helpdesk_tui.safe_text import shortened

    # click marks ``message`` Final for its own code; the error is about to be shown.
    error.message = shortened(error.message)  # type: ignore[misc]


@click.group(
    cls=HelpdeskGroup,
    lazy_subcommands=SUBCOMMANDS,
    lazy_help=SUBCOMMAND_HELP,
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@click.version_option(__version__, "-V", "--version", prog_name="helpdesk")
@click.pass_context
def main(ctx: click.Context) -> None:
    """A keyboard-driven helpdesk for support agents, in the terminal.

    With no command, opens the terminal UI on the configured database (a SQLite file in
    your data directory unless configured otherwise; `helpdesk locate data`).
    """
    if ctx.invoked_subcommand is None:
        with loading():
            from helpdesk_tui.cli.tui import start

        with raw_streams():
            start()
