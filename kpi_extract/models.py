"""Stage 6: the validated records, the public contract of kpi_extract.

``kpi-extract parse`` prints these as JSON Lines and the Parquet tables reuse their field
names. Every key is always present: a missing value is ``null``, an absent list is ``[]``.
Models are strict (no silent coercion of strings into numbers or dates): extraction hands
them typed values, and a record that still fails is reported as a :class:`RecordError`.
Numbers are ``Decimal`` in Python and JSON numbers in JSON.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, PlainSerializer

Number = Annotated[Decimal, PlainSerializer(float, return_type=float, when_used="json")]
Layout = Literal["kpi_result", "kpi_detail", "project_progress"]


class _Model(BaseModel):
    model_config = ConfigDict(strict=True, extra="forbid", frozen=True)


class Quantity(_Model):
    """A target or achieved value: ``5 (ระดับ)``, ``ไม่น้อยกว่า (ร้อยละ) : 80``."""

    value: Number | None = None
    unit: str | None = None
    comparator: Literal[">=", "<=", ">", "<", "="] | None = None
    direction: Literal["decrease", "increase"] | None = None
    qualifier: str | None = None


class Assessment(_Model):
    """The ``สยป. ตรวจประเมินตัวชี้วัด`` line: the latest quarter assessed and its score."""

    quarter: int | None = None
    score: Number | None = None


class Quarter(_Model):
    """One quarter of a KPI: table values (layout B) and the narrative."""

    quarter: int = Field(ge=1, le=4)
    result: Number | None = None
    score: Number | None = None
    score_2_1: Number | None = None
    score_2_2: Number | None = None
    narrative: str | None = None


class StrategyLevel(_Model):
    """One level of the BMA 20-year plan a KPI or project supports."""

    level: int = Field(ge=1, le=6)
    code: str
    title: str | None = None
    title_en: str | None = None


class ProgressReport(_Model):
    """One progress report of a project (``รายงานครั้งที่N``)."""

    no: int | None = None
    date: dt.date | None = None
    text: str | None = None
    progress_pct: Number | None = None
    budget_spent: Number | None = None
    plan_status: str | None = None
    target_status: str | None = None


class DateMention(_Model):
    """A date found in the record's text, as printed, with its line."""

    kind: Literal["date", "month", "year", "fiscal_year", "range", "invalid"]
    date: dt.date | None
    end: dt.date | None
    precision: Literal["day", "month", "year"]
    era: Literal["BE", "CE"]
    line: int
    text: str
    error: str | None = None


class SectionText(_Model):
    """A section as printed: heading, canonical key, text and lines (the lossless layer)."""

    key: str
    heading: str | None
    index: int | None = None
    text: str
    line_start: int
    line_end: int
    lines: list[int]


class RecordWarning(_Model):
    """Something noticed while parsing; ``code`` is stable."""

    code: str
    message: str
    line: int | None = None


class NoiseLine(_Model):
    """A line classified as known noise (page header, footer, navigation...)."""

    line: int
    kind: str


class RecordBase(_Model):
    """Keys every record has."""

    record_id: str
    source: str
    layout: Layout
    line_start: int
    line_end: int
    fiscal_year_be: int | None = None
    fiscal_year_source: Literal["stated", "inferred", "given"] | None = None
    date_mentions: list[DateMention] = Field(default_factory=list)
    sections: list[SectionText] = Field(default_factory=list)
    warnings: list[RecordWarning] = Field(default_factory=list)
    provenance: dict[str, list[int]] = Field(default_factory=dict)
    noise: list[NoiseLine] = Field(default_factory=list)


class KpiRecord(RecordBase):
    """A KPI: result form (layout A) or detail page (layout B)."""

    record_type: Literal["kpi"] = "kpi"
    kpi_code: str | None = None
    kpi_name: str | None = None
    kpi_name_prefix: str | None = None
    kpi_type: str | None = None
    kpi_level: Literal["output", "outcome"] | None = None
    target: Quantity = Field(default_factory=Quantity)
    achieved: Quantity = Field(default_factory=Quantity)
    assessment: Assessment = Field(default_factory=Assessment)
    quarters: list[Quarter] = Field(default_factory=list)
    quarter_table_unit: str | None = None
    definition: str | None = None
    calculation: str | None = None
    data_source: str | None = None
    summary: str | None = None
    support_factors: str | None = None
    obstacles: str | None = None
    evidence: list[str] = Field(default_factory=list)
    strategy: list[StrategyLevel] = Field(default_factory=list)
    routine_work: bool = False
    supporting_projects: list[str] = Field(default_factory=list)


class ProjectRecord(RecordBase):
    """A project progress report (layout C)."""

    record_type: Literal["project"] = "project"
    project_code: str | None = None
    project_name: str | None = None
    start_date: dt.date | None = None
    end_date: dt.date | None = None
    budget_received: Number | None = None
    budget_used: Number | None = None
    agency_path: list[str] = Field(default_factory=list)
    responsible_person: str | None = None
    responsible_phone: str | None = None
    coordinator: str | None = None
    coordinator_phone: str | None = None
    rationale: str | None = None
    objectives: list[str] = Field(default_factory=list)
    project_target: str | None = None
    strategy: list[StrategyLevel] = Field(default_factory=list)
    linked_kpi: str | None = None
    progress_reports: list[ProgressReport] = Field(default_factory=list)


Record = KpiRecord | ProjectRecord


class FieldError(_Model):
    """One field that failed validation, with the lines its value came from."""

    field: str
    message: str
    lines: list[int]


class RecordError(_Model):
    """A record that failed validation: reported whole, never half-filled."""

    record_type: Literal["error"] = "error"
    record_id: str
    source: str
    layout: Layout
    line_start: int
    line_end: int
    errors: list[FieldError]
