# Everyday targets. `make test` is what CI runs (see README).
GO ?= go
FUZZTIME ?= 60s
SEEDS ?= 10000
OUT ?= out

.PHONY: test race fuzz nightly bench lint run

test:
	$(GO) test ./...

race:
	$(GO) test -race ./...

# Coverage-guided fuzzing: each target for FUZZTIME.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for t in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$t"; $(GO) test -run '^$$' -fuzz "^$$t$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# The nightly campaign: each of NIGHTLY_SCENARIOS for NIGHTLY_BUDGET of
# wall-clock time (or NIGHTLY_SEEDS seeds, whichever comes first), on every
# core, into $(OUT)/nightly/SCENARIO/ (summary.json, report.html,
# report.md, junit.xml and the failing seeds' files). Every scenario runs
# even if one fails; the exit code is the worst (1: a failure was found).
# Add a scenario (e.g. swarm, once it exists) to NIGHTLY_SCENARIOS.
NIGHTLY_SCENARIOS ?= sync resets
NIGHTLY_SEEDS ?= 1e12
NIGHTLY_BUDGET ?= 20m
NIGHTLY_FLAGS ?=

nightly:
	$(GO) build -o $(OUT)/simrun ./cmd/simrun
	@status=0; for sc in $(NIGHTLY_SCENARIOS); do \
	  echo "== nightly: $$sc for $(NIGHTLY_BUDGET)"; \
	  $(OUT)/simrun run --scenario $$sc --seeds $(NIGHTLY_SEEDS) --budget $(NIGHTLY_BUDGET) \
	    --progress-every 500 --out $(OUT)/nightly/$$sc $(NIGHTLY_FLAGS) || { rc=$$?; [ $$rc -gt $$status ] && status=$$rc; }; \
	done; exit $$status

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

lint:
	@test -z "$$(gofmt -l .)" || (gofmt -l .; exit 1)
	$(GO) vet ./...

run:
	$(GO) run ./cmd/simrun run --scenario sync --seeds 100
