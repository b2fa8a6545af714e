"""Data science pipeline (namespace ``data_science``)."""

from .pipeline import create_pipeline

__all__ = ["create_pipeline"]
