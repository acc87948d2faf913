"""``helpdesk completion SHELL``: the completion script, from click's own machinery.

Install with e.g. ``helpdesk completion bash > ~/.local/share/bash-completion/completions/helpdesk``
or ``eval "$(helpdesk completion zsh)"`` in ``~/.zshrc``.
"""

from __future__ import annotations

import click
from click.shell_completion import BashComplete, add_completion_class, get_completion_class

SHELLS = ["bash", "zsh", "fish"]
COMPLETE_VAR = "_HELPDESK_COMPLETE"


class QuotingBashComplete(BashComplete):
    """click's bash completion, with each value quoted for the command line.

    click's script adds a value to ``COMPREPLY`` as it comes, so bash put a team named
    "Service Desk" on the line as two words (``--team Service Desk``: "unexpected extra
    argument (Desk)") and would expand a ``*`` in a value. ``printf %q`` escapes both.
    """

    source_template = BashComplete.source_template.replace(
        "COMPREPLY+=($value)", 'printf -v value %%q "$value"; COMPREPLY+=("$value")'
    )


add_completion_class(QuotingBashComplete)


@click.command()
@click.argument("shell", type=click.Choice(SHELLS))
@click.pass_context
def completion(ctx: click.Context, shell: str) -> None:
    """Print the shell completion script for SHELL."""
    complete_class = get_completion_class(shell)
    assert complete_class is not None
    root = ctx.find_root()
    script = complete_class(root.command, {}, root.info_name or "helpdesk", COMPLETE_VAR)
    click.echo(script.source())
