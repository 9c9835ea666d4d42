"""Contains all the data models used in inputs/outputs

Each model's module is imported on first use of its name (PEP 562 module `__getattr__`), so
importing one endpoint does not import every model of the API. Type checkers read the
`TYPE_CHECKING` imports below and see every name; `from <package>.models import Name` works as
it always has.
"""

import importlib as _importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .error_response import ErrorResponse

__all__ = ("ErrorResponse",)

# Public name -> the module (in this package) that defines it.
_MODULE_OF: dict[str, str] = {
    "ErrorResponse": ".error_response",
}

# Hidden from type checkers: a module `__getattr__` would make them accept any name at all.
if not TYPE_CHECKING:

    def __getattr__(name: str) -> object:
        module = _MODULE_OF.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        value = getattr(_importlib.import_module(module, __name__), name)
        globals()[name] = value
        return value

    def __dir__() -> list[str]:
        return sorted({*globals(), *__all__})
