"""Grammar files: validated at load, broken ones fail naming the file and the key."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kpi_extract import grammar as grammar_module
from kpi_extract.detect import detect
from kpi_extract.errors import GrammarError, LayoutError
from kpi_extract.grammar import DEFAULT_GRAMMAR_DIR, Grammar, load_grammar, load_grammars
from kpi_extract.parse import parse_bytes
from kpi_extract.segment import match_heading, match_heading_one_by_one
from tests.conftest import corpus_lines
from tests.golden import sample_files

MINIMAL = """
name = "tiny"
layout = "kpi_result"
record_kind = "kpi"
version = "1"
[detect]
patterns = ['^A']
[record]
start = ['^A']
[[sections]]
key = "a"
headings = ['^A(?P<inline>.*)$']
field = "kpi_name"
"""


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "tiny.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_minimal_grammar_loads(tmp_path: Path) -> None:
    grammar = load_grammar(_write(tmp_path, MINIMAL))
    assert (grammar.name, grammar.spec.detect.min_score, len(grammar.sections)) == ("tiny", 2, 1)


@pytest.mark.parametrize(
    ("change", "where"),
    [
        pytest.param(
            ("headings = ['^A(?P<inline>.*)$']", "headings = ['^A(']"),
            "sections.0.headings.0",
            id="bad-regex",
        ),
        pytest.param(
            ('field = "kpi_name"', 'field = "kpi_name"\nconvert = "eval"'),
            "sections.0.convert",
            id="unknown-converter",
        ),
        pytest.param(
            ('record_kind = "kpi"', 'record_kind = "kpi"\nextra = 1'), "extra", id="unknown-key"
        ),
        pytest.param(('version = "1"\n', ""), "version", id="missing-key"),
        pytest.param(
            ('layout = "kpi_result"', 'layout = "kpi_summary"'), "layout", id="unknown-layout"
        ),
        pytest.param(
            ("[detect]\npatterns = ['^A']", "[detect]\npatterns = []"),
            "detect.patterns",
            id="no-detect-pattern",
        ),
        pytest.param(
            (
                'field = "kpi_name"\n',
                'field = "kpi_name"\n[[rules]]\nsection = "b"\npattern = "x"\n',
            ),
            "rules[0].section",
            id="rule-of-unknown-section",
        ),
    ],
)
def test_broken_grammar_fails_at_load_naming_file_and_key(
    tmp_path: Path, change: tuple[str, str], where: str
) -> None:
    old, new = change
    assert old in MINIMAL
    path = _write(tmp_path, MINIMAL.replace(old, new))
    with pytest.raises(GrammarError) as caught:
        load_grammar(path)
    assert caught.value.code == "grammar"
    assert str(path) in str(caught.value)
    assert where in str(caught.value)


def test_toml_syntax_error_names_the_file(tmp_path: Path) -> None:
    path = _write(tmp_path, "name = ")
    with pytest.raises(GrammarError, match=str(path)):
        load_grammar(path)


def test_duplicate_section_keys_are_refused(tmp_path: Path) -> None:
    twice = MINIMAL + "[[sections]]\nkey = \"a\"\nheadings = ['^B']\n"
    with pytest.raises(GrammarError, match="duplicate keys"):
        load_grammar(_write(tmp_path, twice))


def test_the_parser_uses_the_grammars_compiled_before_the_workers_fork() -> None:
    """The converter compiles them once (``load_grammars()``); the parser asks by directory.

    Both must be one cache entry: a worker forked after the first call parses its first
    document without compiling the grammars again.
    """
    grammar_module._load_grammars.cache_clear()
    converter = load_grammars()
    for sample in sample_files()[:3]:
        parse_bytes(sample.read_bytes(), source=str(sample))
    assert load_grammars(DEFAULT_GRAMMAR_DIR) is converter
    info = grammar_module._load_grammars.cache_info()
    assert (info.misses, info.currsize) == (1, 1)
    assert info.hits >= 4


def test_index_lists_every_grammar_file_once() -> None:
    index = tomllib.loads((DEFAULT_GRAMMAR_DIR / "index.toml").read_text(encoding="utf-8"))
    files = sorted(p.stem for p in DEFAULT_GRAMMAR_DIR.glob("*.toml") if p.stem != "index")
    assert sorted(index["order"]) == files
    assert len(set(index["order"])) == len(index["order"])
    assert [g.name for g in load_grammars()] == index["order"]


def test_detection_is_unambiguous_on_every_sample() -> None:
    # The ordering rule: a tie would be decided by index order; on real layouts it must
    # never come to that. Every sample scores strictly more for its own layout.
    grammars = load_grammars()
    for sample in sample_files():
        text = sample.read_bytes().decode("cp874" if "cp874" in sample.name else "utf-8")
        detection = detect(grammars, text.replace("\r", ""))
        own = detection.scores[sample.parent.name]
        others = [s for name, s in detection.scores.items() if name != sample.parent.name]
        assert detection.grammar.name == sample.parent.name
        assert own > max(others), (sample.name, detection.scores)


def test_ties_go_to_the_grammar_listed_first() -> None:
    grammars = load_grammars()
    # One line each of layouts A and B: both score 1 below their min_score of 2 ...
    with pytest.raises(LayoutError) as caught:
        detect(grammars, "1. ชื่อตัวชี้วัด : x\nรายละเอียดตัวชี้วัด")
    assert caught.value.code == "unknown_layout"
    # ... two lines each: 2 points for both, and kpi_result is listed first.
    lines = ["1. ชื่อตัวชี้วัด : x", "5. เป้าหมาย : 5", "รายละเอียดตัวชี้วัด", "ค่าเป้าหมาย ร้อยละ : 5"]
    detection = detect(grammars, "\n".join(lines))
    assert detection.scores["kpi_result"] == detection.scores["kpi_detail"] == 2
    assert detection.grammar.name == "kpi_result"


HEADING_LINES = list(corpus_lines())


@pytest.mark.parametrize("grammar", list(load_grammars()), ids=lambda g: g.name)
def test_every_heading_at_once_finds_what_trying_them_in_order_finds(grammar: Grammar) -> None:
    assert grammar.headings is not None  # every shipped heading is anchored
    found = [match_heading(grammar, line) for line in HEADING_LINES]
    assert found == [match_heading_one_by_one(grammar, line) for line in HEADING_LINES]
    hits = [f for f in found if f is not None]
    assert len({f[0].spec.key for f in hits}) == len(grammar.sections)  # each one met
    assert any(f[2] is not None for f in hits) == any(
        "index" in h.pattern for s in grammar.sections for h in s.headings
    )


@given(st.sampled_from(HEADING_LINES), st.integers(0, 40), st.text(max_size=3))
@settings(max_examples=300, deadline=None)
def test_headings_at_once_on_damaged_lines(line: str, at: int, inserted: str) -> None:
    damaged = line[:at] + inserted + line[at + len(inserted) :]
    for grammar in load_grammars():
        assert match_heading(grammar, damaged) == match_heading_one_by_one(grammar, damaged)


@pytest.mark.parametrize(
    "heading",
    [
        "A(?P<inline>.*)$",
        "^(?P<w>A)(?P=w)?(?P<inline>.*)$",
        "^A(?P<heading>x)?(?P<inline>.*)$",
        "^(?i:a)(?P<inline>.*)$",
        "^(?:A){e<=0}[[:alpha:]--[x]]?(?P<inline>.*)$",
    ],
    ids=["unanchored", "back-reference", "name-of-a-marker", "inline-flag", "fuzzy-and-sets"],
)
def test_headings_are_tried_one_by_one_where_one_alternation_could_differ(
    tmp_path: Path, heading: str
) -> None:
    text = MINIMAL.replace("headings = ['^A(?P<inline>.*)$']", f"headings = ['{heading}']")
    grammar = load_grammar(_write(tmp_path, text))
    assert grammar.headings is None
    section, inline, index = match_heading(grammar, "A: ชื่อ") or (None, None, None)
    assert (section and section.spec.key, inline, index) == ("a", ": ชื่อ", None)


def test_groups_named_either_way_are_renamed_apart(tmp_path: Path) -> None:
    text = MINIMAL.replace(
        "headings = ['^A(?P<inline>.*)$']",
        "headings = ['^A(?<inline>.*)$', '^B(?P<index>[0-9])(?P<inline>.*)$']",
    )
    grammar = load_grammar(_write(tmp_path, text))
    assert grammar.headings is not None
    assert set(grammar.headings.pattern.groupindex) == {
        "inline_0",
        "heading_0",
        "index_1",
        "inline_1",
        "heading_1",
    }
    for line in ("A: ชื่อ", "B7 ต่อ", "C"):
        assert match_heading(grammar, line) == match_heading_one_by_one(grammar, line)
    assert match_heading(grammar, "B7 ต่อ") == (grammar.sections[0], "ต่อ", 7)
