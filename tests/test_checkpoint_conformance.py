"""LangGraph's checkpointer conformance suite (langgraph-checkpoint-conformance) against DjangoSaver.

The whole suite — every capability, base and extended — runs twice: against the async API
(``aget_tuple``, ``aput`` …) and against the sync API through ``SyncSaverInThreads`` (async
methods calling the sync ones in a worker thread). It runs on whichever database the suite is
configured for, so ``.ci/run`` covers PostgreSQL and SQLite. The report object is checked, not
its printed verdict: a saver that implements nothing also prints "FULL".
"""
from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.conformance import checkpointer_test, validate
from langgraph.checkpoint.conformance.capabilities import ALL_CAPABILITIES, DetectedCapabilities
from langgraph.checkpoint.conformance.report import CapabilityReport

from sessions_app.checkpoint import DjangoSaver

from .checkpoint_fixtures import SyncSaverInThreads

pytestmark = pytest.mark.django_db(transaction=True)

# langgraph-checkpoint-conformance 0.0.2: tests per capability (81 in all).
EXPECTED_TESTS = {
    "put": 17,
    "put_writes": 10,
    "get_tuple": 10,
    "list": 16,
    "delete_thread": 5,
    "delete_for_runs": 7,
    "copy_thread": 8,
    "prune": 8,
}


def _run(make_saver: type[BaseCheckpointSaver] | object, name: str) -> CapabilityReport:
    @checkpointer_test(name=name)
    async def factory() -> AsyncIterator[BaseCheckpointSaver]:
        yield make_saver()  # type: ignore[operator]

    report = asyncio.run(validate(factory))
    report.print_report()
    return report


def _assert_full(report: CapabilityReport) -> None:
    assert {c.value for c in ALL_CAPABILITIES} == set(EXPECTED_TESTS)
    failures = {name: r.failures for name, r in report.results.items() if r.failures}
    assert not failures, failures
    for capability, expected in EXPECTED_TESTS.items():
        result = report.results[capability]
        assert result.detected, f"{capability} not detected"
        assert result.passed is True, f"{capability}: {result.failures}"
        assert (result.tests_passed, result.tests_failed, result.tests_skipped) == (expected, 0, 0), capability
    assert sum(r.tests_passed for r in report.results.values()) == 81
    assert report.conformance_level() == "FULL"


def test_every_capability_is_detected_on_both_apis() -> None:
    for saver in (DjangoSaver(), SyncSaverInThreads(DjangoSaver())):
        detected = DetectedCapabilities.from_instance(saver)
        assert detected.detected == ALL_CAPABILITIES and not detected.missing


def test_conformance_async_api() -> None:
    _assert_full(_run(DjangoSaver, "DjangoSaver (async API)"))


def test_conformance_sync_api_in_threads() -> None:
    _assert_full(_run(lambda: SyncSaverInThreads(DjangoSaver()), "DjangoSaver (sync API in threads)"))
