#!/bin/sh
# The demo behind `./kilovend.sh run`: the cashier app in demo mode, on the
# user's display.  `kilovend --demo` makes a demonstration station (users,
# tariff, customers, meters, cards) in a temporary folder and starts its own
# pcscd with the virtual reader holding a customer's card; nothing of the
# machine's card service or data is touched.  The sign-in page shows the
# demo accounts; the main menu's "Virtual Card Reader" section swaps cards.
# The meter window (kilovend-meter, the firmware's host board) opens beside
# it with the first customer's meter: "Insert card" moves the card from the
# virtual reader into the meter and back.
#
#   tools/demo.sh [--demo-dir DIR]   keep the demo station in DIR
#   tools/demo.sh --contract         the card contract walk-through (text)
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build

if [ "${1:-}" = --contract ]; then
    shift
    exec "$build/tools/kilovend-contract-demo" "$@"
fi

app=$build/src/app/kilovend
if [ ! -x "$app" ]; then
    echo "demo: $app is not built (this build has no GTK app: is libgtk-4-dev" \
        "and libadwaita-1-dev installed?). Run ./kilovend.sh build." >&2
    exit 1
fi
if [ -z "${DISPLAY:-}" ] && [ -z "${WAYLAND_DISPLAY:-}" ]; then
    echo "demo: no display: the cashier app needs a graphical session." >&2
    echo "      Run ./kilovend.sh run from a terminal inside your desktop session" >&2
    echo "      (or with X forwarding: ssh -X), or see the card contract in text" >&2
    echo "      with: tools/demo.sh --contract" >&2
    exit 1
fi
# The demo starts a private pcscd in its own namespaces: root is needed
# (kilovend.sh runs as root or through sudo).  Under sudo the display may
# need the user's X authority.
if [ "$(id -u)" -ne 0 ]; then
    echo "demo: the demo starts its own card service and needs root: sudo ./kilovend.sh run" >&2
    exit 1
fi
if [ -n "${SUDO_USER:-}" ] && [ -z "${XAUTHORITY:-}" ] && [ -n "${DISPLAY:-}" ]; then
    home=$(getent passwd "$SUDO_USER" | cut -d: -f6)
    [ -f "$home/.Xauthority" ] && export XAUTHORITY="$home/.Xauthority"
fi

# Uninstalled: the compiled settings schema and translations of the build.
export GSETTINGS_SCHEMA_DIR=$build/ui/data
export KILOVEND_LOCALEDIR=$build/po
echo "Starting the Kilovend station in demo mode (cashier: ama / cashier-demo;"
echo "supervisor for the shift: kofi / supervisor-demo; key passphrase: demo passphrase)."
# The meter of the card in the reader opens beside the station.
export KILOVEND_DEMO_METER_WINDOW=1
exec "$app" --demo "$@"
