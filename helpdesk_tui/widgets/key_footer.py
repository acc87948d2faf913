"""The footer of every screen: Textual's ``Footer``, its keys shown and hidden in place.

Textual's footer throws away every key it shows and builds them again (new widgets, their
CSS matched, laid out) each time the screen's bindings *may* have changed: every focus
change, every screen resumed. In the queue that was most of the time of the keys that move
the focus (`/`, the search's Enter, the filter form's Tab and Enter): 30 to 60 ms each.
This footer keeps every key it has made and shows those the bindings ask for now, hiding
the others (the queue table's "Open" while the search box has the focus, say); a key it has
not shown before is made once. It looks and behaves as Textual's: the same key widgets in
the same order, CSS, tooltips and clicks. Grouped bindings (none in this app) are left to
Textual's footer as they are.

Where the keys do not all fit (a narrow terminal, a long description) the footer draws
those that fit whole and none after them: Textual's cut the first one that did not fit at
the right edge ("^q Q", "? K"). The hidden ones stay in the key help (F1). The order is the
priority: the focused widget's keys, the screen's, the app's (Quit, Keys), and last the keys
a screen names in ``FOOTER_IF_ROOM`` (binding ids): shown where the others leave them room.
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass
from itertools import groupby
from operator import itemgetter
from typing import TYPE_CHECKING
from weakref import WeakKeyDictionary

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.geometry import Size
from textual.screen import Screen
from textual.widgets import Footer
from textual.widgets._footer import FooterKey

if TYPE_CHECKING:
    from textual.binding import ActiveBinding, Binding
    from textual.widget import Widget


@dataclass(frozen=True)
class KeySpec:
    """One key as the footer shows it: everything ``FooterKey`` is made from."""

    key: str
    display: str
    description: str
    action: str
    disabled: bool
    tooltip: str
    palette: bool = False
    """The command palette's key, docked at the right."""


class KeyFooter(Footer):
    """Textual's footer; a change of bindings shows and hides keys instead of rebuilding."""

    KEEP_HIDDEN = 16
    """Keys hidden beyond this are dropped (the footer rebuilt) so they cannot pile up."""

    def __init__(self, *, id: str | None = None, show_command_palette: bool = True) -> None:
        super().__init__(id=id, show_command_palette=show_command_palette)
        self._keys: dict[KeySpec, FooterKey] | None = None
        """Every key made (shown or hidden), in the footer's order; None when the footer
        shows grouped keys (Textual's own compose, rebuilt whole on a change)."""
        self._measured: WeakKeyDictionary[FooterKey, tuple[Hashable, tuple[int, int]]] = (
            WeakKeyDictionary()
        )
        """Each key's widths (``_widths``) and what they were measured under (``_styled``)."""

    def _specs(self, active: dict[str, ActiveBinding] | None = None) -> list[KeySpec] | None:
        """The keys the screen's bindings ask for now (or ``active``'s), as
        ``Footer.compose`` lays them out; None if any binding has a group (left to
        ``Footer``)."""
        if active is None:
            active = self.screen.active_bindings
        if_room: frozenset[str] = getattr(self.screen, "FOOTER_IF_ROOM", frozenset())
        by_action: dict[str, KeySpec] = {}
        last: set[str] = set()
        for _node, binding, enabled, tooltip in active.values():
            if not binding.show:
                continue
            if binding.group is not None:
                return None
            if binding.action not in by_action:  # (the first key of an action is shown)
                by_action[binding.action] = self._spec(binding, enabled, tooltip)
                if binding.id in if_room:
                    last.add(binding.action)
        specs = [spec for action, spec in by_action.items() if action not in last]
        specs += [spec for action, spec in by_action.items() if action in last]
        if self.show_command_palette and self.app.ENABLE_COMMAND_PALETTE:
            found = active.get(self.app.COMMAND_PALETTE_BINDING)
            if found is not None:
                _node, binding, enabled, _tooltip = found
                tooltip = binding.tooltip or binding.description
                specs.append(self._spec(binding, enabled, tooltip, palette=True))
        return specs

    def _spec(
        self, binding: Binding, enabled: bool, tooltip: str, *, palette: bool = False
    ) -> KeySpec:
        return KeySpec(
            binding.key,
            self.app.get_key_display(binding),
            binding.description,
            binding.action,
            not enabled,
            tooltip,
            palette=palette,
        )

    def _key(self, spec: KeySpec) -> FooterKey:
        key = FooterKey(
            spec.key,
            spec.display,
            spec.description,
            spec.action,
            disabled=spec.disabled,
            tooltip=spec.tooltip,
            classes="-command-palette" if spec.palette else "",
        )
        if not spec.palette:  # (as Footer's data binding: the palette key stays compact)
            key.set_reactive(FooterKey.compact, self.compact)
        return key

    def compose(self) -> ComposeResult:
        """The keys the screen's bindings ask for as the footer is mounted, with the screen:
        Textual's footer composes empty and mounts its keys after the first refresh (a
        second mount, styling and layout of the screen, and a first frame without keys).
        The focus a screen gives at start is set by then (``Screen._update_auto_focus``, or
        the screen's own compose); a focus given later shows its keys as any change does."""
        specs = self._specs(_bindings_at_start(self.screen))
        if specs is None:
            self._keys = None
            yield from super().compose()
            return
        self._keys = {spec: self._key(spec) for spec in specs}
        self.styles.grid_size_columns = sum(not spec.palette for spec in specs)
        self.call_after_refresh(self._clip)
        yield from self._keys.values()

    def _size_updated(
        self, size: Size, virtual_size: Size, container_size: Size, layout: bool = True
    ) -> bool:
        """The footer never scrolls (the keys that do not fit are hidden: ``_clip``), so
        its width is its own, whatever the keys': a key whose trailing blank goes under the
        palette's made the keys wider than the footer, and its virtual width then changed
        with the keys shown (a focus change), which laid the screen out again a frame later
        (the queue's D Desk at 80 columns, back from the search line)."""
        fixed = Size(size.width, virtual_size.height)
        return super()._size_updated(size, fixed, container_size, layout)

    def watch_compact(self, compact: bool) -> None:
        for spec, key in (self._keys or {}).items():
            if not spec.palette:
                key.compact = compact
        self.call_after_refresh(self._clip)

    def on_resize(self) -> None:
        self._clip()

    def _clip(self) -> None:
        """Draw the keys shown that fit the footer's width whole, in order; hide the first
        that does not and every one after it (the palette's key, docked at the right, keeps
        its place and is counted first)."""
        if self._keys is None or not self.is_attached or not self.size.width:
            return
        shown = [(spec, key) for spec, key in self._keys.items() if key.display]
        if not all(key.is_mounted for _spec, key in shown):
            return  # (clipped once they are: ``_show_keys``)
        widths = {spec: self._widths(key) for spec, key in shown}
        room = self.size.width - sum(widths[spec][0] for spec, _key in shown if spec.palette)
        used, full = 0, False
        for spec, key in shown:
            if spec.palette:
                continue
            whole, inked = widths[spec]
            # (Its trailing blank may go under the palette's key: "? Keys" fits 80 columns
            # of the reports screen so, as it did in Textual's footer.)
            full = full or used + inked > room
            used += whole
            if key.visible == full:  # (set only when it changes: setting restyles)
                key.visible = not full

    def _widths(self, key: FooterKey) -> tuple[int, int]:
        """``_widths(key)``, measured again only when what its widths follow has changed
        (``_styled``): a key's text never does. Every focus change clips the footer again;
        rendering each key shown to measure it was most of the footer's time at a key press."""
        styled = _styled(key)
        measured = self._measured.get(key)
        if measured is not None and measured[0] == styled:
            return measured[1]
        widths = _widths(key)
        self._measured[key] = (styled, widths)
        return widths

    def bindings_changed(self, screen: Screen) -> None:
        self._bindings_ready = True
        if not screen.app.app_focus:
            return
        if self.is_attached and screen is self.screen and not self._show_made_now():
            self.call_after_refresh(self._update_keys)

    def _show_made_now(self) -> bool:
        """Show the keys at once if every one is made already (True if so). Textual's footer
        waits for the next frame, which lays the screen out a second time for it alone: a
        focus change (whose bindings are refreshed as it happens) and its keys are drawn in
        one frame here."""
        if self._pruning or self._keys is None or self.lock.is_locked:
            return False
        if not self.screen.is_current:
            return False
        specs = self._specs()
        if specs is None or not all(spec in self._keys for spec in specs):
            return False
        if not self._fits(specs):
            return False
        self._show_made(specs)
        return True

    async def _update_keys(self) -> None:
        """Show the keys the bindings ask for now: hide the others, make the new ones."""
        if not self.is_attached or self._pruning or not self.screen.is_current:
            return  # (the app closing; a screen made current again refreshes its bindings)
        specs = self._specs()
        if specs is None or self._keys is None or not self._fits(specs):
            await self.recompose()
            return
        async with self.batch():  # one update at a time (each waits for the one before)
            if not self.is_attached or self._pruning or not self.screen.is_current:
                return
            specs = self._specs()
            if specs is not None and self._keys is not None and self._fits(specs):
                await self._show_keys(specs)

    def _fits(self, specs: list[KeySpec]) -> bool:
        """The keys already made come in ``specs``' order, and few are hidden."""
        assert self._keys is not None
        order = {spec: index for index, spec in enumerate(self._keys)}
        made = [order[spec] for spec in specs if spec in order]
        hidden = len(self._keys) - len(made)
        return made == sorted(made) and hidden <= self.KEEP_HIDDEN

    def _show_made(self, specs: list[KeySpec]) -> None:
        """Show the keys of ``specs`` already made, hide the others."""
        assert self._keys is not None
        wanted = set(specs)
        for spec, key in self._keys.items():
            if key.display != (spec in wanted):  # (setting it, even unchanged, lays out again)
                key.display = spec in wanted
        self.styles.grid_size_columns = sum(not spec.palette for spec in specs)
        self._clip()

    async def _show_keys(self, specs: list[KeySpec]) -> None:
        assert self._keys is not None
        self._show_made(specs)
        # Each new key goes just before the next key of ``specs`` already made (at the end
        # if none), in the footer and in ``_keys``.
        order = list(self._keys)
        new: list[tuple[FooterKey, FooterKey | None]] = []
        keys = dict(self._keys)
        for index, spec in enumerate(specs):
            if spec in keys:
                continue
            follows = next((s for s in specs[index + 1 :] if s in self._keys), None)
            order.insert(len(order) if follows is None else order.index(follows), spec)
            keys[spec] = self._key(spec)
            new.append((keys[spec], None if follows is None else keys[follows]))
        self._keys = {spec: keys[spec] for spec in order}
        # The new keys that go before the same key are mounted together: one mount (its
        # styling, layout and refresh) for the footer's first keys, not one per key.
        for before, together in groupby(new, key=itemgetter(1)):
            if not self.is_attached or self._pruning:
                return
            await self.mount(*(key for key, _before in together), before=before)
        self._clip()


def _bindings_at_start(screen: Screen[object]) -> dict[str, ActiveBinding]:
    """The screen's active bindings once it has given the focus it gives as it starts
    (``Screen._update_auto_focus``, just after its widgets are composed: after the
    footer's compose). A screen that moves the focus elsewhere later shows that widget's
    keys as any focus change does."""
    focus = _start_focus(screen)
    if focus is None:
        return screen.active_bindings
    screen.set_reactive(Screen.focused, focus)  # (no watcher: nothing else sees it)
    try:
        return screen.active_bindings
    finally:
        screen.set_reactive(Screen.focused, None)


def _start_focus(screen: Screen[object]) -> Widget | None:
    """The widget ``Screen._update_auto_focus`` is about to focus, if the screen has no
    focus yet and gives one (the first focusable widget its ``AUTO_FOCUS`` matches)."""
    app = screen.app
    if screen.focused is not None or not app.app_focus:
        return None
    auto_focus = app.AUTO_FOCUS if screen.AUTO_FOCUS is None else screen.AUTO_FOCUS
    if not auto_focus:
        return None
    return next((widget for widget in screen.query(auto_focus) if widget.focusable), None)


def _styled(key: FooterKey) -> Hashable:
    """What a key's widths follow besides its text (fixed when it is made): the padding of
    its two parts (``FooterKey.render``; ``-compact`` changes them), its own padding, border
    and margins."""
    styles = key.styles
    return (
        key.get_component_styles("footer-key--key").padding,
        key.get_component_styles("footer-key--description").padding,
        styles.gutter,
        styles.margin,
    )


def _widths(key: FooterKey) -> tuple[int, int]:
    """The columns ``key`` takes in the footer: its text, padding, border and margins; and
    up to the last of them that is not blank. (One render of the key for both: it renders
    its text anew each time.)"""
    styles = key.styles
    text = key.render()
    whole = text.cell_len + styles.gutter.width + styles.margin.width
    inked = styles.margin.left + styles.gutter.left + cell_len(text.plain.rstrip())
    return whole, inked
