"""What the two sides of an isolated step agree on, in a module either side imports without the
other's libraries (the project's interpreter has no dagster, the code location may have no Kedro)."""

PARTIAL_SAVE_MESSAGE = "dagster_kedro/partial_save"
"""The key of the Pipes custom message asking for a partial-save marker before a save
(``pipes_runner`` sends it, ``pipes_markers`` writes the marker and acknowledges)."""
