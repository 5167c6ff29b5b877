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

# A long campaign over many seeds on every core.
nightly:
	$(GO) run ./cmd/simrun run --scenario sync --seeds $(SEEDS) --out $(OUT)/nightly

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./...

lint:
	@test -z "$$(gofmt -l .)" || (gofmt -l .; exit 1)
	$(GO) vet ./...

run:
	$(GO) run ./cmd/simrun run --scenario sync --seeds 100
