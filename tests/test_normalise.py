from __future__ import annotations

import ast
import re
import unicodedata

import pytest
import regex
from hypothesis import given
from hypothesis import strategies as st
from pythainlp.util import thai_digit_to_arabic_digit

from kpi_extract import normalise as normalise_module
from kpi_extract.decode import count_lines, decode_bytes
from kpi_extract.native import source
from kpi_extract.normalise import STEPS, normalise, normalise_text
from tests.conftest import seed_path


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        pytest.param("๕.๒.๑.๑", "5.2.1.1", id="thai-digits"),
        pytest.param("เวลา 08.๓0 – 16.30 น.", "เวลา 08.30 – 16.30 น.", id="mixed-digits"),
        pytest.param("ตัว\u200bชี้\u200cวัด\u200d\u2060", "ตัวชี้วัด", id="zero-width"),
        pytest.param("\ufeffรายละเอียด", "รายละเอียด", id="stray-bom"),
        pytest.param("ร้อยละ\u00a0:\u00a020", "ร้อยละ : 20", id="nbsp"),
        pytest.param("ก\u2028ข", "ก ข", id="line-separator-not-a-line-break"),
        pytest.param("ทํางาน", "ทำงาน", id="decomposed-sara-am"),
        pytest.param("น\u0e4d\u0e49\u0e32", "น\u0e49\u0e33", id="decomposed-sara-am-with-tone"),
        pytest.param("ตรวจสอบการทำางาน", "ตรวจสอบการทำงาน", id="stray-sara-aa"),
        pytest.param("ทำาาง", "ทำง", id="stray-sara-aa-twice"),
        pytest.param("ทํ\u200bางาน", "ทำงาน", id="zero-width-inside-sara-am"),
        pytest.param("เเผน", "แผน", id="double-sara-e"),
        pytest.param("ที่่", "ที่", id="repeated-tone"),
        pytest.param("ดีีี", "ดี", id="repeated-vowel"),
        pytest.param("นานา", "นานา", id="repeated-word-untouched"),
        pytest.param("ตำแหน่ง \t\n.....  ", "ตำแหน่ง\n.....", id="trailing-spaces"),
        pytest.param("  :: ข้อความ", "  :: ข้อความ", id="leading-spaces-kept"),
        pytest.param("", "", id="empty"),
    ],
)
def test_normalise_text(raw: str, expected: str) -> None:
    assert normalise_text(raw) == expected


def test_changes_are_counted_per_step() -> None:
    result = normalise("๒๕๖๔ ทํางาน ทำางาน\u00a0\n")
    assert result.changes == {
        "normalise_spaces": 1,
        "thai_digits_to_arabic": 4,
        "compose_sara_am": 1,
        "drop_stray_sara_aa": 1,
        "strip_trailing_spaces": 1,
    }
    assert result.text == "2564 ทำงาน ทำงาน\n"


@pytest.mark.parametrize(
    ("text", "found"),
    [
        pytest.param("โควิด ? 19", [("lost_character", 1)], id="lost-dash"),
        pytest.param("ก\nในหัวข้อ ?บทบาท?", [("lost_character", 2)], id="lost-quotes"),
        pytest.param("โดยการใช้ระบบง%", [("truncated_field", 1)], id="truncated"),
        pytest.param("คิดเป็น 10.00 %\nร้อยละ 5%", [], id="percent-is-not-damage"),
        pytest.param("What? ok", [], id="latin-question-mark"),
        pytest.param("ก\ufffdข", [("replacement_character", 1)], id="replacement"),
    ],
)
def test_unrepairable_damage_is_reported_not_changed(
    text: str, found: list[tuple[str, int]]
) -> None:
    result = normalise(text)
    assert [(w.code, w.line) for w in result.warnings] == found
    assert result.text == text


_thai_pieces = st.sampled_from(
    [
        "ก", "ท", "น", "า", "ำ", "ํ", "่", "้", "ี", "ิ", "เ", "แ", "๑", "๕", "1",
        " ", "\u00a0", "\u200b", "\t", "\n", "?", "%", ":", "\u2028", "\ufeff",
    ]
)  # fmt: skip
_thai_text = st.lists(_thai_pieces, max_size=40).map("".join)


@given(st.one_of(_thai_text, st.text(max_size=40)))
def test_normalising_twice_equals_normalising_once(text: str) -> None:
    once = normalise_text(text)
    assert normalise_text(once) == once


@given(st.one_of(_thai_text, st.text(max_size=40)))
def test_line_count_is_preserved(text: str) -> None:
    # Every line keeps its number: LFs are never added or removed (a last line of spaces
    # may become empty, so count_lines() may drop by one; its number stays valid).
    assert len(normalise_text(text).split("\n")) == len(text.split("\n"))
    assert count_lines(normalise_text(text)) in (count_lines(text), count_lines(text) - 1)


def test_nfkc_is_never_applied() -> None:
    # NFKC would decompose sara am into nikhahit + sara aa.
    assert unicodedata.normalize("NFKC", "ทำ") != "ทำ"
    assert normalise_text("ทำ") == "ทำ"


def test_steps_are_documented_in_order() -> None:
    # From the source: a compiled module keeps no docstring (kpi_extract.native).
    doc = ast.get_docstring(ast.parse(source("kpi_extract.normalise").read_text("utf-8"))) or ""
    positions = [doc.index(f":func:`{name}`") for name, _ in STEPS]
    assert positions == sorted(positions)


def test_seed_001_repairs() -> None:
    text = decode_bytes(seed_path("001").read_bytes()).text
    result = normalise(text)
    lines = result.text.split("\n")
    assert lines[78] == (
        ":5.2.1 ประชาชนมีส่วนร่วมในการเสนอนโยบายและตรวจสอบการทำงานของกรุงเทพมหานคร โดยการใช้ระบบง%"
    )
    assert lines[76] == ":ด้านที่ 5 - มหานครประชาธิปไตย : Bangkok as a Democratic City"
    assert result.changes == {"thai_digits_to_arabic": 10, "drop_stray_sara_aa": 1}
    assert [(w.code, w.line) for w in result.warnings] == [("truncated_field", 79)]


def test_seed_003_lost_characters() -> None:
    result = normalise(decode_bytes(seed_path("003").read_bytes()).text)
    assert [(w.code, w.line) for w in result.warnings] == [
        ("lost_character", 55),
        ("lost_character", 61),
    ]
    assert "พ.ศ 2564 (รอบสิ้นปีงบประมาณ)" in result.text.split("\n")[67]


def test_digit_step_agrees_with_pythainlp() -> None:
    text = "๐๑๒๓๔๕๖๗๘๙ ปี ๒๕๖๔ 08.๓0 ๕.๒.๑"
    assert normalise_module.thai_digits_to_arabic(text)[0] == thai_digit_to_arabic_digit(text)


def test_space_step_changes_exactly_what_regex_calls_space_but_lf_tab_and_space() -> None:
    # The step lists its characters; the rule is the regex module's \s less LF, TAB, space.
    rule = regex.compile(r"[^\S\n\t ]")
    for code in range(0x110000):
        char = chr(code)
        expected = (" ", 1) if rule.match(char) else (char, 0)
        assert normalise_module.normalise_spaces(char) == expected, hex(code)


@given(st.text(alphabet=" \t\nก่x\u00a0", max_size=40))
def test_trailing_space_step_is_the_multiline_substitution(text: str) -> None:
    expected = re.subn("[ \\t]+$", "", text, flags=re.MULTILINE)
    assert normalise_module.strip_trailing_spaces(text) == expected


_STEP_ALPHABET = "กา่ํ ๐๕๙09\u200b\u200c\u00ad\ufeff\u2060\u200d\u0e4d\u0e32\u0e49\n"


@given(st.text(alphabet=_STEP_ALPHABET, max_size=40))
def test_steps_that_skip_a_text_without_their_characters_change_what_their_pattern_does(
    text: str,
) -> None:
    # The steps test for their characters first; each must still equal its bare pattern.
    thai_digits = re.compile("[\u0e50-\u0e59]")
    expected_digits = (
        text.translate({0x0E50 + d: str(d) for d in range(10)}),
        len(thai_digits.findall(text)),
    )
    assert normalise_module.thai_digits_to_arabic(text) == expected_digits
    zero_width = re.compile("[\u200b\u200c\u200d\u2060\u00ad\ufeff]")
    assert normalise_module.remove_zero_width(text) == zero_width.subn("", text)
    sara_am = re.compile("\u0e4d([\u0e48-\u0e4b]*)\u0e32")
    assert normalise_module.compose_sara_am(text) == sara_am.subn("\\1\u0e33", text)
