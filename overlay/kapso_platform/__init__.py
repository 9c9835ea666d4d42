"""Python SDK for the Kapso Platform API."""

from kapso_platform._version import __version__

__all__ = ["__version__"]
