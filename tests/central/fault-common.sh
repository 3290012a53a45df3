# fault-common.sh - sourced by the head office's fault tests (run under
# kv-pg-harness): the TCP proxy between stations and the server, the server
# stopped and started, and a station's psql over TLS.
#   proxy_start NAME         a proxy to the server; its port in $proxy_port_NAME
#                            (control socket $KV_FAULT_DIR/NAME.ctl)
#   proxy NAME COMMAND       pass | heal | reset | kick | stall | status | quit
#   proxy_stop_all           quit every proxy started (also on exit)
#   server crash|start       pg_ctl stop -m immediate / start again
#   station_conninfo NO [PORT] [TIMEOUT]  libpq conninfo of station NO (TLS,
#                            verify-full, its certificate), through PORT
#   spsql NO PORT SQL        run SQL as station NO through PORT (psql -tA)
#   apsql SQL                run SQL as head office's superuser (psql -tA)
here_fault=$(cd "$(dirname "$0")" && pwd)
KV_TCP_PROXY=${KV_TCP_PROXY:-$here_fault/kv-tcp-proxy}
KV_PG_SERVER=${KV_PG_SERVER:-$here_fault/kv-pg-server}
: "${KV_PG_DIR:?run under tests/central/kv-pg-harness}"
KV_FAULT_DIR=${KV_FAULT_DIR:-$KV_PG_DIR/fault}
mkdir -p "$KV_FAULT_DIR"
proxies=""

proxy_start() {
    rm -f "$KV_FAULT_DIR/$1.port"
    python3 "$KV_TCP_PROXY" serve --target "127.0.0.1:$PGPORT" --control "$KV_FAULT_DIR/$1.ctl" \
        --port-file "$KV_FAULT_DIR/$1.port" 2>>"$KV_FAULT_DIR/$1.log" &
    eval "proxy_pid_$1=$!"
    proxies="$proxies $1"
    n=0
    while [ ! -s "$KV_FAULT_DIR/$1.port" ]; do
        n=$((n + 1))
        [ "$n" -lt 300 ] || { echo "proxy $1 did not start" >&2; cat "$KV_FAULT_DIR/$1.log" >&2; return 1; }
        sleep 0.1
    done
    eval "proxy_port_$1=$(cat "$KV_FAULT_DIR/$1.port")"
}

proxy() {
    python3 "$KV_TCP_PROXY" ctl "$KV_FAULT_DIR/$1.ctl" "$2"
}

proxy_stop_all() {
    for p in $proxies; do
        proxy "$p" quit >/dev/null 2>&1 || true
        eval "wait \$proxy_pid_$p" 2>/dev/null || true
    done
    proxies=""
}

server() {
    "$KV_PG_SERVER" "$1"
}

station_conninfo() {
    r=$(printf 'kv_station_%05d' "$1")
    printf 'host=localhost port=%s dbname=%s user=%s sslmode=verify-full sslrootcert=%s sslcert=%s sslkey=%s connect_timeout=%s' \
        "${2:-$KV_PG_PORT}" "$KV_PG_DB" "$r" "$KV_PG_PKI/ca.crt" "$KV_PG_PKI/$r.crt" "$KV_PG_PKI/$r.key" "${3:-10}"
}

spsql() {
    psql -X -q -tA -v ON_ERROR_STOP=1 "$(station_conninfo "$1" "$2" 3)" -c "$3"
}

apsql() {
    psql -X -q -tA -v ON_ERROR_STOP=1 -c "$1"
}
