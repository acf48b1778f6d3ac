from __future__ import annotations

import codecs
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kpi_extract import decode
from kpi_extract.decode import count_lines, decode_bytes
from kpi_extract.errors import DecodeError
from tests.conftest import SAMPLES, seed_path

THAI = "ผลงานที่ทำได้ ร้อยละ : 20.0000\nรายงานผลฯ ไตรมาสที่ 1\n"


@pytest.mark.parametrize(
    ("data", "encoding", "text"),
    [
        pytest.param(THAI.encode("utf-8"), "utf-8", THAI, id="utf8"),
        pytest.param(codecs.BOM_UTF8 + THAI.encode(), "utf-8-sig", THAI, id="utf8-bom"),
        pytest.param(THAI.encode("utf-16"), "utf-16-le", THAI, id="utf16-bom-le"),
        pytest.param(
            codecs.BOM_UTF16_BE + THAI.encode("utf-16-be"), "utf-16-be", THAI, id="utf16-bom-be"
        ),
        pytest.param(THAI.encode("utf-32"), "utf-32-le", THAI, id="utf32-bom"),
        pytest.param(THAI.encode("cp874"), "cp874", THAI, id="cp874"),
        pytest.param(b"ABC\r\nDEF\r\n", "utf-8", "ABC\nDEF\n", id="ascii-crlf"),
        pytest.param(b"A\rB\r\rC", "utf-8", "A\nB\n\nC", id="lone-cr"),
        pytest.param(b"A\r\n\rB\n", "utf-8", "A\n\nB\n", id="crlf-then-cr"),
        pytest.param(b"   \n\n", "utf-8", "   \n\n", id="whitespace-only"),
        # 0x80 is the euro sign and 0x96 an en dash in cp874 (Windows-874), unlike tis-620.
        pytest.param("ราคา €5 – 10".encode("cp874"), "cp874", "ราคา €5 – 10", id="cp874-high"),
    ],
)
def test_decodes(data: bytes, encoding: str, text: str) -> None:
    decoded = decode_bytes(data)
    assert (decoded.encoding, decoded.text, decoded.warnings) == (encoding, text, ())


def test_utf16_without_bom_is_read_with_a_warning() -> None:
    decoded = decode_bytes(THAI.encode("utf-16-le"))
    assert decoded.text == THAI
    assert [w.code for w in decoded.warnings] == ["utf16_without_bom"]


def test_file_cut_inside_a_character_keeps_the_rest() -> None:
    data = "บรรทัดแรก\nตัดกลางคำ".encode()[:-1]
    decoded = decode_bytes(data)
    assert decoded.text == "บรรทัดแรก\nตัดกลางค"
    assert [(w.code, w.line) for w in decoded.warnings] == [("truncated_character", 2)]


def test_a_stray_invalid_byte_in_utf8_is_reported_with_its_line() -> None:
    data = "หนึ่ง\nสอง".encode() + b"\xff" + "\nสาม".encode()
    decoded = decode_bytes(data)
    assert decoded.text == "หนึ่ง\nสอง\ufffd\nสาม"
    assert [(w.code, w.line) for w in decoded.warnings] == [("invalid_utf8", 2)]


@pytest.mark.parametrize(
    ("data", "code"),
    [
        pytest.param(b"", "empty", id="empty"),
        pytest.param(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary", id="png"),
        pytest.param(b"PK\x03\x04\x14\x00\x00\x00\x08\x00", "binary", id="zip"),
        pytest.param("ตัวชี้วัด".encode() + b"\x00\x00" + b"abc", "binary", id="nul-in-utf8"),
        pytest.param(
            "ตัวชี้วัด ข้อหนึ่ง\n".encode() + "ตัวชี้วัด ข้อสอง\n".encode("cp874"),
            "mixed_encoding",
            id="utf8-and-cp874-lines",
        ),
        # Latin-1 French: valid cp874 bytes, but the "Thai" has marks on no consonant.
        pytest.param("Été à Noël, déjà vu".encode("latin-1"), "not_thai", id="latin1"),
        # 0xDB-0xDE and 0xFC-0xFF are undefined in cp874.
        pytest.param(b"abc \xdb\xdc\xfd\xfe", "undecodable", id="cp874-undefined"),
    ],
)
def test_refuses(data: bytes, code: str) -> None:
    with pytest.raises(DecodeError) as caught:
        decode_bytes(data, source="in.txt")
    assert caught.value.code == code
    assert str(caught.value).startswith("in.txt: ")


def test_many_control_characters_are_binary_but_one_is_kept_as_damage() -> None:
    with pytest.raises(DecodeError, match="control"):
        decode_bytes(b"\x01\x02\x03\x04abc")
    decoded = decode_bytes(("ก" * 2000 + "\x07").encode())
    assert [w.code for w in decoded.warnings] == ["control_characters"]


@pytest.mark.parametrize(
    ("text", "lines"), [("", 0), ("a", 1), ("a\n", 1), ("\n", 1), ("a\n\nb", 3), ("a\nb\n", 2)]
)
def test_count_lines(text: str, lines: int) -> None:
    assert count_lines(text) == lines


_words = st.sampled_from(["ผลงาน", "ที่ทำได้", "ไตรมาส", "น้ำท่วม", "๑๒", "3.5", "ab", " ", ":"])
_line = st.lists(_words, max_size=6).map("".join)
_eol = st.sampled_from(["\n", "\r\n", "\r"])


@given(st.lists(st.tuples(_line, _eol), max_size=12), _line, st.sampled_from(["utf-8", "cp874"]))
def test_decoding_never_changes_the_number_of_lines(
    rows: list[tuple[str, str]], last: str, encoding: str
) -> None:
    raw = "".join(text + eol for text, eol in rows) + last
    if not raw:
        return
    decoded = decode_bytes(raw.encode(encoding))
    # A line break is CRLF, CR or LF (so "\r" then "\n" is one break, not two).
    breaks = len(re.findall(r"\r\n|\r|\n", raw))
    assert decoded.line_count == breaks + (0 if raw.endswith(("\r", "\n")) else 1)
    assert decoded.text.replace("\n", "") == raw.replace("\r", "").replace("\n", "")


def test_samples_cp874_and_crlf() -> None:
    cp874 = decode_bytes((SAMPLES / "kpi_result" / "a01_cp874_waste.txt").read_bytes())
    assert cp874.encoding == "cp874"
    assert "1. ชื่อตัวชี้วัด : ร้อยละที่ลดลงของปริมาณขยะมูลฝอย" in cp874.text
    crlf = decode_bytes((SAMPLES / "kpi_detail" / "b01_crlf_flood.txt").read_bytes())
    assert "\r" not in crlf.text
    assert crlf.text.split("\n")[4] == "ร้อยละของจุดเสี่ยงน้ำท่วมในพื้นที่เขตที่ได้รับการแก้ไข : 5012-0871"
    assert crlf.line_count == 84


@pytest.mark.parametrize(("prefix", "lines"), [("000", 70), ("001", 84), ("003", 121)])
def test_seeds_decode_as_utf8_with_their_line_count(prefix: str, lines: int) -> None:
    decoded = decode_bytes(seed_path(prefix).read_bytes())
    assert (decoded.encoding, decoded.line_count, decoded.warnings) == ("utf-8", lines, ())


def test_seed_re_encoded_as_cp874_decodes_to_the_same_text() -> None:
    text = seed_path("004").read_text(encoding="utf-8")
    # The seed holds characters cp874 has no byte for (none here), so this round-trips.
    assert decode_bytes(text.encode("cp874")).text == text


_CP874_TEXT = st.text(st.sampled_from("กขคงมนยรวสหอฮะัาำิีึืุู่้๊๋็์เแโใไ๐๑ ab1.:\r\n?!\u0e3f"), max_size=200)


@given(_CP874_TEXT)
def test_cp874_thai_is_counted_on_the_bytes_as_the_patterns_count_it_on_the_text(
    text: str,
) -> None:
    # The refusal counts Thai characters, marks and marks after no consonant on the bytes;
    # the same counts made with patterns over the decoded text decide the same.
    data = text.encode("cp874")
    marks = sum(map(len, re.findall(r"[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]+", text)))
    mark = "[\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]"
    orphan_re = rf"(?<![\u0e01-\u0e2e\u0e31\u0e34-\u0e3a\u0e47-\u0e4e]){mark}"
    orphans = len(re.findall(orphan_re, text))
    thai = sum(map(len, re.findall(r"[\u0e01-\u0e5b]+", text)))
    non_ascii = len(text) - len(text.encode("ascii", "ignore"))
    expected = thai >= non_ascii / 2 and not (marks and orphans / marks > 0.05)
    try:
        decode._refuse_not_thai(data, None)
        refused = None
    except DecodeError as exc:
        refused = exc.message
    assert (refused is None) == expected
    if refused is not None:
        assert f"({thai} Thai characters, {orphans} of {marks} Thai marks" in refused


@given(
    st.lists(
        st.sampled_from(
            [THAI.encode() * 60, THAI.encode("cp874") * 60, b"\x01", b"\x1f\x7f", b"\xe0", b"\t"]
        )
    )
)
def test_control_characters_counted_on_the_bytes_are_those_of_the_text(pieces: list[bytes]) -> None:
    data = b"".join(pieces) or b"x"
    try:
        decoded = decode_bytes(data)
    except DecodeError:
        return  # mixed, binary or not Thai: nothing to count
    in_text = len(re.findall(r"[\x00-\x08\x0e-\x1f\x7f]", decoded.text))
    notes = [w.message for w in decoded.warnings if w.code == "control_characters"]
    assert notes == ([f"{in_text} control character(s) kept"] if in_text else [])
