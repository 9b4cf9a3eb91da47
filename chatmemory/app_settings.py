"""chatmemory's own settings, read from the environment like the rest (``chatmemory/env.py``).

Imported at the end of ``chatmemory/settings.py`` (the one settings module Django loads): there the
Django and service settings (database, caches, broker, security, static files, logging), here what
the product itself is tuned with — the chat model and prompt, context and memory, limits, retention
and its beat schedule, the active-session cache. Every name is documented where it is set.
"""
from __future__ import annotations

from celery.schedules import crontab

from .env import env_bool, env_int, env_str

# --- The chat model and the prompt -----------------------------------------------------------------
OPENAI_API_KEY = env_str("OPENAI_API_KEY")
OPENAI_BASE_URL = env_str("OPENAI_BASE_URL")
CHATMEMORY_MODEL = env_str("CHATMEMORY_MODEL", "gpt-4o-mini")
# Seconds before a call to the OpenAI-compatible server is abandoned.
CHATMEMORY_MODEL_TIMEOUT = env_int("CHATMEMORY_MODEL_TIMEOUT", 60, minimum=1)
# Connections to the model server per process and event loop (each streamed answer holds one).
CHATMEMORY_MODEL_MAX_CONNECTIONS = env_int("CHATMEMORY_MODEL_MAX_CONNECTIONS", 4096, minimum=1)
# Seconds for the small call that titles a new conversation (in Celery, never in the turn).
CHATMEMORY_TITLE_TIMEOUT = env_int("CHATMEMORY_TITLE_TIMEOUT", 10, minimum=1)
CHATMEMORY_SYSTEM_PROMPT = env_str(
    "CHATMEMORY_SYSTEM_PROMPT", "You are a helpful assistant. Use the conversation so far."
)
# Messages read from storage for the model's context (the recent window) ...
CHATMEMORY_CONTEXT_WINDOW = env_int("CHATMEMORY_CONTEXT_WINDOW", 40, minimum=1)
# ... then trimmed by langchain_core's trim_messages to this many tokens (approximate count).
CHATMEMORY_CONTEXT_MAX_TOKENS = env_int("CHATMEMORY_CONTEXT_MAX_TOKENS", 3000, minimum=64)
# Memory beyond the window (sessions_app.memory, docs/memory.md), each part switchable, each with a
# token budget inside CHATMEMORY_CONTEXT_MAX_TOKENS: the rolling summary of what left the window
# (rewritten by a Celery task once SUMMARY_STEP more messages left it), recall of older messages
# relevant to the new one, and the user's memories (the Memory page; "remember …").
CHATMEMORY_MEMORY_SUMMARY = env_bool("CHATMEMORY_MEMORY_SUMMARY", True)
CHATMEMORY_MEMORY_RECALL = env_bool("CHATMEMORY_MEMORY_RECALL", True)
CHATMEMORY_MEMORY_USER = env_bool("CHATMEMORY_MEMORY_USER", True)
CHATMEMORY_MEMORY_SUMMARY_TOKENS = env_int("CHATMEMORY_MEMORY_SUMMARY_TOKENS", 400, minimum=32)
CHATMEMORY_MEMORY_RECALL_TOKENS = env_int("CHATMEMORY_MEMORY_RECALL_TOKENS", 600, minimum=32)
CHATMEMORY_MEMORY_USER_TOKENS = env_int("CHATMEMORY_MEMORY_USER_TOKENS", 300, minimum=32)
CHATMEMORY_MEMORY_SUMMARY_STEP = env_int("CHATMEMORY_MEMORY_SUMMARY_STEP", 20, minimum=1)
# Largest accepted user message, in characters.
CHATMEMORY_MAX_MESSAGE_CHARS = env_int("CHATMEMORY_MAX_MESSAGE_CHARS", 32_000, minimum=1)
# Delay between tokens of the offline model's stream, in milliseconds (0 in tests).
CHATMEMORY_OFFLINE_TOKEN_DELAY_MS = env_int("CHATMEMORY_OFFLINE_TOKEN_DELAY_MS", 15, minimum=0)

# --- The JSON API and chat limits ----------------------------------------------------------------
# Largest request body Django reads, in bytes (larger → 413 JSON on the API). Django's default is 2.5 MB.
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("DATA_UPLOAD_MAX_MEMORY_SIZE", 1_048_576, minimum=1024)
# Session metadata: at most this many bytes of JSON, nested at most this deep.
CHATMEMORY_API_MAX_METADATA_BYTES = env_int("CHATMEMORY_API_MAX_METADATA_BYTES", 16_384, minimum=2)
CHATMEMORY_API_MAX_METADATA_DEPTH = env_int("CHATMEMORY_API_MAX_METADATA_DEPTH", 8, minimum=1)
# Per-user chat rate limit: at most this many turns (0 = off) ...
CHATMEMORY_CHAT_RATE_LIMIT = env_int("CHATMEMORY_CHAT_RATE_LIMIT", 30, minimum=0)
# ... in any window of this many seconds (a moving window, sessions_app/conversations/ratelimit.py; Redis when set).
CHATMEMORY_CHAT_RATE_WINDOW = env_int("CHATMEMORY_CHAT_RATE_WINDOW", 60, minimum=1)

# --- Retention: LangGraph checkpoints, conversations, state versions -----------------------------
# Retention of LangGraph threads (sessions_app.tasks.prune_checkpoints, run daily by Celery beat):
# keep this many checkpoints per thread namespace ...
CHATMEMORY_CHECKPOINT_KEEP = env_int("CHATMEMORY_CHECKPOINT_KEEP", 100, minimum=1)
# ... and delete older ones only once they are this many days old.
CHATMEMORY_CHECKPOINT_PRUNE_AFTER_DAYS = env_int("CHATMEMORY_CHECKPOINT_PRUNE_AFTER_DAYS", 30, minimum=0)
# Archive active sessions with no activity for this many days (0 = never archive).
CHATMEMORY_ARCHIVE_AFTER_DAYS = env_int("CHATMEMORY_ARCHIVE_AFTER_DAYS", 90, minimum=0)
# Delete archived sessions archived more than this many days ago (0 = never purge).
CHATMEMORY_PURGE_ARCHIVED_AFTER_DAYS = env_int("CHATMEMORY_PURGE_ARCHIVED_AFTER_DAYS", 365, minimum=0)
# State versions kept per session when its metadata says {"keep_state_versions": true} (an integer
# there overrides it); tagged snapshots are always kept.
CHATMEMORY_KEEP_STATE_VERSIONS = env_int("CHATMEMORY_KEEP_STATE_VERSIONS", 20, minimum=1)
# Days the tombstone of a deleted conversation (sessions_app.models.DeletedSession: id, time, reason;
# it refuses late writes with SessionGone/ThreadGone) is kept; retention deletes older ones (0 = keep for ever).
CHATMEMORY_TOMBSTONE_DAYS = env_int("CHATMEMORY_TOMBSTONE_DAYS", 365, minimum=0)
# Sessions per retention batch (one transaction and one DELETE/UPDATE per batch).
CHATMEMORY_RETENTION_BATCH_SIZE = env_int("CHATMEMORY_RETENTION_BATCH_SIZE", 500, minimum=1)
# The beat schedule, declared in code (one entry per periodic task).
CELERY_BEAT_SCHEDULE = {
    "apply-retention-daily": {  # sessions_app.tasks.apply_retention
        "task": "sessions_app.tasks.apply_retention",
        "schedule": crontab(hour=3, minute=17),  # UTC (CELERY_TIMEZONE)
        # A run that could not start within 12 hours is dropped; the next day's run catches up.
        "options": {"expires": 12 * 60 * 60},  # seconds
    },
    "prune-checkpoints": {  # sessions_app.tasks.prune_checkpoints
        "task": "sessions_app.prune_checkpoints",
        "schedule": 24 * 60 * 60,  # seconds
        "kwargs": {"keep": CHATMEMORY_CHECKPOINT_KEEP, "older_than_days": CHATMEMORY_CHECKPOINT_PRUNE_AFTER_DAYS},
    },
    "sweep-store": {"task": "sessions_app.sweep_store", "schedule": 60 * 60},  # expired store items, hourly
}

# --- The active-session cache and /health --------------------------------------------------------
# Seconds a session's cache entry lives after its last activity (per-session ChatSession.cache_ttl).
CHATMEMORY_CACHE_TTL = env_int("CHATMEMORY_CACHE_TTL", 1800, minimum=60)
# Most recent messages kept in the cache per session (reads of more go to the database).
CHATMEMORY_CACHE_WINDOW = env_int("CHATMEMORY_CACHE_WINDOW", 100, minimum=1)
# During a cache (Redis) outage: the first failure is logged, then one line per this many seconds
# with the count of degraded cache operations, then one when it answers (sessions_app/cache/outage.py).
CHATMEMORY_CACHE_OUTAGE_LOG_INTERVAL = env_int("CHATMEMORY_CACHE_OUTAGE_LOG_INTERVAL", 60, minimum=1)
# Seconds /health waits for the broker before calling it down.
CHATMEMORY_HEALTH_BROKER_TIMEOUT = env_int("CHATMEMORY_HEALTH_BROKER_TIMEOUT", 2, minimum=1)

# --- Find, organize, share (sessions_app.search / sharing, issue 13) ------------------------------
# Full-text search ranks the most recent this-many matching messages of the caller (a bound per query) ...
CHATMEMORY_SEARCH_CANDIDATES = env_int("CHATMEMORY_SEARCH_CANDIDATES", 500, minimum=20)
# ... and when it finds nothing, the substring search (word parts, CJK) runs by itself for callers with at most
# this many messages; it may scan for this many milliseconds (0 = off).
CHATMEMORY_SEARCH_FALLBACK_MAX_MESSAGES = env_int("CHATMEMORY_SEARCH_FALLBACK_MAX_MESSAGES", 20_000, minimum=0)
CHATMEMORY_SEARCH_FALLBACK_MS = env_int("CHATMEMORY_SEARCH_FALLBACK_MS", 500, minimum=0)
# Largest ShareGPT / ChatGPT file accepted by the upload import (page and API), in bytes.
CHATMEMORY_IMPORT_MAX_BYTES = env_int("CHATMEMORY_IMPORT_MAX_BYTES", 256 * 1024 * 1024, minimum=1024)
