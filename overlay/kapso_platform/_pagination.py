"""Walking list endpoints page by page, in both styles the Kapso API uses.

- Offset style: `page`/`per_page` parameters, `meta{page, per_page, total_pages, total_count}`
  in the answer; the last page is the one where `page >= total_pages`.
- Cursor style: `limit`/`after`/`before` parameters, `paging{cursors{before, after}, next,
  previous}` in the answer; as in Meta's Graph API that Kapso mirrors, a page without a `next`
  link (or without an `after` cursor, or with no items) is the last.

The style is read from each answer, so one loop serves every list operation. A cursor or page
number the API already sent raises `PaginationError` instead of looping for ever.
"""

from __future__ import annotations

from typing import Any

from kapso_platform._errors import PaginationError
from kapso_platform._masking import mask


def field(source: Any, name: str) -> Any:
    """`source.name` (model) or `source[name]` (dict); None when missing or unset.

    The generator renames fields that shadow Python names with a trailing underscore
    (`next` becomes `next_`), so both spellings are tried.
    """
    if isinstance(source, dict):
        value = source.get(name)
    else:
        value = getattr(source, name, None)
        if value is None:
            value = getattr(source, name + "_", None)
    return None if _is_unset(value) else value


def _is_unset(value: Any) -> bool:
    # The generated `Unset` sentinel is falsy and has this class name in every generated package.
    return type(value).__name__ == "Unset"


class PageWalker:
    """Remembers where paging is, and builds the parameters of the next page."""

    def __init__(self, operation_name: str, parameters: dict[str, Any]) -> None:
        self._operation_name = operation_name
        self.parameters: dict[str, Any] | None = dict(parameters)
        self._seen: set[Any] = set()

    def take(self, page: Any) -> list[Any]:
        """The items of `page`; afterwards `parameters` is the next page's, or None at the end."""
        items = self._items(page)
        meta, paging = field(page, "meta"), field(page, "paging")
        if meta is not None:
            self.parameters = self._after_offset_page(meta)
        elif paging is not None and items:
            self.parameters = self._after_cursor_page(paging)
        else:
            self.parameters = None
        return items

    def _items(self, page: Any) -> list[Any]:
        items = field(page, "data")
        if not isinstance(items, list):
            raise PaginationError(
                f"{self._operation_name} did not answer with a list page (a 'data' list with "
                "'meta' or 'paging'); call it with call() instead of paginate()"
            )
        return items

    def _after_offset_page(self, meta: Any) -> dict[str, Any] | None:
        page, total_pages = field(meta, "page"), field(meta, "total_pages")
        if not isinstance(page, int) or not isinstance(total_pages, int) or page >= total_pages:
            return None
        self._guard(("page", page + 1), f"page {page + 1}")
        return {**(self.parameters or {}), "page": page + 1}

    def _after_cursor_page(self, paging: Any) -> dict[str, Any] | None:
        cursors = field(paging, "cursors")
        after = field(cursors, "after") if cursors is not None else None
        if not after or not field(paging, "next"):
            return None
        self._guard(("after", after), f"cursor {mask(str(after))}")
        parameters = {**(self.parameters or {}), "after": after}
        parameters.pop("before", None)
        return parameters

    def _guard(self, key: tuple[str, Any], what: str) -> None:
        if key in self._seen:
            raise PaginationError(
                f"{self._operation_name} sent {what} a second time; stopped so the listing "
                "does not loop for ever (the API's paging is inconsistent: retry later)"
            )
        self._seen.add(key)
