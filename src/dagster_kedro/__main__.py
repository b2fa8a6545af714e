"""``python -m dagster_kedro``: the package's command line.

- ``python -m dagster_kedro --project-path P``: print a Kedro project's snapshot as JSON, for
  callers that read a project with another interpreter and build Definitions from the JSON
  (this imports dagster; the ``python_executable`` attribute runs ``project_python.py``, which
  needs no dagster in the project's environment).
- ``python -m dagster_kedro migrate-kedro-dagster <kedro project> [--env E] [--output F]``: write
  the defs.yaml equivalent to kedro-dagster's dagster.yml (``dagster_kedro.migration``).
"""

import sys

if sys.argv[1:2] == ["migrate-kedro-dagster"]:
    from dagster_kedro.migration import main

    main(sys.argv[2:])
else:
    from dagster_kedro.project import main

    main()
