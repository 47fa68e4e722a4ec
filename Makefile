# Single entry point for people and CI. `make help` lists the targets.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-stamp
export Q

.DEFAULT_GOAL := help
.PHONY: help install index ask test test-slow check lint eval tune report bench fuzz clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

install: $(STAMP) ## Create .venv and install the package with its dev extras (idempotent)

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(PY) -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $(STAMP)

index: install ## Build indexes/default from corpus/
	$(PY) cli.py index build

ask: install ## Answer a question: make ask Q="đăng ký tạm trú cần giấy tờ gì" (indexes as needed)
	@test -n "$$Q" || { echo 'usage: make ask Q="câu hỏi"' >&2; exit 2; }
	$(PY) cli.py ask -- "$$Q"

test: install ## Run the test suite and validate the corpus
	$(PY) -m pytest -q -m "not slow"
	$(PY) cli.py corpus check

test-slow: install ## Run the slower checks only
	$(PY) -m pytest -q -m slow

check: install ## Validate the corpus
	$(PY) cli.py corpus check

lint: install ## ruff
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

# every held-out set in the tree, in number order (holdout21, holdout22, …; sets 1–20 became corpus/examples/); each has queries.jsonl and floor.json
HOLDOUTS := $(shell ls -d corpus/eval/holdout*/ | sed 's,/$$,,' | sort -V)
# FAQ tables from other domains, each indexed on its own (indexes/<name>) through the generic FAQ path
GENERALS := corpus/eval/general corpus/eval/general2
GENERAL_INDEX = $(PY) cli.py index build --corpus $$g/answers.jsonl --out indexes/$$(basename $$g)

eval: install ## Evaluate on the test, every held-out (HOLDOUTS) and both general FAQ sets; fails below their floor.json
	$(PY) cli.py eval --gate
	@for d in $(HOLDOUTS); do echo "== $$d"; $(PY) cli.py eval --gate --dataset $$d/queries.jsonl --floor $$d/floor.json || exit $$?; done
	@for g in $(GENERALS); do echo "== $$g"; $(GENERAL_INDEX) && $(PY) cli.py eval --gate --index indexes/$$(basename $$g) --dataset $$g/queries.jsonl --floor $$g/floor.json || exit $$?; done

tune: install ## Choose weights and the abstention threshold on the dev set (writes corpus/tuning.json)
	$(PY) cli.py eval --tune

report: install ## Regenerate the reports: test set (as written, unaccented, with typos), each held-out set, all held-out sets pooled, both general sets
	$(PY) cli.py eval --report corpus/eval/REPORT.md --ablations
	$(PY) cli.py eval --report corpus/eval/stress/UNACCENTED.md --ablations --strip-diacritics
	$(PY) cli.py eval --report corpus/eval/stress/TYPOS.md --ablations --typos 2
	@for d in $(HOLDOUTS); do echo "== $$d"; $(PY) cli.py eval --report $$d/REPORT.md --ablations --dataset $$d/queries.jsonl || exit $$?; done
	$(PY) cli.py eval --report corpus/eval/HELDOUT.md --ablations $(addprefix --dataset ,$(addsuffix /queries.jsonl,$(HOLDOUTS)))
	@for g in $(GENERALS); do echo "== $$g"; $(GENERAL_INDEX) && $(PY) cli.py eval --index indexes/$$(basename $$g) --dataset $$g/queries.jsonl --report $$g/REPORT.md || exit $$?; done

bench: install ## Benchmark latency, cold start, build time/size/memory beside bm25s (SIZES=real,1k,10k,100k)
	$(PY) bench/run.py $(if $(SIZES),--sizes $(SIZES))

fuzz: install ## Fuzz the analyzer and corpus parsers, ~2 min (FUZZ_SECONDS=n up to 300, FUZZ_SEED=n to replay)
	$(PY) tests/fuzz.py $(if $(FUZZ_SECONDS),--seconds $(FUZZ_SECONDS)) $(if $(FUZZ_SEED),--seed $(FUZZ_SEED))

clean: ## Remove built indexes and caches (keeps .venv)
	rm -rf indexes/default indexes/.default.* $(foreach g,$(notdir $(GENERALS)),indexes/$(g) indexes/.$(g).*) indexes/.cache .pytest_cache
