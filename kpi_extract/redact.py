"""Personal data: replace civil servants' names and phone extensions by stable keyed hashes.

Layout C prints the person responsible and the coordinator, each with a phone extension.
With a key (``convert --redact-persons``), each is replaced by ``person:<hash>`` or
``phone:<hash>``: an HMAC-SHA256 of the value under the user's key, so one person always
gets the same token (a warehouse can join on it) and the name cannot be recovered without
the key. The values are replaced in their columns and wherever they occur in any text of
the same document's rows (sections, messages...). A name printed in a narrative that is
not one of these fields is not known to be a name and stays.

>>> token(b"k", "person", "สมชาย ใจดี") == token(b"k", "person", "สมชาย  ใจดี")
True
>>> token(b"k", "phone", "2231")
'phone:3d0f5ba332278451'
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, Final

import regex

from kpi_extract.rows import Rows

#: Project columns that hold personal data, and the kind of token each gets.
PERSON_COLUMNS: Final = {
    "responsible_person": "person",
    "coordinator": "person",
    "responsible_phone": "phone",
    "coordinator_phone": "phone",
}
_TOKEN_HEX: Final = 16


def token(key: bytes, kind: str, value: str) -> str:
    """The stable token of one value (whitespace-insensitive)."""
    canonical = " ".join(value.split())
    digest = hmac.new(key, f"{kind}:{canonical}".encode(), hashlib.sha256).hexdigest()
    return f"{kind}:{digest[:_TOKEN_HEX]}"


def fingerprint(key: bytes) -> str:
    """A short, non-secret name of a key: rows redacted under different keys differ."""
    return hmac.new(key, b"kpi_extract-redaction", hashlib.sha256).hexdigest()[:12]


def _replace(value: Any, patterns: list[tuple[regex.Pattern[str], str]]) -> Any:
    if isinstance(value, str):
        for pattern, replacement in patterns:
            value = pattern.sub(replacement, value)
        return value
    if isinstance(value, list):
        return [_replace(v, patterns) for v in value]
    if isinstance(value, tuple):
        return tuple(_replace(v, patterns) for v in value)
    return value


def _patterns(project: dict[str, Any], key: bytes) -> list[tuple[regex.Pattern[str], str]]:
    """Text replacements: a name with its phone after it, then the name alone.

    A phone extension alone is not replaced in text: ``1544`` may as well be a number.
    """
    out = []
    pairs = (("responsible_person", "responsible_phone"), ("coordinator", "coordinator_phone"))
    for person, phone in pairs:
        name, number = project.get(person), project.get(phone)
        if not name:
            continue
        name_re = r"\s+".join(regex.escape(part) for part in name.split())
        name_token = token(key, "person", name)
        if number:
            both = regex.compile(rf"{name_re}\s+{regex.escape(number)}")
            out.append((both, f"{name_token} {token(key, 'phone', number)}"))
        out.append((regex.compile(name_re), name_token))
    return out


def redact_rows(rows: Rows, key: bytes) -> int:
    """Replace the person fields of ``rows`` and the names in every text; return how many."""
    patterns = []
    count = 0
    for project in rows.tables.get("projects", []):
        patterns += _patterns(project, key)
        for column, kind in PERSON_COLUMNS.items():
            if project.get(column):
                project[column] = token(key, kind, project[column])
                count += 1
    if patterns:
        for table_rows in rows.tables.values():
            for row in table_rows:
                for column, value in row.items():
                    row[column] = _replace(value, patterns)
    return count
