"""Stage 3: detect a document's layout from several of its lines, not the first alone.

Each grammar scores one point per detect pattern that matches at least one line, so a dump
that lost its header is still recognised by its other lines. The highest score at or above
the grammar's ``min_score`` wins; a tie goes to the grammar listed first in
``grammars/index.toml``.
"""

from __future__ import annotations

from dataclasses import dataclass

from kpi_extract.errors import LayoutError
from kpi_extract.grammar import Grammar, GrammarSet


@dataclass(frozen=True, slots=True)
class Detection:
    """The grammar chosen and every grammar's score, for the record."""

    grammar: Grammar
    scores: dict[str, int]


def score(grammar: Grammar, text: str) -> int:
    """How many of the grammar's detect patterns match some line of ``text``."""
    return sum(1 for pattern in grammar.detect if pattern.search(text))


def detect(grammars: GrammarSet, text: str, *, source: str | None = None) -> Detection:
    """Choose the grammar of ``text``; raise :class:`LayoutError` when none fits."""
    scores = {grammar.name: score(grammar, text) for grammar in grammars}
    best: Grammar | None = None
    for grammar in grammars:
        fits = scores[grammar.name] >= grammar.spec.detect.min_score
        if fits and (best is None or scores[grammar.name] > scores[best.name]):
            best = grammar
    if best is None:
        shown = ", ".join(f"{name}={points}" for name, points in scores.items())
        raise LayoutError(
            "unknown_layout", f"no layout recognised (scores: {shown})", source=source
        )
    return Detection(best, scores)
