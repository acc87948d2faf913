"""Keys typed ahead go to the screen they were typed for, in order.

A terminal delivers the keys of a fast typist (over SSH, a paste of keys) in one read, and
Textual's app (8.2) hands each key on the moment it arrives: to the widget with the focus *now*
(``App.on_event``: ``(self.focused or self.screen)._forward_event``), where it waits in
that widget's queue. A key that opens a screen acts only once that widget handles it
(the binding runs when the key bubbles back up to the app, ``App._on_key``), and by then
the keys after it were already handed to the old widget, or to the new screen before it
had composed and taken focus: ``#10⏎`` on the queue gave ``1`` and ``0`` to the queue
(whose digits pick saved views) instead of the "Go to #" prompt, and ``r`` and a reply's
text on a ticket opened an empty composer.

A key is handed on at once when nothing is on its way: the widgets the key before it went
through have handled everything they were sent (``_idle``: nothing queued, their task
waiting for the next message), no worker that opens a screen runs, and the screen on top
is ready (composed, mounted, its focus set: ``_check``, asked as soon as a screen comes
on top). A key typed at a typist's pace thus waits for nothing and costs a look at a few
queues. Keys that come while the one before is still on its way (one read, a burst) wait,
and go on one at a time: the next once the one before has made its whole way (the widget
it went to, each one it bubbled to, the app's bindings, and what they posted back:
``_walk``, which skips the widgets with nothing queued) and the screen on top is ready;
keys do not wait for the data a screen loads. A key that opens a screen thus sends the
keys after it to that screen; one that closes a screen (Esc) sends them to the screen
below. Nothing here knows any screen; a screen opened or closed by a worker the key
started (the composer, once the desk says who else replies; a screen asked for while the
desk is still opening, once it is open) says so (``wait_for``), and the keys wait for that
worker. Keys wait at most ``STALL_SECONDS`` without one going on
(a worker that does not end, a screen never ready): then they go to the screen shown, and
one line says so. Mouse events are not held: a click goes where it is aimed.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import deque
from collections.abc import Callable
from typing import Any

from textual import events
from textual.app import App
from textual.dom import DOMNode
from textual.message_pump import MessagePump
from textual.screen import Screen
from textual.timer import Timer
from textual.worker import Worker

TypedEvent = events.Key | events.Paste

PASSES = 2
"""Times a key's trip goes up its way. A key bubbles from the focused widget to the app,
where the widgets' bindings run: what they post goes back to a widget on the way (an
Input's ``Submitted``, a DataTable's ``RowSelected``) and bubbles up again behind the
first pass; the second follows it (through the handler that closes the prompt)."""

STALL_SECONDS = 3.0
"""How long keys wait for the key before them or for a screen to get ready, at most."""


def _copy(event: TypedEvent, app: App[Any]) -> TypedEvent:
    """A new event like ``event``, to post again (one posted carries its first trip's
    state: the messages prevented where it was posted). Sent by the app, as the driver's
    are: a message stops bubbling after its sender, and one made in a callback at a widget
    on the way (a trip ends there) would not have reached the app's bindings."""
    copy = (
        events.Key(event.key, event.character)
        if isinstance(event, events.Key)
        else events.Paste(event.text)
    )
    copy.set_sender(app)
    return copy


def _idle(node: MessagePump, running: MessagePump | None = None) -> bool:
    """``node`` has handled everything it was sent: nothing queued, no ``call_next``
    waiting, and its task waits for the next message (a handler that awaits — a screen
    pushed and waited for — is still handling). ``running``: the node whose message is
    being handled now, by the caller itself (it does nothing more). A closed node is idle:
    it handles nothing more. (Textual 8.2 keeps no count of messages under way: the queue
    and the event its task waits on are looked at.)"""
    if node._closing or node._closed:
        return True
    if node._next_callbacks:
        return False
    queue: Any = node._message_queue
    if queue.values:
        return False
    if node is running:
        return True
    return any(not waiter.done() for waiter in queue.ready_event._waiters)


def _only_typed(app: App[Any]) -> bool:
    """The app has nothing queued but keys and pastes from the terminal (each goes through
    :meth:`TypingAhead.waits` in turn): nothing a key before them sent it."""
    if app._next_callbacks:
        return False
    queued: Any = app._message_queue.values
    return all(
        isinstance(message, events.Key | events.Paste) and not message.is_forwarded
        for message in queued
    )


class TypingAhead:
    """The app's keys, handed on one after the other (module docstring)."""

    def __init__(self, app: App[Any]) -> None:
        self._app = app
        self._waiting: deque[TypedEvent] = deque()
        """Keys (and pastes) that came while one was on its way or the screen opened."""
        self._released: TypedEvent | None = None
        """The key posted to the app again, to be handled when the app reads it."""
        self._last: list[MessagePump] | None = None
        """The way of the last key handed on while nothing waited (its widget, the ones
        above it, the app), its trip not followed: the next key looks whether they are
        idle (``_quiet``). None: no such key."""
        self._trip = 0
        """Counts the trips followed: a key's, or a worker's (``wait_for``); a trip ends
        only if it is still the current one (one given up on by ``_stalled`` ends no later
        one)."""
        self._busy = False
        """A trip is followed: keys wait."""
        self._walks = 0
        """Walks of the current trip not yet at their end."""
        self._workers: list[Worker[Any]] = []
        """Workers the trip under way waits for (``wait_for``)."""
        self._tasks: set[asyncio.Task[None]] = set()
        """Waits for such workers (kept: the loop holds tasks weakly)."""
        self._ready: Screen[Any] | None = None
        """The screen on top, known ready since it was put there; None: not known."""
        self._checking: Screen[Any] | None = None
        """The screen on top whose readiness ``_check`` is asking for."""
        self._timer: Timer | None = None
        """Watches for keys that wait too long (``_stalled``), while keys wait."""
        self._watched = 0
        """The trip count when the timer last looked."""

    def start(self) -> None:
        """Follow the screens on top (the app is running)."""
        self._app.screen_change_signal.subscribe(self._app, self._screen_changed, immediate=True)
        with contextlib.suppress(Exception):
            self._check(self._app.screen)

    @property
    def idle(self) -> bool:
        """No key waits, none is on its way (an app that has stopped handles none: a key
        there is on no way)."""
        if not self._app.is_running:
            return True
        return not self._busy and not self._waiting and self._released is None

    def waits(self, event: TypedEvent) -> bool:
        """True: ``event`` waits its turn (the app handles it when it is posted again);
        False: the app hands it on now, and then calls :meth:`sent`."""
        if event is self._released:
            self._released = None
            return False
        if (
            not (self._busy or self._waiting or self._released is not None)
            and self._top_ready()
            and self._quiet()
        ):
            self._last = None
            return False
        self._waiting.append(event)
        self._watch()
        if self._last is not None:  # (the key before may still be on its way)
            self._follow(self._last)
        self._advance()
        return True

    def sent(self, target: DOMNode) -> None:
        """The key was handed to ``target`` (or handled by the app's priority bindings,
        whose actions may post to it): its trip ends after ``target`` and each of its
        ancestors, up to the app, have handled it and what that posted to them. Followed
        now if keys wait behind it (or a trip is under way: ``wait_for`` in a priority
        binding); else the next key looks (``_quiet``)."""
        way: list[MessagePump] = list(target.ancestors_with_self)
        if way[-1] is not self._app:
            way.append(self._app)
        if self._busy or self._waiting:
            self._follow(way)
        else:
            self._last = way

    def wait_for(self, worker: Worker[Any]) -> None:
        """``worker`` opens or closes a screen when it is done (it asks the desk first):
        the keys typed after the key that started it wait for it, and go to the screen
        then on top. Never for a lookup typed through (a search, a picker's list): keys
        do not wait for data. The trip followed is the key's that started it (sent
        unfollowed: ``_last``), or one of its own."""
        self._workers.append(worker)
        if not self._busy:
            self._follow(self._last or [self._app])

    def _follow(self, way: list[MessagePump]) -> None:
        """Follow a key's trip along ``way`` (PASSES times), as part of the trip under way
        or as a new one."""
        if not self._busy:
            self._busy = True
            self._trip += 1
            self._walks = 0
        self._last = None
        self._walks += 1
        trip, path = self._trip, way * PASSES
        self._walk(path, lambda: self._arrived(trip, path))

    def _walk(self, path: list[MessagePump], then: Callable[[], None], index: int = 0) -> None:
        """``then`` once each of ``path`` in turn has handled what it was sent before: a
        callback posted to the first that is not idle, and so on from the next once it
        ran (a widget closed meanwhile takes none: passed by)."""
        running = path[index - 1] if index else None
        for at in range(index, len(path)):
            node = path[at]
            if _idle(node, running):
                continue
            if node.call_later(self._walk, path, then, at + 1):
                return
        then()

    def _arrived(self, trip: int, path: list[MessagePump]) -> None:
        """A walk of the trip went its way; the trip ends once all have, the workers it
        waits for are done and what they posted is handled."""
        if trip != self._trip or not self._busy:
            return
        self._walks -= 1
        if self._walks:
            return
        workers, self._workers = self._workers, []
        if any(not worker.is_finished for worker in workers):
            self._walks += 1
            task = asyncio.create_task(self._after(workers, trip, path))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
            return
        self._busy = False
        self._advance()

    async def _after(self, workers: list[Worker[Any]], trip: int, path: list[MessagePump]) -> None:
        for worker in workers:
            with contextlib.suppress(Exception):  # (failed or cancelled: said where it ran)
                await worker.wait()
        nodes = [worker.node for worker in workers if isinstance(worker.node, MessagePump)]
        self._walk([*nodes, *path], lambda: self._arrived(trip, path))

    def _quiet(self) -> bool:
        """The last key handed on has made its way (the app: what it has queued is keys
        from the terminal only)."""
        if self._last is None:
            return True
        return all(_idle(node) for node in self._last[:-1]) and _only_typed(self._app)

    def _top_ready(self) -> bool:
        try:
            return self._app.screen is self._ready
        except Exception:  # (no screen: the app is starting or ending; nothing to wait for)
            return True

    def _advance(self) -> None:
        """Hand on the next key waiting, if no trip is under way and the top screen is ready."""
        if self._busy or self._released is not None or not self._waiting:
            return
        if not self._top_ready():
            self._check(self._app.screen)
            return
        event = self._released = _copy(self._waiting.popleft(), self._app)
        self._app.post_message(event)

    def _check(self, screen: Screen[Any]) -> None:
        """Ask ``screen`` when it is ready: it runs a callback once mounted and through
        what it was sent meanwhile (its resume), then the widget with its focus (a
        dismissed screen's answer runs there), then the app (``Widget.focus`` sets the
        focus from there)."""
        if self._checking is screen:
            return
        self._checking = screen
        focused = [screen.focused] if screen.focused is not None else []
        self._walk([screen, *focused, self._app], lambda: self._confirmed(screen))

    def _confirmed(self, screen: Screen[Any]) -> None:
        if self._checking is not screen:
            return
        self._checking = None
        with contextlib.suppress(Exception):
            if self._app.screen is screen:
                self._ready = screen
        self._advance()

    def _screen_changed(self, screen: Screen[Any]) -> None:
        """Another screen is on top (pushed, popped, switched): keys wait until it is
        ready, which is asked now (a key typed later finds it ready); those waiting for a
        screen closed before it got ready go to this one."""
        self._ready = None
        self._checking = None
        self._app.call_later(self._check, screen)

    def _watch(self) -> None:
        """Look at the keys waiting every ``STALL_SECONDS`` while there are some (one
        timer for a burst, not one a key)."""
        if self._timer is None:
            self._watched = self._trip
            self._timer = self._app.set_interval(STALL_SECONDS, self._stalled)

    def _stalled(self) -> None:
        """No key went on for ``STALL_SECONDS`` while keys waited: the screen on top is
        taken as ready, and they go."""
        if not self._waiting:
            if self._timer is not None:
                self._timer.stop()
                self._timer = None
            return
        if self._trip != self._watched:
            self._watched = self._trip
            return
        self._app.notify(
            f"A screen was slow to open: the {len(self._waiting)} keys typed meanwhile "
            "went to the one shown",
            severity="warning",
            markup=False,
        )
        self._busy = False
        self._last = None
        self._workers = []
        self._checking = None
        with contextlib.suppress(Exception):
            self._ready = self._app.screen
        self._advance()
