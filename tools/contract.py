"""Consumer contract check (filled in by the contract-checks work)."""

from pathlib import Path


def check_contract(spec: Path) -> list[str]:
    return []
