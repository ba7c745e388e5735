"""Where jobs go: a threshold with hysteresis over cluster utilisation (pure, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Route = Literal["local", "remote"]


@dataclass
class Router:
    """Goes remote once utilisation passes ``threshold``; comes home only below
    ``threshold - hysteresis``. Between the two it keeps its last route, so utilisation
    hovering around the threshold does not flip jobs back and forth every second."""

    threshold: float = 0.70
    hysteresis: float = 0.10
    route: Route = "local"
    switches: int = 0

    def __post_init__(self) -> None:
        if not 0.0 <= self.hysteresis <= self.threshold:
            raise ValueError("hysteresis must lie between 0 and the threshold")

    @property
    def release(self) -> float:
        return self.threshold - self.hysteresis

    def decide(self, utilisation: float) -> Route:
        wanted: Route = self.route
        if self.route == "local" and utilisation > self.threshold:
            wanted = "remote"
        elif self.route == "remote" and utilisation < self.release:
            wanted = "local"
        if wanted != self.route:
            self.route = wanted
            self.switches += 1
        return self.route
