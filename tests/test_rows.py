"""Rows of the tables: the lines of each quarter and progress report."""

from __future__ import annotations

from kpi_extract.models import KpiRecord
from kpi_extract.parse import parse_file
from kpi_extract.rows import _item_lines
from tests.conftest import SAMPLES


def test_item_lines_gather_the_lines_of_every_field_of_each_item() -> None:
    record = KpiRecord.model_construct(
        provenance={
            "quarters[0].quarter": [10],
            "quarters[0].result": [12, 11],
            "quarters[1].narrative": [20, 21],
            "quarters[10].score": [90],
            "quarters[1]": [99],  # the item as a list entry, not a field of it
            "quarters_table[0].x": [98],
            "kpi_name": [3],
        }
    )
    assert _item_lines(record, "quarters") == {0: [10, 11, 12], 1: [20, 21], 10: [90]}
    assert _item_lines(record, "progress_reports") == {}


def test_item_lines_are_those_of_the_keys_under_each_item_in_every_sample() -> None:
    checked = 0
    for path in sorted(SAMPLES.rglob("*.txt")):
        for record in parse_file(path).records:
            for collection in ("quarters", "progress_reports"):
                items = getattr(record, collection, [])
                found = _item_lines(record, collection)
                for position in range(len(items)):
                    prefix = f"{collection}[{position}]."
                    expected = sorted(
                        {
                            n
                            for key, ns in record.provenance.items()
                            if key.startswith(prefix)
                            for n in ns
                        }
                    )
                    assert found.get(position, []) == expected, (path.name, prefix)
                    checked += 1
    assert checked > 20
