"""What on_pipeline_error gets for a node exception Dagster recorded in another process."""

from __future__ import annotations

import sys

from dagster._core.events import DagsterEvent, DagsterEventType
from dagster._core.execution.plan.objects import StepFailureData
from dagster._utils.error import serializable_error_info_from_exc_info

from dagster_kedro.errors import KedroNodeError
from dagster_kedro.pipeline_errors import StepFailures


def failure_event(raise_error) -> DagsterEvent:
    try:
        try:
            raise_error()
        except Exception as error:
            raise KedroNodeError("train", error) from error
    except KedroNodeError:
        info = serializable_error_info_from_exc_info(sys.exc_info())
    return DagsterEvent(
        event_type_value=DagsterEventType.STEP_FAILURE.value,
        job_name="job",
        step_key="proj__train",
        event_specific_data=StepFailureData(error=info, user_failure_data=None),
    )


def failures_of(event: DagsterEvent) -> StepFailures:
    failures = StepFailures()
    failures.see(event)
    return failures


def test_an_importable_type_is_rebuilt_with_its_message():
    def raise_error():
        raise ValueError("bad value")

    error = failures_of(failure_event(raise_error)).error({"proj__train": ["train"]}, {})
    assert type(error) is ValueError and str(error) == "bad value"
    assert error.__notes__ == ["Kedro node 'train' failed in Dagster step 'proj__train'"]


def test_a_type_not_importable_here_becomes_a_kedro_node_error_with_the_original_type_and_message():
    class LocalError(Exception):
        pass

    def raise_error():
        raise LocalError("only in the step process")

    error = failures_of(failure_event(raise_error)).error({"proj__train": ["train"]}, {})
    assert type(error) is KedroNodeError
    assert error.node_name == "train"
    assert error.error_type.startswith(f"{__name__}.") and error.error_type.endswith(".<locals>.LocalError")
    assert error.error_message == "only in the step process"


def test_the_original_object_when_the_node_ran_in_this_process():
    original = RuntimeError("boom")

    def raise_error():
        raise original

    error = failures_of(failure_event(raise_error)).error({"proj__train": ["train"]}, {"train": original})
    assert error is original
