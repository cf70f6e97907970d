"""Page numbers from a query string, clamped: ``?page=abc`` or ``?page=-3`` is page 1."""

from __future__ import annotations

from dataclasses import dataclass, replace

MAX_PAGE = 100_000


@dataclass(frozen=True, slots=True)
class PageInfo:
    number: int
    size: int
    total: int = 0

    @property
    def offset(self) -> int:
        return (self.number - 1) * self.size

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    @property
    def has_next(self) -> bool:
        return self.number < self.pages

    def with_total(self, total: int) -> PageInfo:
        return replace(self, total=total)


def paginate(raw: str, size: int) -> PageInfo:
    number = int(raw) if raw.isascii() and raw.isdigit() else 1
    return PageInfo(min(max(number, 1), MAX_PAGE), size)
