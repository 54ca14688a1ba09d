#!/usr/bin/env bash
# Builds (once, cached) and starts FerretDB v1.24.2 on 127.0.0.1 with throw-away storage:
# a fresh database on the local PostgreSQL (127.0.0.1:5432), or with FERRETDB_BACKEND=sqlite
# a temporary SQLite directory. PostgreSQL is the default because FerretDB's SQLite backend
# answers every query but an `_id` lookup by decoding the whole collection in Go (the
# integration suites run about twice as fast on PostgreSQL). Used by .ci/run, and by
# developers who want the integration suites:
#
#   eval "$(bash scripts/ferretdb.sh start)"   # exports MONGODB_URI, FERRETDB_PID, FERRETDB_DIR, FERRETDB_PG_DB
#   bash scripts/ferretdb.sh stop              # stops that one and removes its data
#
# FERRETDB_PG_POOL caps the PostgreSQL connections it pools (FerretDB's default: 50). The
# PostgreSQL here allows 100 in all: the test suites' shared FerretDB keeps the default, the
# FerretDBs a test starts for itself take 20 each (test/support/private-ferretdb.ts), so two of
# those beside the shared one stay within it — three at 50 once ran PostgreSQL out of
# connections ("sorry, too many clients already") as a stalled one came back under load.
#
# The binary is our own tiny main (tools/ferretdb) that embeds FerretDB's `ferretdb`
# package; a plain `go install .../cmd/ferretdb@v1.24.2` panics at start (no version.txt).
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
export PATH="$PATH:/usr/local/go/bin:$HOME/go/bin"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/sales-order-service"

binary() {
  local sum
  sum=$(cat "$root"/tools/ferretdb/{go.mod,go.sum,main.go} | sha256sum | cut -c1-16)
  echo "$cache/ferretdb-v1.24.2-$sum"
}

build() {
  local bin
  bin=$(binary)
  if [ ! -x "$bin" ]; then
    command -v go >/dev/null || { echo "ferretdb.sh: the Go toolchain is needed to build FerretDB (not found in PATH)" >&2; exit 1; }
    mkdir -p "$cache"
    echo "ferretdb.sh: building FerretDB v1.24.2 (first run only, about a minute)" >&2
    (cd "$root/tools/ferretdb" && GOFLAGS=-buildvcs=false go build -trimpath -o "$bin.tmp" . && mv "$bin.tmp" "$bin")
  fi
  echo "$bin"
}

start() {
  local bin port dir pid storage pgdb=""
  bin=$(build)
  port=$(node -e "const s=require('net').createServer().listen(0,'127.0.0.1',()=>{console.log(s.address().port);s.close()})")
  dir=$(mktemp -d "${TMPDIR:-/tmp}/ferretdb-XXXXXX")
  if [ "${FERRETDB_BACKEND:-postgresql}" = "postgresql" ]; then
    pgdb="ferretdb_test_$(basename "$dir" | tr -dc 'a-zA-Z0-9' | tr 'A-Z' 'a-z')"
    psql -h 127.0.0.1 -p 5432 -U postgres -q -c "CREATE DATABASE $pgdb" >/dev/null ||
      { echo "ferretdb.sh: cannot create a database on PostgreSQL at 127.0.0.1:5432 (is it running? FERRETDB_BACKEND=sqlite avoids it)" >&2; exit 1; }
    storage=(-postgresql-url "postgres://postgres@127.0.0.1:5432/$pgdb${FERRETDB_PG_POOL:+?pool_max_conns=$FERRETDB_PG_POOL}")
  else
    storage=(-dir "$dir/data")
  fi
  "$bin" -listen "127.0.0.1:$port" "${storage[@]}" -log-level error >"$dir/ferretdb.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      echo "export MONGODB_URI=mongodb://127.0.0.1:$port/ FERRETDB_PID=$pid FERRETDB_DIR=$dir FERRETDB_PG_DB=$pgdb"
      return 0
    fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  echo "ferretdb.sh: FerretDB did not start; its log:" >&2
  cat "$dir/ferretdb.log" >&2
  kill "$pid" 2>/dev/null || true
  exit 1
}

# True while `pid` is a live (not zombie) FerretDB process: never signal a recycled pid.
is_ferretdb() {
  local pid=$1 command
  kill -0 "$pid" 2>/dev/null || return 1
  if [ -r "/proc/$pid/cmdline" ]; then
    command=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline") # empty for a zombie
  else
    command=$(ps -o stat=,args= -p "$pid" 2>/dev/null | grep -v '^ *Z') || true
  fi
  case "$command" in *ferretdb*) return 0 ;; *) return 1 ;; esac
}

# Waits up to `tenths` tenths of a second for `pid` to be gone; false if it is still there.
gone_within() {
  local pid=$1 tenths=$2
  for _ in $(seq 1 "$tenths"); do
    is_ferretdb "$pid" || return 0
    sleep 0.1
  done
  ! is_ferretdb "$pid"
}

stop() {
  local pid=${FERRETDB_PID:-}
  # Its storage goes only once it has exited: SIGTERM, up to 10 s, then SIGKILL.
  if [ -n "$pid" ] && is_ferretdb "$pid"; then
    kill "$pid" 2>/dev/null || true
    if ! gone_within "$pid" 100; then
      echo "ferretdb.sh: FerretDB (pid $pid) still running 10 s after SIGTERM; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
      gone_within "$pid" 50 || { echo "ferretdb.sh: FerretDB (pid $pid) survived SIGKILL; keeping its data" >&2; return 1; }
    fi
  fi
  case "${FERRETDB_PG_DB:-}" in
    ferretdb_test_*) psql -h 127.0.0.1 -p 5432 -U postgres -q -c "DROP DATABASE IF EXISTS ${FERRETDB_PG_DB} WITH (FORCE)" >/dev/null || true ;;
  esac
  case "${FERRETDB_DIR:-}" in
    */ferretdb-*) rm -rf "$FERRETDB_DIR" ;;
  esac
}

case "${1:-}" in
  build) build >/dev/null ;;
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 build|start|stop" >&2; exit 2 ;;
esac
