"""The app's stylesheet: Textual's, parsed once at start instead of three times.

Textual parses every source of the app's CSS (its files, every screen's, each widget's
``DEFAULT_CSS``: some 30 KB here) three times before the first paint: as the first screen
is registered; again as the theme's variables are set (``App.refresh_css``: the theme set
in ``HelpdeskApp.__init__`` asks for it), by ``Stylesheet.reparse``, which parses every
source anew in a new, empty stylesheet and keeps only its rules; and a third time at the
next widget whose ``DEFAULT_CSS`` is new, because ``set_variables`` emptied this
stylesheet's parse cache even though the variables were those it had parsed with. Each
pass was ≈ 13 ms of CPU; the first paint paid ≈ 26 ms for rules it already had.

Here variables equal to the current ones leave the parse cache alone (what it holds was
parsed with them), and ``reparse`` parses from that cache, which ``set_variables`` empties
whenever the variables do change (another theme): the rules are the same, parsed once.
"""

from __future__ import annotations

from textual.css.stylesheet import Stylesheet


class KeptStylesheet(Stylesheet):
    """``Stylesheet`` whose parsed rules are kept while the CSS variables stay the same."""

    def set_variables(self, variables: dict[str, str]) -> None:
        if variables != self._variables:
            super().set_variables(variables)

    def reparse(self) -> None:
        """Every source's rules under the current variables: from the parse cache (only
        what is new or changed is parsed), as ``parse`` does. A source found invalid is
        tried again in Textual's own way (``Stylesheet.reparse``), which raises its error
        anew, where ``parse`` skips it."""
        if self._invalid_css:
            super().reparse()
        else:
            self.parse()
