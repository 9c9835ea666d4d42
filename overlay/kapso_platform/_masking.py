"""Masking personal data (phone numbers, contact identifiers) for logs and error messages."""

from __future__ import annotations

_VISIBLE = 4


def mask(value: str) -> str:
    """`value` with all but its last 4 characters hidden, so an operator can still tell apart."""
    if len(value) <= _VISIBLE:
        return "*" * _VISIBLE
    return "***" + value[-_VISIBLE:]
