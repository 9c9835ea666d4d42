"""One line per figure, so every benchmark prints the same way."""

from __future__ import annotations

import statistics
from collections.abc import Sequence


def figure(name: str, value: str, target: str) -> None:
    """Print a measured figure next to the target it is held to."""
    print(f"  {name:<58} {value:>14}   target {target}")


def median(samples: Sequence[float]) -> float:
    return statistics.median(samples)


def heading(title: str, machine_note: str = "") -> None:
    print(f"\n== {title}" + (f" ({machine_note})" if machine_note else ""))
