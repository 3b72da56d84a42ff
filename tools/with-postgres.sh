#!/usr/bin/env bash
# Run a command against a throwaway PostgreSQL cluster.
#
#   bash tools/with-postgres.sh COMMAND [ARGS...]
#
# Creates a fresh cluster in a temporary directory, listening on a free port
# on 127.0.0.1, creates the database "dealpane_test", exports
#   DEALPANE_TEST_PG_URL=postgresql+psycopg://postgres@127.0.0.1:PORT/dealpane_test
# runs COMMAND, then always stops the cluster and deletes the directory.
# Exits with COMMAND's exit code.
#
# If DEALPANE_TEST_PG_URL is already set, no cluster is started and COMMAND
# is simply run. If the PostgreSQL server binaries are missing they are
# installed with apt-get (Debian package "postgresql").
set -euo pipefail

log() { printf 'with-postgres: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[[ $# -gt 0 ]] || die "usage: $0 COMMAND [ARGS...]"

if [[ -n "${DEALPANE_TEST_PG_URL:-}" ]]; then
    exec "$@"
fi

IS_ROOT=0
[[ $(id -u) -eq 0 ]] && IS_ROOT=1

# --- locate (or install) the server binaries --------------------------------

find_pg_bindir() {
    local initdb
    initdb=$(ls -1d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -n "$initdb" && -x "$initdb" ]]; then
        dirname "$initdb"
        return 0
    fi
    # Non-Debian layouts: initdb + pg_ctl on PATH.
    if initdb=$(command -v initdb 2>/dev/null) && [[ -x "$(dirname "$initdb")/pg_ctl" ]]; then
        dirname "$initdb"
        return 0
    fi
    return 1
}

install_pg() {
    local sudo=()
    if [[ $IS_ROOT -eq 0 ]]; then
        command -v sudo >/dev/null 2>&1 \
            || die "PostgreSQL server binaries not found and not root (install the 'postgresql' package)"
        sudo=(sudo -n)
    fi
    command -v apt-get >/dev/null 2>&1 \
        || die "PostgreSQL server binaries not found and apt-get is unavailable"
    log "PostgreSQL server not found; installing it with apt-get..."
    local aptlog
    aptlog=$(mktemp)
    if ! (
        set -e
        export DEBIAN_FRONTEND=noninteractive
        "${sudo[@]}" apt-get update -qq
        # Install postgresql-common first and tell it not to create (and start)
        # the default "main" cluster: we only want the binaries.
        "${sudo[@]}" apt-get install -y -qq --no-install-recommends postgresql-common
        if [[ -f /etc/postgresql-common/createcluster.conf ]]; then
            "${sudo[@]}" sed -i -E 's/^#?[[:space:]]*create_main_cluster[[:space:]]*=.*/create_main_cluster = false/' \
                /etc/postgresql-common/createcluster.conf
        fi
        "${sudo[@]}" apt-get install -y -qq --no-install-recommends postgresql
    ) >"$aptlog" 2>&1; then
        cat "$aptlog" >&2
        rm -f "$aptlog"
        die "apt-get install postgresql failed"
    fi
    rm -f "$aptlog"
}

if ! PG_BIN=$(find_pg_bindir); then
    install_pg
    PG_BIN=$(find_pg_bindir) || die "PostgreSQL server binaries still not found after installing"
fi

# --- the user that runs the server ---------------------------------------------

if [[ $IS_ROOT -eq 1 ]]; then
    PG_USER=postgres
    if ! id -u "$PG_USER" >/dev/null 2>&1; then
        useradd --system --user-group --no-create-home --shell /usr/sbin/nologin "$PG_USER" \
            || die "could not create system user $PG_USER"
    fi
else
    PG_USER=$(id -un)
fi

PGTMP=""
PGDATA_DIR=""
STARTED=0
CLEANED=0

# Run a command as the server user, from inside the temp dir (the current
# directory may not be readable by that user).
as_pg() {
    if [[ $IS_ROOT -eq 1 ]]; then
        (cd "$PGTMP" && runuser -u "$PG_USER" -- "$@")
    else
        (cd "$PGTMP" && "$@")
    fi
}

cleanup() {
    [[ $CLEANED -eq 1 ]] && return 0
    CLEANED=1
    if [[ $STARTED -eq 1 ]]; then
        as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    if [[ -n "$PGTMP" && -d "$PGTMP" ]]; then
        rm -rf -- "$PGTMP" || true
    fi
}

on_exit() {
    local rc=$?
    cleanup
    exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- create and start the cluster -----------------------------------------------

# /tmp rather than $TMPDIR: the server user must be able to reach the
# directory, and the Unix socket path must stay short.
PGTMP=$(mktemp -d /tmp/dealpane-pg.XXXXXXXX)
PGDATA_DIR="$PGTMP/data"
SOCKDIR="$PGTMP"
SERVER_LOG="$PGTMP/server.log"
[[ $IS_ROOT -eq 1 ]] && chown "$PG_USER:" "$PGTMP"
chmod 700 "$PGTMP"

LOCALE=C
if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then
    LOCALE=C.UTF-8
fi

if ! initdb_out=$(as_pg "$PG_BIN/initdb" -D "$PGDATA_DIR" -A trust -U postgres \
        --no-sync -E UTF8 --locale="$LOCALE" 2>&1); then
    printf '%s\n' "$initdb_out" >&2
    die "initdb failed"
fi

free_port() {
    python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# Retry a few times in case another process grabs the port in between.
PORT=""
for attempt in 1 2 3 4 5; do
    PORT=$(free_port)
    : >"$SERVER_LOG"
    [[ $IS_ROOT -eq 1 ]] && chown "$PG_USER:" "$SERVER_LOG"
    STARTED=1
    if as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -l "$SERVER_LOG" -w -t 60 -s \
            -o "-p $PORT -k $SOCKDIR -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
            start >/dev/null 2>&1; then
        break
    fi
    # Make sure nothing half-started survives before retrying.
    as_pg "$PG_BIN/pg_ctl" -D "$PGDATA_DIR" -m immediate -w stop >/dev/null 2>&1 || true
    STARTED=0
    if [[ $attempt -eq 5 ]] || ! grep -qiE 'could not (bind|create listen)|address already in use' "$SERVER_LOG"; then
        log "PostgreSQL failed to start; server log:"
        cat "$SERVER_LOG" >&2 || true
        die "could not start PostgreSQL"
    fi
    log "port $PORT was taken, retrying..."
done

PSQL_ARGS=(-h 127.0.0.1 -p "$PORT" -U postgres)
if ! createdb_out=$(as_pg "$PG_BIN/createdb" "${PSQL_ARGS[@]}" dealpane_test 2>&1); then
    printf '%s\n' "$createdb_out" >&2
    log "server log:"
    cat "$SERVER_LOG" >&2 || true
    die "createdb dealpane_test failed"
fi

PG_VERSION=$("$PG_BIN/postgres" --version 2>/dev/null | awk '{print $3}' || true)
log "started PostgreSQL ${PG_VERSION:-?} on 127.0.0.1:$PORT (db dealpane_test)"

export DEALPANE_TEST_PG_URL="postgresql+psycopg://postgres@127.0.0.1:$PORT/dealpane_test"

# --- run the command ------------------------------------------------------------

set +e
"$@"
rc=$?
set -e
exit "$rc"
