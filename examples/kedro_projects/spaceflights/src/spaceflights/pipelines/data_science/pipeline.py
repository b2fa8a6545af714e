"""Data science pipeline definition: a modular pipeline under ``data_science``."""

from kedro.pipeline import Node, Pipeline

from .nodes import evaluate_model, split_data, train_model


def create_pipeline(**kwargs) -> Pipeline:
    """Create the namespaced data science pipeline.

    Node names, the X/y splits (MemoryDatasets) and the outputs are prefixed
    with ``data_science.``; ``model_input_table`` and ``params:model_options``
    are mapped to the un-namespaced names.
    """
    template = Pipeline(
        [
            Node(
                func=split_data,
                inputs=["model_input_table", "params:model_options"],
                outputs=["X_train", "X_test", "y_train", "y_test"],
                name="split_data",
            ),
            Node(
                func=train_model,
                inputs=["X_train", "y_train"],
                outputs="regressor",
                name="train_model",
            ),
            Node(
                func=evaluate_model,
                inputs=["regressor", "X_test", "y_test"],
                outputs="metrics",
                name="evaluate_model",
            ),
        ]
    )
    return Pipeline(
        template,
        namespace="data_science",
        inputs={"model_input_table"},
        parameters={"params:model_options"},
    )
