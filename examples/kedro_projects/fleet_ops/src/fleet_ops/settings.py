"""Project settings: Kedro defaults."""
