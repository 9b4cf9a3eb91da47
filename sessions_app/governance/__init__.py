"""Governance: audit log, lifecycle (archive/delete in batches), retention, erasure, versioned state, stats.

May import storage (models, cache, checkpoint) and conversations' selectors; never an interface.
"""
