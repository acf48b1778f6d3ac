"""kpi_extract: Thai government KPI and project report dumps -> validated, analysable tables.

Pipeline stages, one module each, data flowing one way:
:mod:`~kpi_extract.decode` (bytes -> text) -> :mod:`~kpi_extract.normalise` (Thai text
repairs) -> layout detection, segmentation and extraction by grammars -> validation ->
audit -> Parquet. :mod:`~kpi_extract.dates` and :mod:`~kpi_extract.values` read the typed
values (Buddhist-era dates, numbers with units) the extractors need.
"""

from __future__ import annotations

from kpi_extract import native

native.install()  # before any compiled module is imported

from kpi_extract.parse import ParseResult, parse_bytes, parse_file, parse_text  # noqa: E402

__version__ = "0.1.0"
__all__ = ["ParseResult", "__version__", "parse_bytes", "parse_file", "parse_text"]
