"""Data processing pipeline definition."""

from kedro.pipeline import Node, Pipeline

from .nodes import (
    create_model_input_table,
    preprocess_companies,
    preprocess_shuttles,
    rate_shuttles,
)


def create_pipeline(**kwargs) -> Pipeline:
    """Create the data processing pipeline."""
    return Pipeline(
        [
            Node(
                func=preprocess_companies,
                inputs="companies",
                outputs="preprocessed_companies",
                name="preprocess_companies",
                tags=["preprocessing"],
            ),
            Node(
                func=preprocess_shuttles,
                inputs="shuttles",
                outputs="preprocessed_shuttles",
                name="preprocess_shuttles",
                tags=["preprocessing"],
            ),
            Node(
                func=rate_shuttles,
                inputs=["preprocessed_shuttles", "reviews"],
                outputs="rated_shuttles",  # MemoryDataset, not in the catalog
                name="rate_shuttles",
            ),
            Node(
                func=create_model_input_table,
                inputs=["rated_shuttles", "preprocessed_companies"],
                outputs="model_input_table",
                name="create_model_input_table",
            ),
        ]
    )
