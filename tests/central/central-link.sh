#!/bin/sh
# central-link.sh - the fault tests' own parts (run under kv-pg-harness):
# the TCP proxy between a station and the server passes, resets, stalls and
# heals; the server stopped abruptly and started again keeps what was
# committed.  A station's libpq session over TLS is what goes through.
set -u
. "$(dirname "$0")/fault-common.sh"
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
trap 'proxy_stop_all' EXIT

proxy_start p1 || exit 1
P=$proxy_port_p1
pull="SELECT kv_api.pull('')->'station'->>'station'"

[ "$(spsql 101 "$P" "$pull" 2>&1)" = 101 ] && ok "pass: station 101 pulls through the proxy" ||
    fail "pass: $(spsql 101 "$P" "$pull" 2>&1)"

proxy p1 stall >/dev/null
out=$(spsql 101 "$P" "$pull" 2>&1) && fail "stall: the query went through: $out" ||
    { echo "$out" | grep -qi "timeout" && ok "stall: the connection hangs until libpq's timeout" ||
        fail "stall: unexpected error: $out"; }
[ "$(proxy p1 status | cut -d' ' -f1)" = stall ] || fail "status after stall: $(proxy p1 status)"

proxy p1 heal >/dev/null
[ "$(spsql 101 "$P" "$pull" 2>&1)" = 101 ] && ok "heal: through again" || fail "heal: $(spsql 101 "$P" "$pull" 2>&1)"

proxy p1 reset >/dev/null
out=$(spsql 101 "$P" "$pull" 2>&1) && fail "reset: the query went through: $out" ||
    { echo "$out" | grep -qi "reset\|closed\|SSL SYSCALL\|EOF" && ok "reset: new connections are reset" ||
        fail "reset: unexpected error: $out"; }
proxy p1 heal >/dev/null

# A connection cut mid-statement: the client gets an error at once.
psql -X -q -tA "$(station_conninfo 102 "$P")" -c "SELECT pg_sleep(30)" >"$KV_FAULT_DIR/kick.out" 2>&1 &
bg=$!
n=0
while [ "$(proxy p1 status | cut -d' ' -f2)" != 1 ] && [ "$n" -lt 200 ]; do sleep 0.1; n=$((n + 1)); done
# Wait for the statement to be running at the server, then cut.
n=0
while [ "$(apsql "SELECT count(*) FROM pg_stat_activity WHERE usename = 'kv_station_00102' AND state = 'active'")" != 1 ] &&
    [ "$n" -lt 200 ]; do sleep 0.1; n=$((n + 1)); done
proxy p1 kick >/dev/null
if wait "$bg"; then
    fail "kick: the statement finished: $(cat "$KV_FAULT_DIR/kick.out")"
else
    ok "kick: a statement in flight fails at the client ($(head -1 "$KV_FAULT_DIR/kick.out"))"
fi
[ "$(proxy p1 status | cut -d' ' -f2)" = 0 ] || fail "kick: open connections left: $(proxy p1 status)"

# The server stopped abruptly: committed rows are back after the restart
# (crash recovery), the station reconnects through the same proxy.
apsql "SELECT kv.register_station(301, 3, 'probe')" >/dev/null
server crash && ok "server stopped (immediate)" || fail "server crash"
out=$(spsql 101 "$P" "$pull" 2>&1) && fail "server down: the query went through" ||
    ok "server down: the station gets an error"
server start && ok "server started again" || fail "server start"
[ "$(apsql "SELECT name FROM kv.stations WHERE station_no = 301")" = probe ] &&
    ok "committed before the crash: still there" || fail "a committed row was lost in the crash"
[ "$(spsql 101 "$P" "$pull" 2>&1)" = 101 ] && ok "through the proxy after the restart" ||
    fail "after restart: $(spsql 101 "$P" "$pull" 2>&1)"

proxy_stop_all
echo "$fails failure(s)"
[ "$fails" -eq 0 ]
