"""Preloaded by the forkserver of a multiprocess Kedro run (``step_processes``): what every step
process imports, so that each forked step starts with it imported.

Kedro's first import applies a logging configuration to the whole process and logs ``Using
'...' as logging configuration``; a step takes care not to (issue 11: that line printed once per
step). Imported plainly, the forkserver would print it once per run, so Kedro comes in through
``kedro_runtime`` here too.
"""

from dagster_kedro.kedro_runtime import import_step_modules

import_step_modules()

import dagster_kedro.execution  # noqa: E402,F401  (the step code, after Kedro's quiet import)
from dagster_kedro.step_processes import build_job_for_steps  # noqa: E402

build_job_for_steps()
