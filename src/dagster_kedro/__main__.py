"""``python -m dagster_kedro --project-path P``: print a Kedro project's snapshot as JSON.

For callers that read a project with another interpreter (e.g. one pinned to the project's
own virtualenv) and build Definitions from the JSON.
"""

from dagster_kedro.project import main

main()
