"""chatmemory's Prometheus metrics (prometheus-client), one module-level object per metric.

Names and units (seconds, counts), labels in brackets:

* ``chatmemory_http_requests_total`` [method, route, status] and
  ``chatmemory_http_request_duration_seconds`` [method, route] — every request; ``route`` is the
  view's name (``api:chat``, ``conversation_stream`` …), never the raw path, so the
  label set stays small; a streamed response is timed to its headers.
* ``chatmemory_turn_duration_seconds`` [mode] — a chat turn from its start to the stored pair;
  ``chatmemory_turn_ttft_seconds`` [mode] — to the first piece of the answer; mode = ``stream`` |
  ``json``; ``chatmemory_turns_total`` [mode, outcome] — outcome = ``stored`` | ``failed``.
* ``chatmemory_model_errors_total`` [error] — the model's failures by exception class.
* ``chatmemory_active_streams`` — answers being streamed now (summed over live processes).
* ``chatmemory_cache_events_total`` [event] — active-session cache ``hit`` | ``miss`` |
  ``fallback`` (Redis failed; the database answered).
* ``chatmemory_checkpoint_op_duration_seconds`` [op] — ``DjangoSaver`` operations
  (``get_tuple``, ``list``, ``put``, ``put_writes``; async twins under the same names).
* ``chatmemory_retention_actions_total`` [action] — sessions archived / purged, checkpoints pruned.

With ``PROMETHEUS_MULTIPROC_DIR`` set (gunicorn workers, Celery), prometheus-client writes each
process's values to files there and ``exposition.render`` sums them; the gauge uses
``livesum`` (dead workers drop out; gunicorn's ``child_exit`` marks them, ``chatmemory/gunicorn.py``).
"""
from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Gauge, Histogram

# seconds; a turn at 20 tokens/s takes 5-30 s, a request or a checkpoint operation milliseconds.
_FAST = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)
_TURN = (0.05, 0.1, 0.25, 0.5, 0.75, 1.0, 1.5, 2.5, 5.0, 10.0, 20.0, 30.0, 60.0, 120.0)

HTTP_REQUESTS = Counter("chatmemory_http_requests", "HTTP requests answered", ["method", "route", "status"])
HTTP_DURATION = Histogram("chatmemory_http_request_duration_seconds", "Time to the response's headers",
                          ["method", "route"], buckets=_FAST)
TURN_DURATION = Histogram("chatmemory_turn_duration_seconds", "A chat turn, start to stored pair", ["mode"],
                          buckets=_TURN)
TURN_TTFT = Histogram("chatmemory_turn_ttft_seconds", "A chat turn, start to the first piece of the answer",
                      ["mode"], buckets=_TURN)
TURNS = Counter("chatmemory_turns", "Chat turns finished", ["mode", "outcome"])
MODEL_ERRORS = Counter("chatmemory_model_errors", "Chat model failures", ["error"])
ACTIVE_STREAMS = Gauge("chatmemory_active_streams", "Answers being streamed now", multiprocess_mode="livesum")
CACHE_EVENTS = Counter("chatmemory_cache_events", "Active-session cache reads", ["event"])
CHECKPOINT_DURATION = Histogram("chatmemory_checkpoint_op_duration_seconds", "DjangoSaver operations", ["op"],
                                buckets=_FAST)
RETENTION_ACTIONS = Counter("chatmemory_retention_actions", "Retention actions", ["action"])


def cache_event(event: str, count: int = 1) -> None:
    """Count ``count`` cache ``hit`` / ``miss`` / ``fallback`` events."""
    CACHE_EVENTS.labels(event).inc(count)


def retention_action(action: str, count: int) -> None:
    """Count ``count`` retention actions (``archived``, ``purged``, ``checkpoints_pruned`` …)."""
    if count:
        RETENTION_ACTIONS.labels(action).inc(count)


@contextmanager
def checkpoint_timer(op: str) -> Iterator[None]:
    """Time one checkpoint operation (``with checkpoint_timer("put"): …``)."""
    start = time.perf_counter()
    try:
        yield
    finally:
        CHECKPOINT_DURATION.labels(op).observe(time.perf_counter() - start)
