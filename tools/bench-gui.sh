#!/bin/sh
# bench-gui.sh - the cashier app's two figures a cashier feels:
#   cold start to the sign-in window drawn (KILOVEND_TIMING=exit, 10 runs);
#   card inserted to customer shown (demo mode, the virtual card swapped
#   20 times: from the insertion and from the reader's event).
# Runs under its own D-Bus session and X server (xvfb-run) unless a display
# is given with BENCH_USE_DISPLAY=1.  Needs root (the demo's private pcscd).
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=${BUILD:-$top/build}
[ -x "$build/src/app/kilovend" ] || { echo "bench-gui: build the app first (./kilovend.sh build)" >&2; exit 1; }
if [ "${BENCH_USE_DISPLAY:-}" = 1 ]; then
    exec /usr/bin/python3 "$top/tools/bench-gui.py" "$build"
fi
exec dbus-run-session -- xvfb-run -a -s "-screen 0 1280x1024x24" \
    /usr/bin/python3 "$top/tools/bench-gui.py" "$build"
