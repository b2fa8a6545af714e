"""Nodes of the data science pipeline (plain numpy, no scikit-learn)."""

from typing import Any

import numpy as np
import pandas as pd


def split_data(
    data: pd.DataFrame, parameters: dict[str, Any]
) -> tuple[pd.DataFrame, pd.DataFrame, pd.Series, pd.Series]:
    """Split the model input table into deterministic train and test sets.

    Args:
        data: The model input table.
        parameters: ``model_options`` with ``test_size``, ``random_state`` and
            ``features``.

    Returns:
        ``X_train``, ``X_test``, ``y_train``, ``y_test``.
    """
    features = list(parameters["features"])
    X = data[features].astype(float)
    y = data["price"].astype(float)
    order = np.random.RandomState(parameters["random_state"]).permutation(len(data))
    n_test = int(np.ceil(len(data) * float(parameters["test_size"])))
    test_idx, train_idx = np.sort(order[:n_test]), np.sort(order[n_test:])
    return (
        X.iloc[train_idx].reset_index(drop=True),
        X.iloc[test_idx].reset_index(drop=True),
        y.iloc[train_idx].reset_index(drop=True),
        y.iloc[test_idx].reset_index(drop=True),
    )


def train_model(X_train: pd.DataFrame, y_train: pd.Series) -> dict[str, Any]:
    """Fit an ordinary-least-squares linear regression with ``numpy.linalg.lstsq``.

    Args:
        X_train: Training features.
        y_train: Training target (price).

    Returns:
        The fitted regressor as a plain dict (``features``, ``intercept``,
        ``coefficients``) so it unpickles without this package.
    """
    design = np.column_stack([np.ones(len(X_train)), X_train.to_numpy(dtype=float)])
    solution, *_ = np.linalg.lstsq(design, y_train.to_numpy(dtype=float), rcond=None)
    return {
        "features": list(X_train.columns),
        "intercept": float(solution[0]),
        "coefficients": [float(c) for c in solution[1:]],
    }


def predict(regressor: dict[str, Any], X: pd.DataFrame) -> np.ndarray:
    """Predict prices with a regressor produced by :func:`train_model`."""
    coef = np.asarray(regressor["coefficients"], dtype=float)
    return regressor["intercept"] + X[regressor["features"]].to_numpy(dtype=float) @ coef


def evaluate_model(
    regressor: dict[str, Any], X_test: pd.DataFrame, y_test: pd.Series
) -> dict[str, float]:
    """Compute the regressor's metrics on the test set.

    Args:
        regressor: Fitted regressor.
        X_test: Test features.
        y_test: Test target (price).

    Returns:
        ``r2_score``, ``mae``, ``max_error`` (rounded) and ``n_test``.
    """
    y_true = y_test.to_numpy(dtype=float)
    residuals = y_true - predict(regressor, X_test)
    ss_res = float(np.sum(residuals**2))
    ss_tot = float(np.sum((y_true - y_true.mean()) ** 2))
    return {
        "r2_score": round(1.0 - ss_res / ss_tot, 4),
        "mae": round(float(np.mean(np.abs(residuals))), 2),
        "max_error": round(float(np.max(np.abs(residuals))), 2),
        "n_test": int(len(y_true)),
    }
