"""Reporting pipeline definition."""

from kedro.pipeline import Node, Pipeline

from .nodes import compare_passenger_capacity, summarise_shuttles


def create_pipeline(**kwargs) -> Pipeline:
    """Create the reporting pipeline."""
    return Pipeline(
        [
            Node(
                func=compare_passenger_capacity,
                inputs="preprocessed_shuttles",
                outputs="shuttle_passenger_capacity_report",
                name="compare_passenger_capacity",
            ),
            Node(
                func=summarise_shuttles,
                inputs="preprocessed_shuttles",
                outputs="summary_stats",  # terminal MemoryDataset, not in the catalog
                name="summarise_shuttles",
            ),
        ]
    )
