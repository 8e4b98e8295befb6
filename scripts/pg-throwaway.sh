#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the ledger's tests and benchmarks: no system service, no
# password, nothing outside DIR. See "PostgreSQL for the ledger's tests" in shared/TOOLCHAIN.md.
#
#   scripts/pg-throwaway.sh start DIR [--owner-pid PID]
#       initdb DIR/data, start a server on a free 127.0.0.1 port with its unix socket in DIR/sock,
#       and print its URL (postgres://postgres@127.0.0.1:PORT/postgres) on stdout; also written to
#       DIR/url. Everything else goes to stderr; the server's log is DIR/postgres.log.
#       With --owner-pid, a detached watchdog stops the cluster and deletes DIR once process PID
#       has exited (however it exits: the test support uses this, see ledger/tests/support/pg.rs).
#   scripts/pg-throwaway.sh stop DIR [--rm]
#       stop the server (fast shutdown) if it runs; --rm then deletes DIR. Safe to repeat.
#   scripts/pg-throwaway.sh with CMD [ARG...]
#       start a cluster in a new temporary directory, run CMD with CASHDESK_TEST_PG set to its
#       URL, then always stop it and delete the directory (on success, failure or Ctrl-C), and
#       exit with CMD's status. If CASHDESK_TEST_PG is already set, just run CMD against it.
#
# As root, the server runs as the user `postgres` (initdb and postgres refuse to run as root):
# DIR is chowned to it and the tools run through runuser. Otherwise they run as the current user.
# Environment: PG_BINDIR (where initdb/pg_ctl are; found by itself otherwise),
# PG_THROWAWAY_MAX_CONNECTIONS (default 300).
#
# Durability is switched off (fsync, synchronous_commit, full_page_writes): this cluster holds
# nothing worth keeping, and tests should not wait for a disk.
set -euo pipefail

self=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/$(basename "${BASH_SOURCE[0]}")

die() { echo "pg-throwaway: $*" >&2; exit 1; }
usage() { sed -n '4,16p' "$self" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# The server binaries: PG_BINDIR, else the highest /usr/lib/postgresql/N/bin, else pg_config's
# bindir, else PATH. (pg_config can come from libpq-dev without a server, so check for initdb.)
find_bindir() {
  local d
  if [ -n "${PG_BINDIR:-}" ]; then
    [ -x "$PG_BINDIR/initdb" ] || die "PG_BINDIR=$PG_BINDIR has no initdb"
    echo "$PG_BINDIR"; return 0
  fi
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5,5 -V -r); do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  if command -v pg_config >/dev/null 2>&1; then
    d=$(pg_config --bindir 2>/dev/null || true)
    if [ -n "$d" ] && [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  fi
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"; return 0
  fi
  die "no PostgreSQL server binaries (initdb, pg_ctl) found: install the Debian package 'postgresql' (make deps-system does), or set PG_BINDIR"
}

# Run a command as the cluster's owner: `postgres` when we are root, ourselves otherwise.
# The working directory is DIR, which that user can always enter (root's $HOME it cannot).
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd "$dir" && runuser -u postgres -- "$@")
  else
    (cd "$dir" && "$@")
  fi
}

# A port nobody listens on, outside the kernel's ephemeral range (where outgoing connections
# take their ports). Only a candidate: start() retries with another if the bind still fails.
candidate_port() {
  local lo=15000 hi=32000 p i
  if [ -r /proc/sys/net/ipv4/ip_local_port_range ]; then
    read -r eph_lo _ < /proc/sys/net/ipv4/ip_local_port_range || true
    [ "${eph_lo:-32768}" -gt $((lo + 1000)) ] && hi=$((eph_lo - 1))
  fi
  for i in $(seq 1 50); do
    p=$(shuf -i "$lo-$hi" -n 1)
    # Connection refused = nobody listens there.
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then echo "$p"; return 0; fi
  done
  die "no free port found in $lo-$hi"
}

start() {
  local bindir port url attempt max_conn
  bindir=$(find_bindir)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  [ -e "$dir/data/PG_VERSION" ] && die "$dir already holds a cluster (stop it and use a new directory)"
  mkdir -p "$dir/sock"
  # The unix socket path (DIR/sock/.s.PGSQL.PORT) must fit in 107 bytes.
  [ ${#dir} -le 80 ] || die "directory path too long for a unix socket: $dir (use a shorter one, e.g. under /tmp)"
  if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || die "running as root but there is no 'postgres' user (the 'postgresql' package creates it)"
    command -v runuser >/dev/null 2>&1 || die "running as root but runuser is missing"
    chown -R postgres: "$dir"
    runuser -u postgres -- test -w "$dir" \
      || die "user postgres cannot write $dir: a parent directory is closed to it (use a directory under /tmp)"
  fi

  as_owner "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 \
    >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; die "initdb failed (log above)"; }

  max_conn=${PG_THROWAWAY_MAX_CONNECTIONS:-300}
  for attempt in 1 2 3 4 5 6 7 8 9 10; do
    port=$(candidate_port)
    # -w: pg_ctl polls until the server accepts connections (or gives up after 60 s).
    if as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/postgres.log" -w -t 60 \
        -o "-p $port -k $dir/sock -c listen_addresses=127.0.0.1 -c max_connections=$max_conn -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
        start >"$dir/pg_ctl.log" 2>&1; then
      url="postgres://postgres@127.0.0.1:$port/postgres"
      echo "$port" >"$dir/port"
      echo "$url" >"$dir/url"
      echo "$url"
      return 0
    fi
    if grep -q "could not bind\|could not create any TCP/IP sockets\|Address already in use" "$dir/postgres.log" 2>/dev/null; then
      echo "pg-throwaway: port $port was taken meanwhile; trying another" >&2
      continue
    fi
    cat "$dir/pg_ctl.log" "$dir/postgres.log" >&2 2>/dev/null || true
    die "the server did not start (logs above, in $dir)"
  done
  die "the server did not start after $attempt ports (log: $dir/postgres.log)"
}

stop() {
  local bindir
  [ -d "$dir" ] || return 0
  dir=$(cd "$dir" && pwd)
  if [ -f "$dir/data/postmaster.pid" ]; then
    bindir=$(find_bindir)
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m fast -w -t 60 stop >/dev/null 2>>"$dir/pg_ctl.log" \
      || echo "pg-throwaway: pg_ctl stop failed (see $dir/pg_ctl.log, $dir/postgres.log)" >&2
  fi
  if [ "$remove" = 1 ]; then
    rm -rf -- "$dir"
  fi
}

# Detached: survives the caller, holds none of its pipes (a caller reading our stdout to EOF
# would otherwise wait for the watchdog too).
watch_owner() {
  local pid=$1
  setsid bash -c 'tail --pid="$1" -f /dev/null; exec "$2" stop "$3" --rm' watchdog "$pid" "$self" "$dir" \
    </dev/null >/dev/null 2>&1 &
}

cmd=${1:-}; [ $# -gt 0 ] && shift
remove=0
case "$cmd" in
  start)
    [ $# -ge 1 ] || usage
    dir=$1; shift
    owner=""
    while [ $# -gt 0 ]; do
      case "$1" in
        --owner-pid) [ $# -ge 2 ] || usage; owner=$2; shift 2 ;;
        *) usage ;;
      esac
    done
    start
    if [ -n "$owner" ]; then watch_owner "$owner"; fi
    ;;
  stop)
    [ $# -ge 1 ] || usage
    dir=$1; shift
    [ "${1:-}" = "--rm" ] && remove=1
    stop
    ;;
  with)
    [ $# -ge 1 ] || usage
    if [ -n "${CASHDESK_TEST_PG:-}" ]; then
      echo "pg-throwaway: using the PostgreSQL in CASHDESK_TEST_PG" >&2
      exec "$@"
    fi
    dir=$(mktemp -d "${TMPDIR:-/tmp}/cashdesk-pg.XXXXXX")
    remove=1
    trap 'stop' EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    CASHDESK_TEST_PG=$(start)
    export CASHDESK_TEST_PG
    echo "pg-throwaway: PostgreSQL for the tests at $CASHDESK_TEST_PG (data in $dir)" >&2
    rc=0
    "$@" || rc=$?
    exit "$rc"
    ;;
  *) usage ;;
esac
