"""Robust statistics shared by the engine, the analysis functions and the live alerts."""

from __future__ import annotations

from typing import Final

import numpy as np

__all__ = ["MAD_SCALE", "robust_center_scale", "robust_z"]

#: The MAD of a normal sample times this estimates its standard deviation.
MAD_SCALE: Final = 1.4826


def robust_center_scale(history: np.ndarray) -> tuple[float, float]:
    """Return the median of ``history`` and its robust sigma, ``1.4826 * MAD``.

    NaNs are ignored; an empty (or all-NaN) history gives ``(nan, nan)``.
    """
    finite = np.asarray(history, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    if finite.size == 0:
        return float("nan"), float("nan")
    median = float(np.median(finite))
    return median, MAD_SCALE * float(np.median(np.abs(finite - median)))


def robust_z(value: float, history: np.ndarray, *, min_history: int = 1) -> float:
    """Return how many robust sigmas ``value`` lies from the median of ``history``.

    ``(value - median) / (1.4826 * MAD)``. A history shorter than ``min_history`` or with no
    spread (MAD = 0) gives 0.0: no evidence either way.

    >>> round(robust_z(10.0, np.array([1.0, 2.0, 3.0, 4.0, 5.0])), 3)
    4.721
    """
    if np.asarray(history).size < min_history:
        return 0.0
    median, sigma = robust_center_scale(history)
    if not sigma > 0:
        return 0.0
    return (value - median) / sigma
