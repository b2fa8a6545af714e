"""One small pipeline: price statistics per engine type."""

import pandas as pd
from kedro.pipeline import Pipeline, node


def price_by_engine(model_input_table: pd.DataFrame, decimals: int) -> pd.DataFrame:
    """Mean and max shuttle price per engine type, rounded."""
    grouped = model_input_table.groupby("engine_type")["price"]
    report = pd.DataFrame({"mean_price": grouped.mean(), "max_price": grouped.max()})
    return report.round(decimals).reset_index().sort_values("engine_type")


def register_pipelines() -> dict[str, Pipeline]:
    pricing = Pipeline(
        [node(price_by_engine, ["model_input_table", "params:price_decimals"], "engine_pricing", name="price_by_engine")]
    )
    return {"__default__": pricing, "pricing": pricing}
