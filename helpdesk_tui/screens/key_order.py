"""Keys typed after words in a picker act on the list of those words.

A picker whose list is looked up in a worker (canned, macro, article, ticket) gets its
list after the words typed: the keys after them (Enter, ↑/↓) come before it, even though
each key goes on only once the one before has acted (``typing_ahead``), as the lookup is
data, which keys do not wait for. ``ListedFor`` keeps those keys' acts until the words'
list is there. (An action bound with ``priority=True`` — send, save, apply — no longer
needs running from the end of the focused widget's queue, which it did while the keys
before it could still wait there: ``typing_ahead`` hands it on only after them.)
"""

from __future__ import annotations

from collections.abc import Callable


class ListedFor:
    """Which words a picker's list was looked up for (a worker's answer comes later), so
    that the keys typed after the words act on the list of those words, not an older one:
    words and Enter in one burst came before their list, and Enter picked the first item
    of the last; words and ↓ moved in the last list, and the words' list then came with
    its first item highlighted."""

    def __init__(self) -> None:
        self.words: str | None = None
        self._waiting_for: str | None = None
        self._acts: list[Callable[[], None]] = []

    def when_listed(self, typed: str, act: Callable[[], None]) -> None:
        """``act`` (move, pick) now if the list is ``typed``'s, else once it is, after the
        acts waiting before it. Those waiting for other words are dropped: typed before
        more words, they acted on a list the words' list replaces."""
        if self.words == typed:
            act()
            return
        if self._waiting_for != typed:
            self._waiting_for, self._acts = typed, []
        self._acts.append(act)

    def listed(self, words: str) -> None:
        """The list now shows ``words``' items: the acts waiting for them are made."""
        self.words = words
        if self._waiting_for == words:
            acts, self._waiting_for, self._acts = self._acts, None, []
            for act in acts:
                act()
