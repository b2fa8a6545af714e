"""spaceflights: a tiny Kedro example project for dagster-kedro."""

__version__ = "0.1"
