#!/usr/bin/env bash
# A private PostgreSQL on a free loopback port, for benchmarks (sourced after
# private-mosquitto.sh, whose bench_track/free_port/wait_listening it uses).
#
#   start_private_postgres DIR     # sets PG_PORT, PG_PID and PG_URL (database "pantau")
#
# initdb into DIR/data, then `postgres` with the server's default durability (fsync and
# synchronous_commit on: the same promise as the SQLite store's synchronous = FULL, so the
# two are compared fairly). PostgreSQL refuses to run as root: as root, both run as the
# `postgres` user (Debian's package creates it) through setpriv. Never touches the server
# on port 5432. PG_BIN overrides the binaries' folder (default: the newest
# /usr/lib/postgresql/N/bin).

pg_bin_dir() {
    if [[ -n ${PG_BIN:-} ]]; then
        echo "$PG_BIN"
        return
    fi
    ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}

start_private_postgres() {
    local dir=$1 bin as=()
    bin=$(pg_bin_dir)
    [[ -x $bin/initdb ]] || { echo "initdb not found (apt-get install postgresql)" >&2; return 1; }
    mkdir -p "$dir"
    if [[ $(id -u) -eq 0 ]]; then
        chown postgres: "$dir"
        as=(setpriv --reuid=postgres --regid=postgres --init-groups)
    fi
    "${as[@]}" "$bin/initdb" -U postgres -A trust -E UTF8 --locale=C -D "$dir/data" >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; return 1; }
    PG_PORT=$(free_port)
    "${as[@]}" "$bin/postgres" -D "$dir/data" -p "$PG_PORT" -c listen_addresses=127.0.0.1 \
        -c "unix_socket_directories=$dir" >"$dir/postgres.log" 2>&1 &
    PG_PID=$!
    bench_track "$PG_PID"
    wait_listening "$PG_PORT" 60 || { echo "postgres did not start; see $dir/postgres.log" >&2; return 1; }
    PG_URL="postgres://postgres@127.0.0.1:$PG_PORT/pantau"
}

# A fresh, empty database NAME on the private server; prints its URL.
fresh_private_database() {
    local name=$1
    psql -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d postgres \
        -c "DROP DATABASE IF EXISTS $name" -c "CREATE DATABASE $name" >/dev/null
    echo "postgres://postgres@127.0.0.1:$PG_PORT/$name"
}
