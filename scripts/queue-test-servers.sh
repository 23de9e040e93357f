#!/usr/bin/env bash
# queue-test-servers.sh: throwaway message brokers for the queue destination
# tests (internal/destination/queue).
#
#   scripts/queue-test-servers.sh install   apt-get install the servers that are
#                                           missing (as root, with apt-get), without
#                                           starting their system services
#   scripts/queue-test-servers.sh start [--until-exit PID]
#                                           start every server found; prints `export`
#                                           lines; with --until-exit, also stop them
#                                           and remove their folder once process PID
#                                           has ended
#   scripts/queue-test-servers.sh stop DIR  stop the servers started in DIR, remove DIR
#
# `start` starts, in a fresh folder under ${TMPDIR:-/tmp}, each on 127.0.0.1 and
# a free port, with nothing kept on disk beyond that folder:
#   RabbitMQ     HOOKGATE_TEST_AMQP_URL=amqp://guest:guest@127.0.0.1:PORT/
#                (its own epmd on a free port too; Erlang takes 5-10 s to boot)
#   Redis        HOOKGATE_TEST_REDIS_ADDR=127.0.0.1:PORT
#   beanstalkd   HOOKGATE_TEST_BEANSTALKD_ADDR=127.0.0.1:PORT
#   NATS         HOOKGATE_TEST_NATS_URL=nats://127.0.0.1:PORT (JetStream on)
#   SQS          HOOKGATE_TEST_SQS_ENDPOINT=http://127.0.0.1:PORT (goaws, built
#                from scripts/sqs-test-server with the Go toolchain)
# and HOOKGATE_TEST_QUEUE_DIR=DIR for `stop`. A server whose program is missing
# is left out, with a warning: its tests skip (and fail under CI=true). It
# fails if a server that was found does not start. The servers run as the
# calling user, root included.
set -euo pipefail

die() { echo "queue-test-servers: $*" >&2; exit 1; }
warn() { echo "queue-test-servers: $*" >&2; }

here=$(cd "$(dirname "$0")" && pwd)
rabbit_bin=/usr/lib/rabbitmq/bin/rabbitmq-server
packages=(rabbitmq-server redis-server beanstalkd nats-server)

have() {
  case "$1" in
    rabbitmq-server) [[ -x "$rabbit_bin" ]] && command -v epmd >/dev/null ;;
    *) command -v "$1" >/dev/null ;;
  esac
}

cmd_install() {
  local missing=() p
  for p in "${packages[@]}"; do have "$p" || missing+=("$p"); done
  [[ ${#missing[@]} -eq 0 ]] && return
  [[ $(id -u) -eq 0 ]] && command -v apt-get >/dev/null || die "missing ${missing[*]}: install them (apt-get install ${missing[*]})"
  # policy-rc.d answering 101 tells the packages' scripts not to start their
  # system services: the tests start their own.
  local policy=/usr/sbin/policy-rc.d made=""
  if [[ ! -e $policy ]]; then
    printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod 0755 "$policy" && made=1
  fi
  export DEBIAN_FRONTEND=noninteractive
  local rc=0
  { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null; } || rc=$?
  [[ -n $made ]] && rm -f "$policy"
  [[ $rc -eq 0 ]] || die "apt-get install ${missing[*]} failed"
}

# free_port prints a free port not yet handed out by this run.
used=" "
started=""
free_port() {
  local port i
  for i in $(seq 1 100); do
    port=$(( 20000 + RANDOM % 30000 ))
    [[ $used == *" $port "* ]] && continue
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then used+="$port "; echo "$port"; return; fi
  done
  die "no free port found"
}

# spawn NAME CMD... runs CMD in its own session (so `stop` can end it and its
# children by process group), logging to DIR/NAME.log.
spawn() {
  local name=$1; shift
  setsid "$@" </dev/null >"$dir/$name.log" 2>&1 &
  echo "$!" >>"$dir/pgids"
}

start_rabbitmq() {
  local port=$1 dist epmd_port
  dist=$(free_port); epmd_port=$(free_port)
  mkdir -p "$dir/rabbitmq"
  : >"$dir/rabbitmq/env.conf"   # not /etc/rabbitmq/rabbitmq-env.conf
  echo '[].' >"$dir/rabbitmq/enabled_plugins"
  cat >"$dir/rabbitmq/rabbitmq.conf" <<EOF
listeners.tcp.default = 127.0.0.1:$port
log.console = false
log.file.level = warning
EOF
  spawn epmd epmd -port "$epmd_port" -address 127.0.0.1
  spawn rabbitmq env HOME="$dir/rabbitmq" \
    RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq/env.conf" \
    RABBITMQ_NODENAME="hookgate-$port@localhost" \
    RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODE_PORT="$port" RABBITMQ_DIST_PORT="$dist" \
    ERL_EPMD_PORT="$epmd_port" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq/rabbitmq.conf" \
    RABBITMQ_ENABLED_PLUGINS_FILE="$dir/rabbitmq/enabled_plugins" \
    RABBITMQ_MNESIA_BASE="$dir/rabbitmq/mnesia" RABBITMQ_LOG_BASE="$dir/rabbitmq/log" \
    RABBITMQ_PID_FILE="$dir/rabbitmq/pid" \
    "$rabbit_bin"
}

# wait_port NAME PORT SECONDS waits until PORT accepts connections.
wait_port() {
  local name=$1 port=$2 deadline=$(( SECONDS + $3 ))
  until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
    if (( SECONDS >= deadline )); then
      tail -n 20 "$dir/$name.log" >&2 || true
      die "$name did not listen on 127.0.0.1:$port within $3 s (log: $dir/$name.log)"
    fi
    sleep 0.1
  done
}

cmd_start() {
  local watch=""
  if [[ "${1:-}" == --until-exit ]]; then
    watch=${2:-}
    [[ "$watch" =~ ^[0-9]+$ ]] || die "start: --until-exit wants a process id"
  fi
  dir=$(mktemp -d "${TMPDIR:-/tmp}/hookgate-queues.XXXXXX")
  : >"$dir/pgids"
  if [[ -n "$watch" ]]; then
    # Detached, and off stdout, so whoever reads our output is not held.
    setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; exec "$2" stop "$3"' \
      _ "$watch" "$here/queue-test-servers.sh" "$dir" </dev/null >/dev/null 2>&1 &
  fi
  # If anything below fails, take down what was started.
  started=""
  trap '[[ -n $started ]] || cmd_stop "$dir" >/dev/null 2>&1 || true' EXIT

  local exports=() waits=() port
  # RabbitMQ first: it is the slowest, and boots while the rest start.
  if have rabbitmq-server; then
    port=$(free_port); start_rabbitmq "$port"
    waits+=("rabbitmq $port 60"); exports+=("HOOKGATE_TEST_AMQP_URL='amqp://guest:guest@127.0.0.1:$port/'")
  else warn "RabbitMQ not found (apt-get install rabbitmq-server); its tests will skip"; fi
  if have redis-server; then
    port=$(free_port); mkdir -p "$dir/redis"
    spawn redis redis-server --bind 127.0.0.1 --port "$port" --dir "$dir/redis" --save '' --appendonly no
    waits+=("redis $port 15"); exports+=("HOOKGATE_TEST_REDIS_ADDR='127.0.0.1:$port'")
  else warn "redis-server not found (apt-get install redis-server); its tests will skip"; fi
  if have beanstalkd; then
    port=$(free_port)
    spawn beanstalkd beanstalkd -l 127.0.0.1 -p "$port"
    waits+=("beanstalkd $port 15"); exports+=("HOOKGATE_TEST_BEANSTALKD_ADDR='127.0.0.1:$port'")
  else warn "beanstalkd not found (apt-get install beanstalkd); its tests will skip"; fi
  if have nats-server; then
    port=$(free_port)
    spawn nats nats-server -a 127.0.0.1 -p "$port" -js -sd "$dir/nats"
    waits+=("nats $port 15"); exports+=("HOOKGATE_TEST_NATS_URL='nats://127.0.0.1:$port'")
  else warn "nats-server not found (apt-get install nats-server); its tests will skip"; fi
  if command -v go >/dev/null; then
    port=$(free_port)
    (cd "$here/sqs-test-server" && go build -o "$dir/sqs-test-server" .) >"$dir/sqs-build.log" 2>&1 \
      || { cat "$dir/sqs-build.log" >&2; die "could not build scripts/sqs-test-server"; }
    spawn sqs "$dir/sqs-test-server" -addr "127.0.0.1:$port"
    waits+=("sqs $port 15"); exports+=("HOOKGATE_TEST_SQS_ENDPOINT='http://127.0.0.1:$port'")
  else warn "go not found: no SQS test server; its tests will skip"; fi

  local w
  for w in "${waits[@]}"; do
    # shellcheck disable=SC2086
    wait_port $w
  done
  started=1
  for w in "${exports[@]}"; do echo "export $w"; done
  echo "export HOOKGATE_TEST_QUEUE_DIR='$dir'"
}

cmd_stop() {
  local dir=${1:-} pgid
  [[ -n "$dir" && -f "$dir/pgids" ]] || die "not a queue test folder: '$dir'"
  while read -r pgid; do
    [[ "$pgid" =~ ^[0-9]+$ ]] && kill -KILL -- "-$pgid" 2>/dev/null || true
  done <"$dir/pgids"
  rm -rf "$dir"
}

case "${1:-}" in
  install) cmd_install ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  *) die "usage: $0 install | start [--until-exit PID] | stop DIR" ;;
esac
