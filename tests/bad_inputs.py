"""The bad-input catalogue: every input we refuse at load time, and what the user is shown.

Three tables. ``ORCHESTRATION``: component YAML about jobs, executors, schedules and overrides,
checked against one snapshot of the ``chores`` fixture project (milliseconds a case, in
tests/test_orchestration_errors.py). ``PROJECT``: component YAML and Kedro project files, each
loaded in full by Dagster's component loader from a copy of the ``hooked`` fixture project
(tests/test_bad_inputs.py), some also through every ``dg`` command. ``MISSPELT``: a misspelt name
of each kind the YAML takes, with the closest valid name the error suggests (or, when no name is
close enough, what it says instead of a guess), loaded like ``PROJECT``. docs/failure-and-recovery.md
shows the first two tables; tests/test_docs.py checks the page against them, so it cannot drift.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

ONE_JOB = [{"name": "nightly", "pipeline": "loads"}]

ORCHESTRATION: dict[str, tuple[dict[str, Any], list[str]]] = {
    "unknown executor name": (
        {"executors": {"parallel": {"type": "multiprocess"}}, "jobs": [{"name": "nightly", "executor": "paralel"}]},
        ["attributes.jobs[0].executor = 'paralel'", "unknown executor name 'paralel'", "['parallel']"],
    ),
    "executor config typo": (
        {"executors": {"parallel": {"type": "multiprocess", "config": {"max_concurent": 4}}}},
        [
            "attributes.executors.parallel.config = {'max_concurent': 4}",
            "invalid config for executor 'parallel' (type multiprocess)",
            'unexpected config entry "max_concurent"',
            "'max_concurrent'",
        ],
    ),
    "inline executor config typo": (
        {"jobs": [{"name": "nightly", "executor": {"type": "in_process", "config": {"retry": {}}}}]},
        ["attributes.jobs[0].executor.config", 'unexpected config entry "retry"'],
    ),
    "unknown executor type": (
        {"executor": {"type": "kubernetes"}},
        ["attributes.executor.type = 'kubernetes'", "unknown executor type 'kubernetes'", "'k8s'"],
    ),
    "bad cron": (
        {"jobs": ONE_JOB, "schedules": [{"name": "at_night", "job": "nightly", "cron_schedule": "0 25 * * *"}]},
        ["attributes.schedules[0].cron_schedule = '0 25 * * *'", "schedule 'at_night'", "not a valid cron"],
    ),
    "bad timezone": (
        {
            "jobs": ONE_JOB,
            "schedules": [
                {"name": "at_night", "job": "nightly", "cron_schedule": "0 3 * * *", "execution_timezone": "Mars/Olympus"}
            ],
        },
        ["attributes.schedules[0].execution_timezone = 'Mars/Olympus'", "schedule 'at_night'", "unknown time zone"],
    ),
    "schedule of an unknown job": (
        {"jobs": ONE_JOB, "schedules": [{"name": "at_night", "job": "nighty", "cron_schedule": "0 3 * * *"}]},
        ["attributes.schedules[0].job = 'nighty'", "['nightly']"],
    ),
    "empty filter": (
        {"jobs": [{"name": "nightly", "pipeline": "loads", "filter": {"tags": ["nope"]}}]},
        [
            "attributes.jobs[0].filter = {'tags': ['nope']}",
            "job 'nightly': the filter selects no node of pipeline 'loads'",
            "Pipeline contains no nodes after applying all provided filters",
        ],
    ),
    "filter naming an unknown node": (
        {"jobs": [{"name": "nightly", "filter": {"node_names": ["load_z"]}}]},
        ["attributes.jobs[0].filter", "load_z"],
    ),
    "duplicate job": (
        {"jobs": [{"name": "nightly"}, {"name": "nightly", "pipeline": "ingest"}]},
        ["attributes.jobs[1].name = 'nightly'", "job name 'nightly' is used twice"],
    ),
    "unknown override key": (
        {"node_overrides": {"tag:dbb": {"pool": "warehouse"}}},
        ["attributes.node_overrides.tag:dbb", "matches no node", "'db'"],
    ),
    "conflicting pools in one step": (
        {"group_by": "pipeline", "node_overrides": {"tag:db": {"pool": "a"}, "tag:compute": {"pool": "b"}}},
        ["different pool values", "group_by: node"],
    ),
}


@dataclass(frozen=True)
class BadInput:
    """One bad input: YAML attributes over ``{"project_path": <copy of hooked>}`` and/or a change
    to one file of the Kedro project (``edit``: path, text appended or ``(old, new)`` replaced)."""

    name: str
    shown: tuple[str, ...]
    """Fragments of the message, in order: the docs table prints them joined by ' … '."""
    attributes: dict[str, Any] | None = None
    edit: tuple[str, str | tuple[str, str]] | None = None
    through_dg: bool = False
    """Also checked through `dg check defs`, `dg list defs` (table and --json) and `dg launch`."""


BROKEN_TYPE = "\nclean_numbers:\n  type: json.NoSuchDataset\n  filepath: data/02_intermediate/clean.json\n"
RUNTIME_PARAM = "\nclean_numbers:\n  type: pandas.CSVDataset\n  filepath: data/${runtime_params:run_folder}/clean.csv\n"

PROJECT: list[BadInput] = [
    BadInput("project_path that does not exist", ("attributes.project_path", "does not exist or is not a folder"),
             {"project_path": "nowhere"}),
    BadInput("unknown pipeline", ("attributes.pipelines = ['ingest', 'nope']", "pipeline(s) ['nope'] are not registered",
                                  "Registered: ['__default__', 'ingest', 'report']"),
             {"pipelines": ["ingest", "nope"]}, through_dg=True),
    BadInput("unknown env", ("attributes.env = 'nope'", "Kedro env 'nope' has no folder", "Available envs: ['base', 'local']"),
             {"env": "nope"}),
    BadInput("group_by typo", ("attributes.group_by = 'nodes'", "group_by must be one of"), {"group_by": "nodes"}),
    BadInput("log_level typo", ("attributes.log_level = 'LOUD'", "'LOUD' is not a log level",
                                "Fix: use one of DEBUG, INFO, WARNING, ERROR, CRITICAL"), {"log_level": "LOUD"}),
    BadInput("key_prefix with a space", ("attributes.key_prefix = ['a b']", "key_prefix part 'a b' is not a valid asset key part",
                                         "Fix: use e.g. key_prefix: ['a_b']"), {"key_prefix": ["a b"]}, through_dg=True),
    BadInput("key_prefix '-'", ("attributes.key_prefix = '-'", "key_prefix part '-' is not a valid asset key part"),
             {"key_prefix": "-"}),
    BadInput("negative max_retries", ("attributes.jobs[0].retry_policy.max_retries = -1", "must be 0 or more"),
             {"jobs": [{"name": "nightly", "retry_policy": {"max_retries": -1}}]}),
    BadInput("negative retry delay", ("attributes.node_overrides.*.retry_policy.delay = -5", "must be 0 or more"),
             {"node_overrides": {"*": {"retry_policy": {"max_retries": 1, "delay": -5}}}}),
    BadInput("settings.py that fails to import", ("Kedro could not load the project", "No module named 'not_a_module_anywhere'"),
             edit=("src/hooked/settings.py", "import not_a_module_anywhere\n"), through_dg=True),
    BadInput("pipeline_registry.py that raises", ("Kedro could not load the project", "ValueError: registry exploded"),
             edit=("src/hooked/pipeline_registry.py", "raise ValueError('registry exploded')\n")),
    BadInput("YAML syntax error in catalog.yml", ("conf/base/catalog.yml", "Kedro cannot parse this catalog file at line",
                                                 "Fix: correct the YAML syntax there"),
             edit=("conf/base/catalog.yml", "\nbroken: [\n"), through_dg=True),
    BadInput("YAML syntax error in parameters.yml", ("conf/base/parameters.yml", "Kedro cannot parse this parameters file at line"),
             edit=("conf/base/parameters.yml", "\nfactor: [1,\n")),
    BadInput("dataset type that does not exist", ("conf/base/catalog.yml: clean_numbers.type = 'json.NoSuchDataset'",
                                                  "cannot be imported", "Dataset 'NoSuchDataset' not found in 'json'"),
             edit=("conf/base/catalog.yml", BROKEN_TYPE), through_dg=True),
    BadInput("node reading an undefined parameter", ("Kedro node 'double_numbers' reads 'params:factor', which no parameters file defines",
                                                     "Did you mean 'params:factr'?"),
             edit=("conf/base/parameters.yml", ("factor: 2", "factr: 2")), through_dg=True),
    BadInput("${runtime_params:x} without a default", ("conf/base/catalog.yml: clean_numbers.filepath",
                                                      "Runtime parameter 'run_folder' not found",
                                                      "set 'run_folder' under runtime_params"),
             edit=("conf/base/catalog.yml", RUNTIME_PARAM)),
    BadInput("check with two kinds", ("attributes.checks.doubled[0] = {'not_null': ['a'], 'unique': ['a']}",
                                      "a check needs exactly one of", "Fix: write one check per list item"),
             {"checks": {"doubled": [{"not_null": ["a"], "unique": ["a"]}]}}),
    BadInput("check of a raw input", ("attributes.checks.numbers", "'numbers' is not a dataset that a step of the selected "
                                      "pipelines materializes"), {"checks": {"numbers": [{"row_count": {"min": 1}}]}}),
    BadInput("cross-project input that is not a raw input", ("attributes.inputs", "are not raw inputs of the selected pipelines"),
             {"inputs": {"doubled": "elsewhere/doubled"}}),
]


CRON = "0 3 * * *"
PARALLEL = {"parallel": {"type": "multiprocess"}}

MISSPELT: dict[str, tuple[dict[str, Any], str]] = {
    "attribute": ({"pipelnes": ["ingest"]}, "'pipelnes' is not a field of KedroProjectComponent. Did you mean 'pipelines'?"),
    "attribute, nothing close": ({"colour": "red"}, "Its fields: project_path, env, conf_source,"),
    "key of a job": ({"jobs": [{"name": "nightly", "filtr": {"tags": ["a"]}}]}, "'filtr' is not a field of KedroJobSpec. Did you mean 'filter'?"),
    "key of an executor": ({"executor": {"typ": "multiprocess"}}, "Did you mean 'type'?"),
    "pipeline": ({"pipelines": ["ingst"]}, "Did you mean 'ingest'?"),
    "env": ({"env": "locl"}, "Did you mean 'local'?"),
    "group_by": ({"group_by": "nodes"}, "Did you mean 'node'?"),
    "log_level": ({"log_level": "WARN"}, "Did you mean 'WARNING'?"),
    "executor type": ({"executor": {"type": "multiproces"}}, "Did you mean 'multiprocess'?"),
    "executor type, nothing close": ({"executor": {"type": "turbo"}}, "use one of ['celery', 'dask', 'docker', 'in_process'"),
    "executor name": ({"executors": PARALLEL, "executor": "paralel"}, "Did you mean 'parallel'?"),
    "job of a schedule": ({"jobs": [{"name": "nightly"}], "schedules": [{"name": "s", "job": "nighty", "cron_schedule": CRON}]},
                          "Did you mean 'nightly'?"),
    "dataset of a sensor": ({"jobs": [{"name": "nightly"}], "sensors": [{"name": "s", "job": "nightly", "datasets": ["numbrs"]}]},
                            "Did you mean 'numbers'?"),
    "node override": ({"node_overrides": {"double_numbrs": {"pool": "db"}}}, "Did you mean 'double_numbers'?"),
    "node override tag": ({"node_overrides": {"tag:reportng": {"pool": "db"}}}, "Did you mean 'tag:reporting'?"),
    "dataset of a check": ({"checks": {"doubld": [{"row_count": {"min": 1}}]}}, "Did you mean 'doubled'?"),
    "cross-project input": ({"inputs": {"numbrs": "elsewhere/numbers"}}, "Did you mean 'numbers'?"),
    "partitioned dataset": ({"partitions": {"type": "static", "keys": ["a"], "datasets": ["doubld"]}}, "Did you mean 'doubled'?"),
}


def _code(text: str) -> str:
    return "`" + " ".join(text.split()).replace("|", "\\|") + "`"


def _yaml(attributes: dict[str, Any]) -> str:
    import yaml

    return _code(yaml.safe_dump(attributes, default_flow_style=True, width=1000).strip()[1:-1])


def _edit(edit: tuple[str, str | tuple[str, str]]) -> str:
    relative, change = edit
    if isinstance(change, tuple):
        return f"{relative}: {_code(change[0])} → {_code(change[1])}"
    return f"{relative} gains {_code(change)}"


def markdown_table() -> str:
    """The table of docs/failure-and-recovery.md, "Bad input" section."""
    rows = ["| Bad input | What the user is shown (fragments, in order) |", "| --- | --- |"]
    for case in PROJECT:
        given = [_yaml(case.attributes)] if case.attributes else []
        given += [_edit(case.edit)] if case.edit else []
        rows.append(f"| {case.name}: {'; '.join(given)} | {' … '.join(_code(s) for s in case.shown)} |")
    for name, (attributes, shown) in ORCHESTRATION.items():
        rows.append(f"| {name}: {_yaml(attributes)} | {' … '.join(_code(s) for s in shown)} |")
    return "\n".join(rows) + "\n"


if __name__ == "__main__":  # python tests/bad_inputs.py: print the docs table
    print(markdown_table(), end="")
