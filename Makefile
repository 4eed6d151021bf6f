# The habits in one place: `make check` is what CI runs before the tests (.ci/run).
# BIN is the virtual environment the README makes; override it: `make BIN=/path/bin check`.
BIN ?= .venv/bin
BENCHES = append ingest ledger projections retention api alert_latency recognition growth \
	mixed_load public_page
SIZE ?= --smoke

.PHONY: check test bench demo

check:  ## lint, types, and the import contracts (dependencies point inwards)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

test:  ## the whole suite (PostgreSQL on 127.0.0.1:5432; LFR_TEST_POSTGRES names the database)
	$(BIN)/pytest -q

bench:  ## every benchmark at its smoke size; `make bench SIZE=` for the full sizes
	for b in $(BENCHES); do echo "== bench/$$b"; $(BIN)/python -m bench.$$b $(SIZE) || exit 1; done

demo:  ## one complete deployment lifecycle on the configured stores, narrated
	$(BIN)/lfr demo
