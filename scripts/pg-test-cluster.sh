#!/usr/bin/env bash
# pg-test-cluster.sh: a throwaway PostgreSQL cluster for hookgate's tests.
#
#   scripts/pg-test-cluster.sh find         print the server binaries' folder, or fail
#   scripts/pg-test-cluster.sh start [--until-exit PID]
#                                           initdb + start; prints `export` lines;
#                                           with --until-exit, also stop and remove
#                                           the cluster once process PID has ended
#                                           (a test binary that panics or times out
#                                           runs no cleanup)
#   scripts/pg-test-cluster.sh stop DIR     stop the cluster in DIR and remove DIR
#   scripts/pg-test-cluster.sh ctl DIR stop|start|restart
#                                           stop (-m fast) or start the server
#                                           without removing its data (tests that
#                                           take the database away under load)
#
# `start` makes a new cluster in a fresh folder under ${TMPDIR:-/tmp}, listening
# on 127.0.0.1 only, on a free port, with fsync and synchronous_commit on (the
# defaults: benchmarks measure durable writes). It prints, for eval:
#   export HOOKGATE_TEST_POSTGRES_DSN=postgres://hookgate@127.0.0.1:PORT/postgres?sslmode=disable
#   export HOOKGATE_TEST_PG_CLUSTER=DIR
# The superuser is "hookgate", trusted on 127.0.0.1 (no password). It never
# touches a system cluster. initdb refuses to run as root, so as root the
# cluster belongs to the `postgres` OS user (created if missing). Server
# binaries are looked up on PATH, then in /usr/lib/postgresql/*/bin; set
# PG_BIN to choose.
set -euo pipefail

die() { echo "pg-test-cluster: $*" >&2; exit 1; }

find_bin() {
  if [[ -n "${PG_BIN:-}" ]]; then
    [[ -x "$PG_BIN/pg_ctl" ]] || die "no pg_ctl in PG_BIN=$PG_BIN"
    echo "$PG_BIN"; return
  fi
  if command -v pg_ctl >/dev/null && command -v initdb >/dev/null; then
    dirname "$(command -v pg_ctl)"; return
  fi
  local d
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
    [[ -x "$d/pg_ctl" && -x "$d/initdb" ]] && { echo "$d"; return; }
  done
  return 1
}

# owner is the OS user that runs the server.
owner() {
  if [[ $(id -u) -ne 0 ]]; then id -un; return; fi
  if ! id postgres >/dev/null 2>&1; then
    useradd --system --no-create-home --shell /usr/sbin/nologin postgres >/dev/null 2>&1 \
      || die "cannot create the postgres OS user"
  fi
  echo postgres
}

# as runs a command as the cluster's owner.
as() {
  local user=$1; shift
  if [[ $(id -un) == "$user" ]]; then "$@"; else runuser -u "$user" -- "$@"; fi
}

free_port() {
  local port i
  for i in $(seq 1 50); do
    port=$(( 20000 + RANDOM % 30000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  die "no free port found"
}

cmd_start() {
  local bin user dir port i watch=""
  if [[ "${1:-}" == --until-exit ]]; then
    watch=${2:-}
    [[ "$watch" =~ ^[0-9]+$ ]] || die "start: --until-exit wants a process id"
  fi
  bin=$(find_bin) || die "PostgreSQL server binaries (initdb, pg_ctl) not found; install postgresql"
  user=$(owner)
  dir=$(mktemp -d "${TMPDIR:-/tmp}/hookgate-pg.XXXXXX")
  chmod 0755 "$dir"
  chown "$user" "$dir"
  as "$user" "$bin/initdb" -D "$dir/data" -U hookgate --auth=trust --encoding=UTF8 --locale=C.UTF-8 \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed"; }
  echo "$bin" >"$dir/bin"
  echo "$user" >"$dir/owner"
  for i in 1 2 3 4 5; do
    port=$(free_port)
    as "$user" tee -a "$dir/data/postgresql.conf" >/dev/null <<EOF
# hookgate test cluster
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
max_connections = 300
shared_buffers = 256MB
max_wal_size = 2GB
log_min_messages = warning
EOF
    if as "$user" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 30 start >/dev/null 2>&1; then
      echo "$port" >"$dir/port"
      if [[ -n "$watch" ]]; then
        # Detached, and off stdout, so whoever reads our output is not held.
        setsid bash -c 'while kill -0 "$1" 2>/dev/null; do sleep 1; done; exec "$2" stop "$3"' \
          _ "$watch" "$(readlink -f "$0")" "$dir" </dev/null >/dev/null 2>&1 &
      fi
      echo "export HOOKGATE_TEST_POSTGRES_DSN='postgres://hookgate@127.0.0.1:$port/postgres?sslmode=disable'"
      echo "export HOOKGATE_TEST_PG_CLUSTER='$dir'"
      return
    fi
  done
  cat "$dir/server.log" >&2 || true
  die "could not start the server in $dir"
}

cluster_dir() {
  local dir=${1:-}
  [[ -n "$dir" && -f "$dir/bin" && -d "$dir/data" ]] || die "not a test cluster: '$dir'"
  echo "$dir"
}

cmd_ctl() {
  local dir action bin user
  dir=$(cluster_dir "${1:-}")
  action=${2:-}
  bin=$(cat "$dir/bin"); user=$(cat "$dir/owner")
  case "$action" in
    stop) as "$user" "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null ;;
    start) as "$user" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null ;;
    restart) as "$user" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 60 restart >/dev/null ;;
    *) die "ctl: want stop, start or restart, got '$action'" ;;
  esac
}

cmd_stop() {
  local dir bin user
  dir=$(cluster_dir "${1:-}")
  bin=$(cat "$dir/bin"); user=$(cat "$dir/owner")
  if [[ -f "$dir/data/postmaster.pid" ]]; then
    as "$user" "$bin/pg_ctl" -D "$dir/data" -m immediate -w -t 60 stop >/dev/null 2>&1 || true
  fi
  rm -rf "$dir"
}

case "${1:-}" in
  find) find_bin ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  ctl) shift; cmd_ctl "$@" ;;
  *) die "usage: $0 find | start [--until-exit PID] | stop DIR | ctl DIR stop|start|restart" ;;
esac
