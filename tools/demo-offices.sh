#!/bin/sh
# demo-offices.sh - two offices, one head office, with one command
# (docs/multi-office.md, "Demo"): a private PostgreSQL 15 with the utility's
# CA (tests/central/kv-pg-harness), two stations side by side (kilovendctl on
# their own ledgers, card files, each linked through its own proxy), a card
# issued at office 1 and carried to office 2, a link cut and healed, the
# meter loading the card, and the head office's reports.
#   tools/demo-offices.sh [BUILD_DIR]      default: build
# Needs postgresql-15, python3 and a build (meson setup build; meson compile -C build).
# KV_PG_KEEP=1 keeps the folder with the server, ledgers and cards.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
build=$(cd "${1:-$here/../build}" 2>/dev/null && pwd) ||
    { echo "demo-offices.sh: no build folder ${1:-build} (meson setup build && meson compile -C build)" >&2; exit 1; }
for f in src/ctl/kilovendctl firmware/boards/host/kilovend-meter-sim; do
    [ -x "$build/$f" ] || { echo "demo-offices.sh: $build/$f is missing (meson compile -C $build)" >&2; exit 1; }
done
command -v python3 >/dev/null 2>&1 || { echo "demo-offices.sh: python3 is missing" >&2; exit 1; }
export KILOVENDCTL="$build/src/ctl/kilovendctl" KV_METER_SIM="$build/firmware/boards/host/kilovend-meter-sim"
export KV_CENTRAL_SQL="$here/../db/central" KV_PG_CONF="synchronous_commit = on"
exec "$here/../tests/central/kv-pg-harness" --stations "101:1 201:2" -- \
    python3 "$here/../tests/central/fault_schedule.py" --demo
