"""Grid layout: panels say their width and height, obs places them left to right, top to bottom
on Grafana's 24-column grid, and numbers them."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Sequence


from obs.errors import DefinitionError
from obs.grafana.lib import attr, g
from obs.grafana.panels import GRID_COLUMNS

DEFAULT_SIZE = (12, 8)


@dataclass(frozen=True)
class Row:
    """A row header followed by its panels. `repeat` names a variable: Grafana repeats the row
    (and its panels) once per selected value, e.g. one row per HTTP route."""

    title: str
    panels: Sequence[Any]
    repeat: str | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.title, str) or not self.title.strip():
            raise DefinitionError("row", "title", "is empty", "give the row a title")
        object.__setattr__(self, "panels", tuple(self.panels))
        if not self.panels:
            raise DefinitionError(f"row {self.title!r}", "panels", "is empty", "add panels or drop the row")


def _size(panel: Any) -> tuple[int, int]:
    pos = getattr(panel, "gridPos", None)
    if pos is None:
        return DEFAULT_SIZE
    return int(pos.w), int(pos.h)


class _Cursor:
    """Where the next panel goes: panels flow right, then wrap below the tallest of the line."""

    def __init__(self) -> None:
        self.x = self.y = self.line_height = 0

    def newline(self) -> None:
        self.y += self.line_height
        self.x = self.line_height = 0

    def place(self, width: int, height: int) -> g.GridPos:
        if self.x + width > GRID_COLUMNS:
            self.newline()
        pos = g.GridPos(h=height, w=width, x=self.x, y=self.y)
        self.x += width
        self.line_height = max(self.line_height, height)
        return pos


def layout(items: Sequence[Any]) -> list[Any]:
    """Top-level panels in order with gridPos and ids set (rows are grafanalib RowPanels)."""
    cursor = _Cursor()
    ids = iter(range(1, 10_000))
    placed: list[Any] = []
    for item in items:
        if isinstance(item, Row):
            cursor.newline()
            row = g.RowPanel(title=item.title, gridPos=cursor.place(GRID_COLUMNS, 1), id=next(ids))
            if item.repeat:
                row.repeat = g.Repeat(variable=item.repeat)
            placed.append(row)
            cursor.newline()
            members = item.panels
        else:
            members = (item,)
        for panel in members:
            if isinstance(panel, (Row, g.RowPanel)):
                raise DefinitionError(f"row {getattr(panel, 'title', '')!r}", "panels",
                                      "rows cannot be nested", "list rows at the top level of the dashboard")
            width, height = _size(panel)
            placed.append(attr.evolve(panel, gridPos=cursor.place(width, height), id=next(ids)))
    return placed
