"""Fleet operations reports built on spaceflights data."""
