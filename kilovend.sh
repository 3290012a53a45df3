#!/bin/sh
# kilovend.sh - the two commands a newcomer needs.
#
#   ./kilovend.sh run    install what is missing, build, start the demo
#   ./kilovend.sh test   install what is missing, build, run the whole suite
#
# Both work on a fresh Debian 12 machine as root (or with sudo).  Other
# subcommands used by developers: deps, build, bench.
set -eu

top=$(cd "$(dirname "$0")" && pwd)
cd "$top"

# Debian packages the build, the tests and the demo need.
PACKAGES="meson ninja-build pkg-config gcc libc6-dev python3
libglib2.0-dev libgtk-4-dev libadwaita-1-dev libgtk-4-bin libsqlite3-dev sqlite3
libssl-dev libpcsclite-dev pcscd vsmartcard-vpcd pcsc-tools libpango1.0-dev libcairo2-dev
gcc-arm-none-eabi libnewlib-arm-none-eabi binutils-arm-none-eabi qemu-system-arm
clang libclang-rt-14-dev llvm
xvfb xauth dbus dbus-x11 at-spi2-core python3-pyatspi python3-gi imagemagick
appstream desktop-file-utils gettext locales poppler-utils iproute2 util-linux
debhelper devscripts lintian fakeroot dpkg-dev help2man
postgresql-15 postgresql-client-15 libpq-dev openssl
softhsm2 libp11-kit-dev libx11-dev libxtst6 gdb"

as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

deps() {
    # One dpkg query for all the packages (one per package took seconds).
    installed=$(dpkg-query -W -f='${Package} ${Status}\n' $PACKAGES 2>/dev/null |
        awk '$NF == "installed" && $(NF-1) == "ok" { printf " %s", $1 }')
    missing=""
    for p in $PACKAGES; do
        case "$installed " in
        *" $p "*) ;;
        *) missing="$missing $p" ;;
        esac
    done
    if [ -n "$missing" ]; then
        echo "Installing:$missing"
        as_root apt-get -o DPkg::Lock::Timeout=600 update -q
        # The head office tests start PostgreSQL servers of their own in
        # temporary folders: on a fresh machine, no system-wide cluster
        # (postgresql-common first, told not to create one).
        if ! dpkg-query -W -f='${Status}' postgresql-common 2>/dev/null | grep -q "install ok installed"; then
            as_root env DEBIAN_FRONTEND=noninteractive \
                apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends postgresql-common
            as_root sed -i 's/^#* *create_main_cluster *=.*/create_main_cluster = false/' \
                /etc/postgresql-common/createcluster.conf
        fi
        as_root env DEBIAN_FRONTEND=noninteractive \
            apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends $missing
    fi
}

setup() { # setup DIR [meson args...]
    dir=$1
    shift
    # A configured build directory regenerates itself when a meson.build
    # changes (ninja checks): configuring it again on every start only cost
    # seconds before the window appeared.
    if [ ! -f "$dir/build.ninja" ]; then
        meson setup "$dir" "$@" >/dev/null
    fi
}

# ninja itself: "meson compile" adds seconds of start-up even when nothing
# changed, and a configured build directory needs nothing else.
compile() {
    ninja -C "$1"
}

build() {
    setup build
    compile build
    setup build-arm --cross-file firmware/cross/arm-none-eabi-cortex-m3.txt
    compile build-arm
}

build_san() {
    CC=clang setup build-san -Db_sanitize=address,undefined -Db_lundef=false \
        -Dgui=disabled -Dfuzz=true --buildtype=debug -Dc_args=-fno-sanitize-recover=all
    compile build-san
}

# Sums meson's JSON test logs into the plain line CI reads.
summary() {
    /usr/bin/python3 - "$@" <<'PY'
import json, sys
passed = failed = skipped = 0
for path in sys.argv[1:]:
    try:
        lines = open(path).read().splitlines()
    except OSError:
        failed += 1
        print(f"missing test log {path}")
        continue
    for line in lines:
        r = json.loads(line)["result"]
        if r in ("OK", "EXPECTEDFAIL"):
            passed += 1
        elif r == "SKIP":
            skipped += 1
        else:
            failed += 1
            print("FAILED:", json.loads(line)["name"])
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
sys.exit(1 if failed else 0)
PY
}

run_tests() {
    export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1
    export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
    status=0
    # Host build: unit, card-stack, GUI and end-to-end tests (a private X
    # server and D-Bus session for the GUI).
    dbus-run-session -- xvfb-run -a -s "-screen 0 1280x1024x24" \
        meson test -C build --print-errorlogs --num-processes 2 || status=1
    # Sanitizer build (ASan + UBSan) of the host code, with the fuzzers.
    meson test -C build-san --print-errorlogs --num-processes 2 \
        --no-suite gui --no-suite slow || status=1
    # ARM images under QEMU.
    meson test -C build-arm --print-errorlogs || status=1
    summary build/meson-logs/testlog.json build-san/meson-logs/testlog.json \
        build-arm/meson-logs/testlog.json
}

case "${1:-}" in
deps) deps ;;
build) deps; build ;;
run)
    deps
    build
    shift
    exec "$top/tools/demo.sh" "$@"
    ;;
test)
    deps
    build
    build_san
    run_tests
    ;;
bench)
    deps
    build
    exec "$top/tools/bench.sh"
    ;;
*)
    echo "usage: $0 run|test   (developers: deps|build|bench)" >&2
    exit 2
    ;;
esac
