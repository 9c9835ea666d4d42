"""The full upstream spec and the Overlay patch that makes openapi-python-client 0.29.1 take it."""

from __future__ import annotations

from pathlib import Path

from tests.servers import ROOT, UPSTREAM_SPEC

OFFICIAL_PATCH = ROOT / "tests" / "fixtures" / "upstream-webhooks.overlay.yaml"
FALLBACK_PATCH = ROOT / "bench" / "upstream-webhooks.overlay.yaml"

__all__ = ["UPSTREAM_SPEC", "upstream_patch"]


def upstream_patch() -> Path:
    """The test fixture's patch where the tree has it, else the benchmarks' identical stand-in."""
    return OFFICIAL_PATCH if OFFICIAL_PATCH.exists() else FALLBACK_PATCH
