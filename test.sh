#!/usr/bin/env bash
# test.sh: the whole test suite, as CI runs it (.ci/run calls exactly this).
# It installs what the tests need, then runs vet, the unit, integration and
# end-to-end tests (with the race detector), after a short pass of every fuzz target.
#   ./test.sh            everything
#   FUZZTIME=30s ./test.sh   longer fuzzing for the other targets (default 5s per target)
#   FUZZTIME_LONG=5m ./test.sh   longer fuzzing of the verifiers, the config loader and
#                                the filter compiler (default 1m per target)
set -euo pipefail
cd "$(dirname "$0")"

command -v go >/dev/null || { echo "test.sh: Go is required (https://go.dev/dl)" >&2; exit 1; }

echo "== go mod download"
go mod download

echo "== npm ci (conformance/: the providers' own SDKs sign its cases)"
if command -v node >/dev/null && command -v npm >/dev/null; then
  (cd conformance && npm ci --no-audit --no-fund)
elif [ "${CI:-}" = true ]; then
  echo "test.sh: node and npm are required for the conformance suite (Node.js 20+, https://nodejs.org)" >&2
  exit 1
else
  echo "test.sh: node or npm missing; the conformance test will be skipped" >&2
fi

echo "== tools from Debian packages (chromium, systemd-analyze, strace)"
# internal/ui's browser test drives a headless Chromium (chromedp; screenshots
# go to $HOOKGATE_ARTIFACTS/ui, default artifacts/ui); deploy/'s test verifies
# the systemd unit with systemd-analyze; e2e's path-traversal test watches the
# gateway's file system calls with strace. Missing ones are installed in one
# apt-get run (as root). Tests that need a missing tool skip, except under
# CI=true, where they fail.
missing_pkgs=()
command -v chromium >/dev/null || missing_pkgs+=(chromium)
command -v systemd-analyze >/dev/null || missing_pkgs+=(systemd)
command -v strace >/dev/null || missing_pkgs+=(strace)
if [ ${#missing_pkgs[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    export DEBIAN_FRONTEND=noninteractive
    (apt-get update -qq && apt-get install -y -qq "${missing_pkgs[@]}" >/dev/null) \
      || echo "test.sh: apt-get install ${missing_pkgs[*]} failed" >&2
  fi
  for tool in chromium systemd-analyze strace; do
    if ! command -v "$tool" >/dev/null; then
      if [ "${CI:-}" = true ]; then
        echo "test.sh: $tool is required under CI=true and could not be installed (apt-get install ${missing_pkgs[*]})" >&2
        exit 1
      fi
      echo "test.sh: $tool not found; the tests that need it will be skipped" >&2
    fi
  done
fi

echo "== go vet"
go vet ./...

# The verifiers (every preset and handshake, the auth schemes), the config loader and the
# filter compiler are fuzzed for FUZZTIME_LONG each; every other target for
# FUZZTIME. The long ones run two at a time, each with one fuzzing worker
# (-parallel 1) on its own core: each still gets its whole FUZZTIME_LONG, and
# the phase takes half the time.
long_fuzz=" FuzzPresets FuzzChallenges FuzzCredentials FuzzBasic FuzzParse FuzzCompile "
echo "== fuzz (${FUZZTIME_LONG:-1m} for$long_fuzz(two at a time); ${FUZZTIME:-5s} for the other targets)"
count_files() { if [ -d "$1" ]; then find "$1" -type f | wc -l; else echo 0; fi; }
fuzzdir=$(mktemp -d)
trap 'rm -rf "$fuzzdir"' EXIT
# fuzz_one PKG DIR TARGET TIME LOG [go test flags...]: fuzz one target; fails
# (printing its log) on a finding.
fuzz_one() {
  local pkg=$1 dir=$2 target=$3 fuzztime=$4 log=$5; shift 5
  local corpus="$dir/testdata/fuzz/$target" before after
  before=$(count_files "$corpus")
  if ! go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$@" "$pkg" >"$log" 2>&1; then
    after=$(count_files "$corpus")
    # Go 1.26's fuzz coordinator can end a clean run with a bare "context
    # deadline exceeded" (golang/go#75804). That, with no failing input
    # written, is not a finding; anything else is.
    if [ "$after" = "$before" ] && grep -q 'context deadline exceeded' "$log" && ! grep -qE 'Failing input|panic:|--- FAIL: .*\n.*fuzz_test' "$log"; then
      echo "   ($target ended by golang/go#75804 with no failing input; not a finding)"
    else
      echo "-- $pkg $target FAILED:"; cat "$log"; return 1
    fi
  fi
}
# Each package's Fuzz* targets, one at a time (go test allows one -fuzz per
# run); the long ones are kept for the paired pass below.
long_targets=()
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    case "$long_fuzz" in *" $target "*) long_targets+=("$pkg|$dir|$target"); continue ;; esac
    echo "-- $pkg $target (${FUZZTIME:-5s})"
    fuzz_one "$pkg" "$dir" "$target" "${FUZZTIME:-5s}" "$fuzzdir/short.log" || exit 1
  done
done
for ((i = 0; i < ${#long_targets[@]}; i += 2)); do
  pids=()
  for entry in "${long_targets[@]:i:2}"; do
    IFS='|' read -r pkg dir target <<<"$entry"
    echo "-- $pkg $target (${FUZZTIME_LONG:-1m})"
    fuzz_one "$pkg" "$dir" "$target" "${FUZZTIME_LONG:-1m}" "$fuzzdir/$target.log" -parallel 1 &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do wait "$pid" || exit 1; done
done
echo "fuzz: all targets passed"

echo "== postgres (a throwaway cluster for the postgres store and the multi-node e2e tests)"
# scripts/pg-test-cluster.sh initdb's a cluster into a temp folder, on
# 127.0.0.1 and a free port, and prints HOOKGATE_TEST_POSTGRES_DSN. Tests that
# need PostgreSQL skip without it, except under CI=true, where they fail. A
# DSN already set is used as it is.
if [ -z "${HOOKGATE_TEST_POSTGRES_DSN:-}" ]; then
  if ! scripts/pg-test-cluster.sh find >/dev/null 2>&1 && [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    # postgresql-common first, told not to make a system cluster (the
    # postgresql package would otherwise create and start one on :5432).
    export DEBIAN_FRONTEND=noninteractive
    (apt-get update -qq && apt-get install -y -qq postgresql-common >/dev/null \
      && sed -ri 's/^#?[[:space:]]*create_main_cluster[[:space:]]*=.*/create_main_cluster = false/' /etc/postgresql-common/createcluster.conf \
      && apt-get install -y -qq postgresql >/dev/null) \
      || echo "test.sh: apt-get install postgresql failed" >&2
  fi
  if scripts/pg-test-cluster.sh find >/dev/null 2>&1; then
    pg_env=$(scripts/pg-test-cluster.sh start --until-exit $$)   # fails test.sh if it fails
    eval "$pg_env"
    echo "PostgreSQL test cluster in $HOOKGATE_TEST_PG_CLUSTER"
    # Stop it on exit, then run the exit trap set before (captured by
    # evaluating `trap -p` with a stand-in for trap, so its quoting holds).
    prev_exit_trap=''
    capture_trap() { prev_exit_trap=$2; }
    eval "$(trap -p EXIT | sed 's/^trap /capture_trap /')"
    trap 'scripts/pg-test-cluster.sh stop "$HOOKGATE_TEST_PG_CLUSTER" || true; eval "$prev_exit_trap"' EXIT
  elif [ "${CI:-}" = true ]; then
    echo "test.sh: PostgreSQL is required under CI=true, and its server binaries could not be installed" >&2
    exit 1
  else
    echo "test.sh: PostgreSQL server binaries not found (apt-get install postgresql); the postgres tests will be skipped" >&2
  fi
fi

echo "== queues (throwaway RabbitMQ, Redis, beanstalkd, NATS and SQS servers for the queue destinations)"
# scripts/queue-test-servers.sh installs the brokers from Debian's packages when
# they are missing (as root, without starting their system services), starts
# each on 127.0.0.1 and a free port in a temp folder (the SQS one is goaws,
# built from scripts/sqs-test-server), and prints HOOKGATE_TEST_AMQP_URL,
# _REDIS_ADDR, _BEANSTALKD_ADDR, _NATS_URL and _SQS_ENDPOINT. Tests without
# their variable skip, except under CI=true, where they fail. Variables already
# set are used as they are.
if [ -z "${HOOKGATE_TEST_AMQP_URL:-}" ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    scripts/queue-test-servers.sh install || echo "test.sh: apt-get install of the queue servers failed" >&2
  fi
  queue_env=$(scripts/queue-test-servers.sh start --until-exit $$)   # fails test.sh if a server fails
  eval "$queue_env"
  echo "queue test servers in $HOOKGATE_TEST_QUEUE_DIR"
  # Stop them on exit, then run the exit trap set before (as for postgres).
  prev_exit_trap_queues=''
  capture_trap_queues() { prev_exit_trap_queues=$2; }
  eval "$(trap -p EXIT | sed 's/^trap /capture_trap_queues /')"
  trap 'scripts/queue-test-servers.sh stop "$HOOKGATE_TEST_QUEUE_DIR" || true; eval "$prev_exit_trap_queues"' EXIT
fi

echo "== go test -race"
# The race detector runs over everything; e2e and conformance build their own
# (non-race) binaries, so the gateway under load is checked by the unit and
# integration tests of each package.
go test -race -count=1 -timeout 15m ./...

# The web UI's browser test leaves a screenshot of each page here.
echo "screenshots of the web UI: ${HOOKGATE_ARTIFACTS:-$PWD/artifacts}/ui/"
ls "${HOOKGATE_ARTIFACTS:-$PWD/artifacts}/ui/" 2>/dev/null || true
