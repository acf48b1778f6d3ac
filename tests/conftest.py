"""Shared fixtures: the project's samples, and the real seed dumps when present."""

from __future__ import annotations

from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
SEEDS = ROOT.parent / "shared" / "seeds"


def seed_path(prefix: str) -> Path:
    """Path of the real seed dump whose name starts with ``prefix``; skip when absent."""
    matches = sorted(SEEDS.glob(f"{prefix}_*.txt")) if SEEDS.is_dir() else []
    if not matches:
        pytest.skip(f"seed {prefix} not available (../shared/seeds is absent)")
    return matches[0]
