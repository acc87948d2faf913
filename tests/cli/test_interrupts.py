"""A Ctrl-C that lands in a finalizer is not lost (``cli.interrupts``).

Python runs a signal's handler wherever the program is, a weakref's callback or a
``__del__`` too, and there a KeyboardInterrupt is only printed ("Exception ignored in") and
dropped. SQLAlchemy runs such callbacks as every command closes the desk's engine: a Ctrl-C
landing there let the command go on and end with status 0 (found by sending SIGINT at each
step of a command in turn). Here the callback raises the KeyboardInterrupt itself, as the
handler does when the signal lands in it.
"""

from __future__ import annotations

import sys
import threading
import weakref

import pytest

from helpdesk_tui.cli import interrupts


class _Watched:
    pass


def _drop_a_watched_object_as_ctrl_c_lands() -> None:
    watched = _Watched()

    def collected(_ref: object) -> None:
        raise KeyboardInterrupt  # (the SIGINT handler's, the signal landing here)

    ref = weakref.ref(watched, collected)
    del watched  # the callback runs here, and Python swallows what it raises
    assert ref() is None


def test_a_ctrl_c_in_a_finalizer_is_raised_again_at_the_next_step() -> None:
    steps: list[str] = []
    with interrupts.kept(), pytest.raises(KeyboardInterrupt):
        _drop_a_watched_object_as_ctrl_c_lands()
        steps.append("went on")  # never: the interrupt comes at this call
    assert steps == []
    assert sys.getprofile() is None


def test_other_exceptions_in_finalizers_go_to_the_hook_as_before() -> None:
    seen: list[type[BaseException]] = []

    def collected(_ref: object) -> None:
        raise ValueError("a bug in a callback")

    previous = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: seen.append(unraisable.exc_type)
    try:
        with interrupts.kept():
            watched = _Watched()
            ref = weakref.ref(watched, collected)
            del watched
            assert ref() is None
    finally:
        sys.unraisablehook = previous
    assert seen == [ValueError]
    assert sys.getprofile() is None


def test_one_raised_in_a_finalizer_of_another_thread_is_left_to_the_hook() -> None:
    """Signal handlers run in the main thread alone: a KeyboardInterrupt in another thread's
    finalizer is no Ctrl-C, and that thread goes on."""
    seen: list[type[BaseException]] = []
    went_on: list[bool] = []

    def other() -> None:
        _drop_a_watched_object_as_ctrl_c_lands()
        went_on.append(True)

    previous = sys.unraisablehook
    sys.unraisablehook = lambda unraisable: seen.append(unraisable.exc_type)
    try:
        with interrupts.kept():
            thread = threading.Thread(target=other)
            thread.start()
            thread.join()
    finally:
        sys.unraisablehook = previous
    assert (seen, went_on) == ([KeyboardInterrupt], [True])
