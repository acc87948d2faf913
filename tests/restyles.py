"""Which nodes Textual's stylesheet is applied to while a block runs: a count that pins how
much a key restyles (wall times are not asserted; this is what they were made of)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from textual.css.stylesheet import Stylesheet
from textual.dom import DOMNode


@contextmanager
def restyled() -> Iterator[list[DOMNode]]:
    """The nodes the stylesheet is applied to meanwhile, in order (a widget's component
    classes each count as a node of their own, as Textual styles them)."""
    nodes: list[DOMNode] = []
    apply = Stylesheet.apply

    def recording(self: Stylesheet, node: DOMNode, **kwargs: object) -> None:
        nodes.append(node)
        apply(self, node, **kwargs)  # type: ignore[arg-type]

    Stylesheet.apply = recording  # type: ignore[method-assign]
    try:
        yield nodes
    finally:
        Stylesheet.apply = apply  # type: ignore[method-assign]
