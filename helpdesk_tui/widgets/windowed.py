"""A scrolling list that mounts only a window of its items: a long ticket opens at once.

A ticket can hold thousands of messages and changes; laying them all out before the screen
shows took seconds (a widget and its wrapped text each). :class:`Windowed` mounts a window
of :attr:`Windowed.FIRST` items (the end the agent reads first) and a one-line marker for
what is beyond each edge ("… 1,960 earlier entries"). Scrolling onto the marker (the keys
or the wheel) mounts :attr:`Windowed.STEP` more there, keeping in sight what was; Home and
End go to the first and last item, mounting the window there when it is not (the other end
is then behind a marker of its own).

The items may be the newest part only (the desk reads a long ticket's newest messages and
changes first): ``unread`` counts the others, which the markers include; reaching them posts
:class:`Windowed.Wanted` (``whole`` for Home or End, which need the far end), and the owner
hands over a longer list with ``set_items``: the window stays on the items it showed.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import Generic, TypeVar
from weakref import WeakKeyDictionary

from rich.text import Text
from textual import on
from textual.containers import VerticalScroll
from textual.events import Resize
from textual.message import Message
from textual.widget import Widget
from textual.widgets import Static

Item = TypeVar("Item")


class Windowed(VerticalScroll, Generic[Item], can_focus=True):
    """Items ``lo`` to ``hi`` of :attr:`items` mounted, with a marker for the rest on each side.

    Subclasses make an item's widget (:meth:`make_view`) and word the markers
    (:meth:`beyond`). ``FOLLOW_END``: new items come at the end (a thread, oldest first) and
    the list opens at its end; otherwise they come at the start (a history, newest first) and
    the list opens at its start.
    """

    FIRST = 20
    """Items mounted when the list is first shown: more than a tall terminal's screenful."""
    STEP = 40
    """Items mounted each time the agent scrolls onto a marker."""
    FOLLOW_END = True

    DEFAULT_CSS = """
    Windowed > .-beyond { color: $text-muted; text-style: italic; }
    """

    class Wanted(Message):
        """The agent scrolled to items not read yet (``unread``): hand over more of them
        (all of them if ``whole``: Home or End)."""

        def __init__(self, *, whole: bool) -> None:
            super().__init__()
            self.whole = whole

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self.items: Sequence[Item] = []
        self.lo = 0
        self.hi = 0
        self.views: list[Widget] = []
        """The mounted items' widgets: ``views[i]`` shows ``items[lo + i]``."""
        self._before = Static(classes="-beyond -before")
        self._after = Static(classes="-beyond -after")
        self.unread = 0
        """Items not read yet, beyond the first (``FOLLOW_END``) or the last item."""
        self._wanted: str | None = None
        """What the agent asked for that waits on the unread items: before, after, home, end."""
        self._asked = 0
        """Items unread when ``_wanted`` was asked for: a list handed over with fewer is the
        one it waits for (not a refresh already on its way, nor one with a new reply)."""
        self._settled = False
        """False while the window is being (re)built: a scroll then is the layout's, not the
        agent's, and mounts nothing."""
        self._shown: WeakKeyDictionary[Widget, Hashable] = WeakKeyDictionary()
        """What each view was made from besides its item (``shows``)."""

    # -- what subclasses give ----------------------------------------------------------------

    def make_view(self, index: int) -> Widget:
        raise NotImplementedError

    def shows(self, index: int) -> Hashable | None:
        """What item ``index``'s view shows besides the item itself, as data: the texts that
        move with the clock ("5 min ago"), the switches its making reads. A kept view whose
        item and this are unchanged is not made again (``renew_view``); None: unknown, the
        view is made again to compare."""
        return None

    def beyond(self, count: int, before: bool) -> str:
        """The marker's words for ``count`` items not mounted before (or after) the window."""
        raise NotImplementedError

    # -- the window --------------------------------------------------------------------------

    def compose_edges(self) -> list[Widget]:
        """The markers, for a subclass's ``compose`` (or ``on_mount``) to mount."""
        return [self._before, self._after]

    def clear(self) -> None:
        """Forget the items (another ticket is on its way)."""
        for view in self.views:
            view.remove()
        self.items, self.views, self.lo, self.hi, self.unread = [], [], 0, 0, 0
        self._wanted = None
        self._mark_edges()

    def set_items(
        self,
        items: Sequence[Item],
        then: Callable[[], object] | None = None,
        *,
        unread: int = 0,
    ) -> None:
        """Show ``items``: the same part of them as before (grown by what is new at the end
        the list follows), or its first window. ``then`` runs once it is laid out."""
        old, n = self.items, len(items)
        lo, hi = self.lo, self.hi
        self.items, self.unread = items, unread
        refill = bool(self.views) and hi > lo
        if not refill:
            lo, hi = (max(0, n - self.FIRST), n) if self.FOLLOW_END else (0, min(n, self.FIRST))
        else:
            # The window stays on the items it showed: where the first of them still read
            # is now (more read at one end, new ones at the other, the oldest read dropped).
            new_lo = _window_start(old, lo, hi, items)
            new_hi = new_lo + hi - lo
            if self.FOLLOW_END and hi == len(old):
                new_hi = n
            if not self.FOLLOW_END and lo == 0:
                new_lo = 0
            lo, hi = new_lo, new_hi
        lo = max(0, min(lo, n))
        hi = max(lo, min(hi, n))
        wanted = self._wanted
        if wanted is not None and self._reached():
            self._wanted = None
            then = self._doing(wanted, then)
        if refill:
            self._refill_window(old, lo, hi, then)
        else:
            self._mount_window(lo, hi, then)

    def _reached(self) -> bool:
        if self._wanted in ("home", "end"):
            return self.unread == 0
        return self.unread < self._asked

    def _doing(self, wanted: str, then: Callable[[], object] | None) -> Callable[[], object] | None:
        """``then``, and after it what the agent asked for before the items came."""
        act: Callable[[], object] = {
            "before": lambda: self._grow(before=True),
            "after": lambda: self._grow(before=False),
            "home": self.action_scroll_home,
            "end": self.action_scroll_end,
        }[wanted]

        def both() -> None:
            if then is not None:
                then()
            self.call_after_refresh(act)

        return both

    def _want(self, what: str) -> None:
        """Ask for more items (once; Home or End asked after a step asks again, for all)."""
        whole = what in ("home", "end")
        if self._wanted is None or (whole and self._wanted not in ("home", "end")):
            self._wanted = what
            self._asked = self.unread
            self.post_message(self.Wanted(whole=whole))

    def _mount_window(self, lo: int, hi: int, then: Callable[[], object] | None) -> None:
        self._settled = False
        for view in self.views:
            view.remove()
        self.lo, self.hi = lo, hi
        self.views = [self._make(index) for index in range(lo, hi)]
        self.mount_all(self.views, before=self._after)
        self._mark_edges()
        self.call_after_refresh(self._settle, then)

    def _refill_window(
        self, old: Sequence[Item], lo: int, hi: int, then: Callable[[], object] | None
    ) -> None:
        """Items ``lo`` to ``hi`` mounted, keeping the widget of each item the window showed
        at the same place in it (made again only if what it shows changed: a time "5 min
        ago"); new ones mounted, the others removed. (Made again whole, each read of a
        long ticket scrolled into, a colleague's reply, laid out some 240 entries anew:
        0.5 s of CPU.)"""
        self._settled = False
        old_lo, old_hi, old_views = self.lo, self.hi, self.views
        views: list[Widget] = []
        made: set[int] = set()
        for index in range(lo, hi):
            was = index - lo + old_lo
            if old_lo <= was < old_hi and old[was] == self.items[index]:
                view = old_views[was - old_lo]
                self.renew_view(index, view)
            else:
                view = self._make(index)
                made.add(id(view))
            views.append(view)
        kept = {id(view) for view in views} - made
        for view in old_views:
            if id(view) not in kept:
                view.remove()
        self.lo, self.hi, self.views = lo, hi, views
        before: Widget = self._after
        run: list[Widget] = []
        for view in reversed(views):  # (each run of new ones before the kept one after it)
            if id(view) in made:
                run.append(view)
                continue
            if run:
                self.mount_all(run[::-1], before=before)
                run = []
            before = view
        if run:
            self.mount_all(run[::-1], before=before)
        self._mark_edges()
        self.call_after_refresh(self._settle, then)

    def _make(self, index: int) -> Widget:
        view = self.make_view(index)
        shows = self.shows(index)
        if shows is not None:
            self._shown[view] = shows
        return view

    def renew_view(self, index: int, view: Widget) -> None:
        """``view`` kept for item ``index`` (the same item): made again only if what else it
        shows changed (``shows``: compared as data, where each kept entry's widget was made
        anew on every read only to compare what it drew)."""
        shows = self.shows(index)
        if shows is not None and self._shown.get(view) == shows:
            return
        fresh = self.make_view(index)
        if isinstance(view, Static) and isinstance(fresh, Static):
            if view.content != fresh.content:
                view.update(fresh.content)
            if view.classes != fresh.classes:
                view.set_classes(fresh.classes)
        if shows is not None:
            self._shown[view] = shows

    def _settle(self, then: Callable[[], object] | None = None) -> None:
        if then is not None:
            then()
        self.call_after_refresh(self._open_edges)

    def _open_edges(self) -> None:
        self._settled = True
        if not self.display or self.size.height == 0 or self.max_scroll_y > 0:
            return
        if self.lo > 0 or (self.FOLLOW_END and self.unread):
            self._grow(before=True)  # (it all fits: a tall terminal shows more)
        elif self.hi < len(self.items) or (not self.FOLLOW_END and self.unread):
            self._grow(before=False)

    @on(Resize)
    def _window_resized(self) -> None:
        if self._settled:
            self._open_edges()  # (shown again: the history after h, a taller terminal)

    def _mark_edges(self) -> None:
        unread_before, unread_after = (self.unread, 0) if self.FOLLOW_END else (0, self.unread)
        for marker, count, before in (
            (self._before, self.lo + unread_before, True),
            (self._after, len(self.items) - self.hi + unread_after, False),
        ):
            marker.display = count > 0
            if count:
                marker.update(Text(self.beyond(count, before)))

    def refresh_views(self) -> None:
        """Make every mounted item's widget again in place (what it shows changed)."""
        for index, view in enumerate(self.views):
            fresh = self.make_view(self.lo + index)
            if isinstance(view, Static) and isinstance(fresh, Static):
                view.update(fresh.content)
                view.set_classes(fresh.classes)
            shows = self.shows(self.lo + index)
            if shows is not None:
                self._shown[view] = shows

    def view_of(self, index: int) -> Widget | None:
        return self.views[index - self.lo] if self.lo <= index < self.hi else None

    def _grow(self, *, before: bool) -> None:
        """Mount up to ``STEP`` more items on one side, keeping in sight what is."""
        if before and self.lo == 0 and self.FOLLOW_END and self.unread:
            self._want("before")
        elif not before and self.hi == len(self.items) and not self.FOLLOW_END and self.unread:
            self._want("after")
        elif before and self.lo > 0:
            new_lo = max(0, self.lo - self.STEP)
            views = [self._make(index) for index in range(new_lo, self.lo)]
            anchor = self.views[0] if self.views else self._after
            offset = anchor.virtual_region.y - self.scroll_y
            self._settled = False
            self.lo, self.views = new_lo, views + self.views
            self.mount_all(views, after=self._before)
            self._mark_edges()

            def keep_in_sight() -> None:
                self.scroll_to(y=anchor.virtual_region.y - offset, animate=False, immediate=True)

            self.call_after_refresh(self._settle, keep_in_sight)
        elif not before and self.hi < len(self.items):
            new_hi = min(len(self.items), self.hi + self.STEP)
            views = [self._make(index) for index in range(self.hi, new_hi)]
            self._settled = False
            self.hi, self.views = new_hi, self.views + views
            self.mount_all(views, before=self._after)
            self._mark_edges()
            self.call_after_refresh(self._settle)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        super().watch_scroll_y(old_value, new_value)
        if not self._settled or new_value == old_value:
            return
        if new_value < old_value and new_value <= 0 and self._before.display:
            self._grow(before=True)
        elif new_value > old_value and new_value >= self.max_scroll_y and self._after.display:
            self._grow(before=False)

    def action_scroll_home(self) -> None:
        """Home: the first item, its window mounted when it was not."""
        if self.FOLLOW_END and self.unread:
            self._want("home")
        elif self.lo > 0:
            self._mount_window(0, min(len(self.items), self.FIRST), self._home)
        else:
            self.scroll_home(animate=False)

    def action_scroll_end(self) -> None:
        """End: the last item, its window mounted when it was not."""
        n = len(self.items)
        if not self.FOLLOW_END and self.unread:
            self._want("end")
        elif self.hi < n:
            self._mount_window(max(0, n - self.FIRST), n, self._end)
        else:
            self.scroll_end(animate=False)

    def _home(self) -> None:
        self.scroll_home(animate=False, immediate=True)

    def _end(self) -> None:
        self.scroll_end(animate=False, immediate=True)


def _window_start(old: Sequence[object], lo: int, hi: int, items: Sequence[object]) -> int:
    """Where the window ``old[lo:hi]`` starts in ``items``: found by the first of its items
    that is there (looked for where a change at either end puts it), ``lo`` if none is."""
    grown = len(items) - len(old)
    window = old[lo:hi]
    for offset, item in enumerate(window):
        for at in (lo + offset + grown, lo + offset):
            if 0 <= at < len(items) and items[at] == item:
                return max(0, at - offset)
    for offset, item in enumerate(window[:3]):  # (moved otherwise: looked for, a few)
        found = _position(item, items)
        if found is not None:
            return max(0, found - offset)
    return lo


def _position(item: object, items: Sequence[object]) -> int | None:
    """Where ``item`` is in ``items``; None when it is not."""
    try:
        return list(items).index(item)
    except ValueError:
        return None
