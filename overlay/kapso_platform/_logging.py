"""The `kapso_platform` logger, its `KAPSO_LOG` switch, and masking of URLs in log lines.

Lines are for operators: DEBUG one per HTTP attempt, INFO one per retry, WARNING when retries
give up. They never hold the API key or a body. Path segments that carry identifiers (any
segment with a digit, such as a phone number or UUID) keep only their last 4 characters, and
query strings are left out. httpx logs every request URL at INFO on its own logger; a filter
installed here masks the URLs of requests to a Kapso base URL in those lines too.
"""

from __future__ import annotations

import logging
import os
import sys
import threading

import httpx

from kapso_platform._masking import mask

LOGGER_NAME = "kapso_platform"
LOG_ENV = "KAPSO_LOG"

logger = logging.getLogger(LOGGER_NAME)
logger.addHandler(logging.NullHandler())

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_base_urls: set[str] = set()
_lock = threading.Lock()


class _EnvHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The stderr handler `KAPSO_LOG` turns on; a class of its own so it is added only once."""


def configure_from_env() -> None:
    """Send `kapso_platform` logs to stderr at the level `KAPSO_LOG` names (debug or info)."""
    level = _LEVELS.get(os.environ.get(LOG_ENV, "").strip().lower())
    if level is None:
        return
    logger.setLevel(level)
    if not any(isinstance(handler, _EnvHandler) for handler in logger.handlers):
        handler = _EnvHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
        logger.addHandler(handler)


def mask_path(path: str) -> str:
    """`path` with every segment that holds a digit cut to its last 4 characters."""
    return "/".join(_mask_segment(segment) for segment in path.split("/"))


def _mask_segment(segment: str) -> str:
    if len(segment) <= 2 or not any(char.isdigit() for char in segment):
        return segment
    return mask(segment)


def describe_url(url: httpx.URL) -> str:
    """The path of `url`, masked, with a marker instead of any query string."""
    suffix = "?…" if url.query else ""
    return mask_path(url.path) + suffix


def watch_base_url(base_url: str) -> None:
    """Mask URLs under `base_url` in httpx's own log lines (idempotent, process-wide)."""
    with _lock:
        _base_urls.add(base_url.rstrip("/") + "/")
        httpx_logger = logging.getLogger("httpx")
        if not any(isinstance(item, _HttpxUrlFilter) for item in httpx_logger.filters):
            httpx_logger.addFilter(_HttpxUrlFilter())


class _HttpxUrlFilter(logging.Filter):
    """Rewrites the URL argument of httpx's "HTTP Request: ..." line for Kapso requests."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_masked_arg(arg) for arg in record.args)
        return True


def _masked_arg(arg: object) -> object:
    if not isinstance(arg, httpx.URL):
        return arg
    text = str(arg)
    if not any(text.startswith(base) for base in tuple(_base_urls)):
        return arg
    return f"{arg.scheme}://{arg.netloc.decode('ascii')}{describe_url(arg)}"
