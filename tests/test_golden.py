"""Every sample parses to its reviewed golden output; every grammar has samples."""

from __future__ import annotations

from pathlib import Path

import pytest

from kpi_extract.grammar import load_grammars
from tests.golden import expected_path, render, sample_files, unaccounted_lines

SAMPLES = sample_files()


@pytest.mark.parametrize("sample", SAMPLES, ids=[f"{p.parent.name}/{p.stem}" for p in SAMPLES])
def test_sample_parses_to_its_golden_output(sample: Path) -> None:
    expected = expected_path(sample)
    assert expected.exists(), f"no golden output for {sample.name}: run make golden and review"
    assert render(sample) == expected.read_text(encoding="utf-8")


@pytest.mark.parametrize("grammar", [g.name for g in load_grammars()])
def test_every_grammar_has_at_least_four_samples(grammar: str) -> None:
    layout = load_grammars()[grammar].spec.layout
    assert len([p for p in SAMPLES if p.parent.name == layout]) >= 4


def test_samples_are_detected_as_the_layout_of_their_folder() -> None:
    for sample in SAMPLES:
        assert f'"layout": "{sample.parent.name}"' in render(sample).split("\n")[1]


@pytest.mark.parametrize("sample", SAMPLES, ids=[f"{p.parent.name}/{p.stem}" for p in SAMPLES])
def test_every_non_blank_sample_line_is_extracted_or_known_noise(sample: Path) -> None:
    assert unaccounted_lines(sample) == []
