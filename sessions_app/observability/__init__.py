"""Metrics (Prometheus, ``metrics``) and their exposition (``exposition``) for ``/metrics``.

The lowest room of the layout: storage (cache, checkpoint), the domain and the interfaces all
record into it; it imports nothing of the project.
"""
