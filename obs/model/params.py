"""Ranges the definitions declare for the numeric parameters they read (`env.param(key, default,
range=RATIO)`): an override outside its range is an error naming the key, the range and, for a
ratio given as a percentage, the ratio that was meant."""
from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Range:
    """Numbers from `low` to `high`; `low_open`/`high_open` exclude the bound. `meaning` says
    what the number is (shown in errors and `obs params`)."""

    low: float
    high: float = math.inf
    low_open: bool = False
    high_open: bool = False
    meaning: str = ""

    def __contains__(self, value: object) -> bool:
        if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
            return False
        above = value > self.low if self.low_open else value >= self.low
        below = value < self.high if self.high_open or math.isinf(self.high) else value <= self.high
        return above and below

    def text(self) -> str:
        """Interval notation, e.g. '(0, 1]' or '[0, inf)'."""
        high = "inf" if math.isinf(self.high) else f"{self.high:g}"
        return (f"{'(' if self.low_open else '['}{self.low:g}, {high}"
                f"{')' if self.high_open or math.isinf(self.high) else ']'}")

    def hint(self, value: float) -> str:
        """A likely intended value: a ratio given as a percentage (10 -> 0.1), or a percentage
        given as a ratio (0.999 -> 99.9)."""
        if self.high == 1 and 1 < value <= 100 and (value / 100) in self:
            return f" (did you mean {value / 100:g}, i.e. {value:g}%?)"
        if self.high == 100 and 0 < value < 1 and round(value * 100, 10) in self:
            return f" (did you mean {round(value * 100, 10):g}?)"
        return ""


RATIO = Range(0, 1, low_open=True, meaning="a ratio: 0.05 is 5%")
SECONDS = Range(0, low_open=True, meaning="seconds")
RATE = Range(0, meaning="per second")
COUNT = Range(1, meaning="a whole count")
PERCENT = Range(0, 100, low_open=True, meaning="percent")
OBJECTIVE = Range(50, 100, low_open=True, high_open=True, meaning="an SLO objective in percent: 99.9")
