"""Company ratings per location: a project pinned to pandas 2, run by its own interpreter."""
