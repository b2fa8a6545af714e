"""Nodes of the data processing pipeline."""

import pandas as pd


def _is_true(x: pd.Series) -> pd.Series:
    return x == "t"


def _parse_percentage(x: pd.Series) -> pd.Series:
    return x.str.replace("%", "").astype(float) / 100


def _parse_money(x: pd.Series) -> pd.Series:
    return x.str.replace("$", "").str.replace(",", "").astype(float)


def preprocess_companies(companies: pd.DataFrame) -> pd.DataFrame:
    """Preprocess the companies data.

    Args:
        companies: Raw companies data.

    Returns:
        Companies with ``iata_approved`` as bool and ``company_rating`` as a
        fraction in ``[0, 1]``.
    """
    companies = companies.copy()
    companies["iata_approved"] = _is_true(companies["iata_approved"])
    companies["company_rating"] = _parse_percentage(companies["company_rating"])
    return companies


def preprocess_shuttles(shuttles: pd.DataFrame) -> pd.DataFrame:
    """Preprocess the shuttles data.

    Args:
        shuttles: Raw shuttles data.

    Returns:
        Shuttles with the check columns as bool and ``price`` as a float.
    """
    shuttles = shuttles.copy()
    shuttles["d_check_complete"] = _is_true(shuttles["d_check_complete"])
    shuttles["moon_clearance_complete"] = _is_true(shuttles["moon_clearance_complete"])
    shuttles["price"] = _parse_money(shuttles["price"])
    return shuttles


def rate_shuttles(shuttles: pd.DataFrame, reviews: pd.DataFrame) -> pd.DataFrame:
    """Attach the review scores to each shuttle.

    Args:
        shuttles: Preprocessed shuttles data.
        reviews: Raw reviews data (one row per shuttle).

    Returns:
        Shuttles joined with their reviews (kept in memory only).
    """
    rated = shuttles.merge(reviews, left_on="id", right_on="shuttle_id")
    return rated.drop(columns=["id"])


def create_model_input_table(
    rated_shuttles: pd.DataFrame, companies: pd.DataFrame
) -> pd.DataFrame:
    """Combine rated shuttles and companies into the model input table.

    Args:
        rated_shuttles: Shuttles joined with their reviews.
        companies: Preprocessed companies data.

    Returns:
        The model input table, without rows containing missing values.
    """
    table = rated_shuttles.merge(
        companies, left_on="company_id", right_on="id"
    ).drop(columns=["id"])
    table = table.dropna().sort_values("shuttle_id").reset_index(drop=True)
    return table
