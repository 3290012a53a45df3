#!/bin/sh
# test-insiders.sh - the key versions a station holds, edited by an insider
# (run under kv-pg-harness, stations 101:1 201:2):
#   at a station: its key_holdings rows edited with the SQLite shell to
#   claim a version its key file does not hold (the rollout would make that
#   version current for new meters); head office compares the report with
#   the station's audit chain: a conflict that stops the station, nothing
#   stored;
#   at head office: a row of kv.key_holdings written directly (by the
#   database's owner, or by head office staff) is refused; only a station's
#   own report writes them.
set -u
. "$(dirname "$0")/../core/ctl-common.sh"
. "$(dirname "$0")/sync-common.sh"
M=123456782
held() { apsql "SELECT coalesce(string_agg(key_version::text, ',' ORDER BY key_version), '-') FROM kv.key_holdings
                WHERE station_no = $1"; }

two_offices $M
expect 0 "station 101 notes the versions its key file holds (audited)" a key status
expect 0 "station 201 too" b key status
expect 0 "station 101 reports them" a sync --once
expect 0 "station 201 reports them" b sync --once
same "head office holds what station 101 reported" "$(held 101)" 1
same "and station 201" "$(held 201)" 1

# ---- at the station: its key_holdings rows edited ----
sqlite3 "$dir/a.db" "INSERT INTO key_holdings(station, key_version, backend, reported_at)
                     SELECT station, 2, backend, reported_at FROM key_holdings WHERE station = 'station 101'" ||
    fail "the insider's edit"
expect 19 "/central/insider/key-holdings-edited-at-station: the report is refused" a sync --once
has err.txt "key_holdings rows were edited" "the refusal says what was found"
same "head office keeps the conflict and stops the station" \
    "$(conflict_of 101)" "key_holdings:stopped"
same "head office still holds what the audit chain records" "$(held 101)" 1
expect 19 "the station's next round stops" a sync --once

# ---- at head office: kv.key_holdings written directly ----
if apsql "INSERT INTO kv.key_holdings(station_no, key_version, backend) VALUES (201, 2, 'file')" 2>err.txt; then
    fail "/central/insider/key-holdings-edited-at-head-office: the owner's insert was accepted"
else
    echo "ok: /central/insider/key-holdings-edited-at-head-office: the insert is refused"
fi
has err.txt "written only by a station's report" "the refusal says who writes them"
if apsql "UPDATE kv.key_holdings SET key_version = 2 WHERE station_no = 201" 2>err.txt; then
    fail "an update was accepted"
else
    echo "ok: an update is refused"
fi
if apsql "SET ROLE kv_central_admin; DELETE FROM kv.key_holdings WHERE station_no = 201" 2>err.txt; then
    fail "head office staff deleted a row"
else
    echo "ok: head office staff may not delete one"
fi
same "station 201's rows unchanged" "$(held 201)" 1
expect 0 "station 201's honest report is taken" b sync --once
same "no conflict for it" "$(apsql "SELECT count(*) FROM kv.conflicts WHERE station_no = 201")" 0

finish
