"""Nodes of the reporting pipeline."""

from typing import Any

import pandas as pd


def compare_passenger_capacity(preprocessed_shuttles: pd.DataFrame) -> pd.DataFrame:
    """Summarise passenger capacity per shuttle type.

    Args:
        preprocessed_shuttles: Preprocessed shuttles data.

    Returns:
        One row per ``shuttle_type`` with the shuttle count and the mean and
        max passenger capacity.
    """
    report = (
        preprocessed_shuttles.groupby("shuttle_type", sort=True)["passenger_capacity"]
        .agg(n_shuttles="count", mean_passenger_capacity="mean", max_passenger_capacity="max")
        .reset_index()
    )
    report["mean_passenger_capacity"] = report["mean_passenger_capacity"].round(3)
    return report


def summarise_shuttles(preprocessed_shuttles: pd.DataFrame) -> dict[str, Any]:
    """Compute a few headline numbers about the fleet (kept in memory only).

    Args:
        preprocessed_shuttles: Preprocessed shuttles data.

    Returns:
        A dict with the number of shuttles, total passenger capacity and mean
        price.
    """
    return {
        "n_shuttles": int(len(preprocessed_shuttles)),
        "total_passenger_capacity": int(preprocessed_shuttles["passenger_capacity"].sum()),
        "mean_price": round(float(preprocessed_shuttles["price"].mean()), 2),
    }
