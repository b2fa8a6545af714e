"""One small pipeline: company ratings per location, on the project's own pandas 2."""

import pandas as pd
from kedro.pipeline import Pipeline, node


def ratings_by_location(companies: pd.DataFrame, expected_pandas_major: int) -> pd.DataFrame:
    """Company count and mean rating (``"98%"`` strings) per location; fails on another pandas
    major than the project's own, which only its venv has."""
    if int(pd.__version__.split(".")[0]) != expected_pandas_major:
        raise RuntimeError(f"company_ratings needs pandas {expected_pandas_major}.x, this Python has {pd.__version__}")
    rating = companies["company_rating"].str.rstrip("%").astype(float)
    grouped = rating.groupby(companies["company_location"])
    report = pd.DataFrame({"companies": grouped.size(), "mean_rating": grouped.mean().round(1)})
    report = report.reset_index().sort_values("company_location")
    report["pandas"] = pd.__version__
    return report


def register_pipelines() -> dict[str, Pipeline]:
    ratings = Pipeline(
        [node(ratings_by_location, ["companies", "params:expected_pandas_major"], "ratings_by_location",
              name="ratings_by_location")]
    )
    return {"__default__": ratings, "ratings": ratings}
