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
"""

from __future__ import annotations

import _thread
import contextlib
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
