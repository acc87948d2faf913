"""A Ctrl-C is never swallowed by a finalizer.

Python runs a signal's handler wherever the program is when it checks for signals, and
that may be inside code Python calls on its own: a ``__del__``, a weakref's callback (a
garbage collection, an object freed), where an exception cannot go anywhere. Python then
prints "Exception ignored in: …" with the KeyboardInterrupt and goes on as if no key had
been pressed: the command ends with status 0, or waits on, where the user asked it to stop.
SQLAlchemy runs such callbacks while it closes the desk's engine at the end of every command
(its event registry's ``_collection_gced``); a Ctrl-C landing there was lost.

While a command runs, :func:`kept` puts the interrupt back: the same KeyboardInterrupt is
raised again at the program's next call or return outside the finalizer (a profile function
set for that one event), and reaches click's "Aborted!" as any other Ctrl-C does. (A check
for signals in the hook itself would raise it where it is swallowed again: a signal sent
anew, or ``_thread.interrupt_main``, is taken at the hook's next step.)
Standard library only, light: the root group imports it for every command.

A Ctrl-C ends a command with status :data:`INTERRUPTED` (130, as a shell reports a program
that SIGINT ended) and one line (:func:`said`) that tells whether what the command changed
is saved. Once the command's own work is done (:func:`ending`), a Ctrl-C no longer raises
into the desk's closing, the exit handlers or the last flush: the first is kept and the
process ends after that work, with the line that the command had finished; a second, or
one that comes once the exit handlers run, ends it at once. (A KeyboardInterrupt raised
there was lost in an ``atexit`` handler, status 0, or came while the desk was closed as
"Aborted!", status 1, after the change had been saved.)
"""

from __future__ import annotations

import _thread
import contextlib
import os
import sys
from collections.abc import Iterator
from types import FrameType
from typing import Any


@contextlib.contextmanager
def kept() -> Iterator[None]:
    """Run the block with a KeyboardInterrupt raised in a finalizer raised again after it."""
    previous = sys.unraisablehook
    main = _thread.get_ident()

    def hook(unraisable: Any) -> None:
        # (a Ctrl-C is the main thread's: Python runs signal handlers there alone)
        if not isinstance(unraisable.exc_value, KeyboardInterrupt) or _thread.get_ident() != main:
            previous(unraisable)
            return
        here = sys._getframe()

        def again(frame: FrameType, _event: str, _arg: object) -> None:
            if frame is here:
                return  # (the hook's own return)
            # Raised from a profile function, an exception goes into the frame that made
            # the call (or returns), and the function is unset. In another finalizer it is
            # swallowed again, and set again by this hook: it ends in the program's own step.
            raise KeyboardInterrupt

        sys.setprofile(again)

    sys.unraisablehook = hook
    try:
        yield
    finally:
        sys.unraisablehook = previous


INTERRUPTED = 130
"""A Ctrl-C's exit status: 128 + SIGINT, as a shell reports a program the signal ended."""

program = False
"""Set while the program itself runs a command (``helpdesk``, a warm child), not a caller
that runs the CLI in its own process (the tests, ``CliRunner``): only then does
:func:`ending` take over the process's Ctrl-C."""

_ending: str | None = None
"""None while the command works; "kept" once it is done (a first Ctrl-C is kept for the
end); "now" once the exit handlers run (a Ctrl-C ends the process at once)."""
_pressed = False


def said(*, finished: bool = False) -> str:
    """The one line a Ctrl-C leaves: whether the command had finished, and whether what
    it changed on the desk (a committed transaction) is saved."""
    if finished:
        if _changes_saved():
            return "Interrupted as it ended: the command had finished, and its changes are saved."
        return "Interrupted as it ended: the command had finished."
    if _changes_saved():
        return "Aborted! What it changed before the Ctrl-C is saved."
    return "Aborted!"


_commits_before = 0


def starting(as_program: bool) -> None:
    """A command starts: in the program itself (``helpdesk``, a warm child) or not (a
    caller's own process, e.g. ``CliRunner``, where :func:`ending` does nothing)."""
    global program, _commits_before
    program = as_program
    _commits_before = _commits()


def _changes_saved() -> bool:
    return _commits() > _commits_before


def _commits() -> int:
    # (loaded by every command that opens the desk; not loaded, nothing was written)
    opening = sys.modules.get("helpdesk_tui.desk.opening")
    return 0 if opening is None else int(opening.commits_made())


def ending() -> None:
    """The command's work is done: from here to the process's end a Ctrl-C is not raised
    into the closing of the desk (its pool's disposal), the exit handlers or the last
    flush, where it was lost or said "Aborted!" after the change was saved. The first is
    kept, the exit work goes on (connections closed cleanly, the WAL folded in) and the
    process ends with :data:`INTERRUPTED` and the line; a second ends it at once. The
    program's own run only (``helpdesk``, a warm child), in its main thread."""
    global _ending
    if _ending is not None or not program:
        return
    if isinstance(sys.exc_info()[1], KeyboardInterrupt):
        return  # (the command's desk closed as a Ctrl-C stops it: not done)
    import atexit
    import signal

    try:
        signal.signal(signal.SIGINT, _ctrl_c_while_ending)
    except ValueError:  # (not the main thread: no handler of ours)
        return
    # Registered now, it runs before the exit handlers registered earlier (logging's,
    # weakref.finalize's, the warm server's start): after it a Ctrl-C ends at once.
    atexit.register(_exit_handlers_start)
    _ending = "kept"


def _ctrl_c_while_ending(_number: int, _frame: object) -> None:
    global _pressed
    if _pressed or _ending == "now":
        _end_interrupted()
    _pressed = True


def _exit_handlers_start() -> None:
    global _ending
    if _pressed:
        _end_interrupted()
    _ending = "now"


def _end_interrupted() -> None:
    """End the process now, as a Ctrl-C ends a command that had finished: what it wrote
    flushed, the line said, status :data:`INTERRUPTED`."""
    line = said(finished=True)
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):  # (a closed pipe; a flush the signal came in)
            stream.flush()
    with contextlib.suppress(OSError):
        os.write(2, f"\n{line}\n".encode())
    os._exit(INTERRUPTED)
