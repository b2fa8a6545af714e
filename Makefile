# Developer shortcuts. PYTHON is the environment with dagster-kedro installed (pip install -e ".[test,docs]").
PYTHON ?= .venv/bin/python
export NO_MKDOCS_2_WARNING = 1  # mkdocs-material's banner about its successor, on every build

.PHONY: docs docs-build screenshots

# the documentation site on http://127.0.0.1:8000, rebuilt on every change
docs:
	$(PYTHON) -m mkdocs serve --dev-addr 127.0.0.1:8000

# the site in site/, strictly: a broken link or a page missing from the nav fails
docs-build:
	$(PYTHON) -m mkdocs build --strict

# refresh the UI screenshots the docs show (docs/images/): the browser test, saving them there
screenshots:
	DAGSTER_KEDRO_SCREENSHOTS=docs/images $(PYTHON) -m pytest tests/test_ui.py -q
