# Convenience entries; the README documents each. CI runs .ci/run.
# Kaskade builds with go1.27.3 (go.mod); a go command whose GOTOOLCHAIN is local would stop (see the README's top).
export GOTOOLCHAIN := go1.27.3
.PHONY: run test test-all ci crash crash-full bench

run:
	go run ./cmd/kaskade serve

# The README's default run, with the race detector.
test:
	go test -race ./...

# Every suite, as CI runs it (crash harness, cluster, browser, mailpit).
test-all:
	KASKADE_E2E=1 go test -race ./...

ci:
	bash .ci/run

# The kill -9 harness at CI size (400 people, 20 kills).
crash:
	KASKADE_E2E=1 go test -run TestCrashHarness -v -count=1 ./cmd/kaskade

# The full harness: 10,000 people, 30 kills.
crash-full:
	KASKADE_E2E=1 KASKADE_CRASH_PEOPLE=10000 KASKADE_CRASH_KILLS=30 go test -run TestCrashHarness -v -count=1 -timeout 30m ./cmd/kaskade

bench:
	go run ./cmd/kaskade-bench
