"""The contract every travel model keeps: points in, seconds and metres out."""

from __future__ import annotations

from typing import Protocol

import numpy as np
from numpy.typing import NDArray


class TravelModel(Protocol):
    """Maps lon/lat points to travel times and distances. ``name`` is recorded in every output."""

    @property
    def name(self) -> str: ...

    def pairs(
        self, origins: NDArray[np.float64], destinations: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Seconds and metres from ``origins[i]`` to ``destinations[i]``."""
        ...

    def matrix(
        self, origins: NDArray[np.float64], destinations: NDArray[np.float64]
    ) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
        """Seconds and metres from every origin to every destination."""
        ...
