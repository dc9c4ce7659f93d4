"""Sales reps: who can own a territory, where they live, how much they can carry, what they are good at."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Rep:
    id: str
    name: str
    home_lon: float | None = None
    home_lat: float | None = None
    home_city: str = ""
    capacity: float = 0.0  # e.g. number of accounts or workload hours the rep can carry
    # free-form skills: {"languages": ["en", "es"], "industries": ["Healthcare"], "experience": "senior"}
    skills: dict[str, Any] = field(default_factory=dict)
