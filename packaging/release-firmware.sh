#!/bin/sh
# release-firmware.sh - the meter firmware release, in one command.
#
#   packaging/release-firmware.sh [--build-dir DIR] [--out DIR]
#
# Builds the cross build (default build-arm/, set up with the project's cross
# file if missing), runs all of its tests, and refuses to release if one
# fails, if an image changed while they ran, or if no test ran an image.
# Then it writes, for each real board (the boards that register an image in
# fw_release_images, see packaging/firmware/meson.build):
#
#   kilovend-meter-<board>-<version>.elf / .bin / .hex
#   SIZES        flash and RAM of each image (arm-none-eabi-size) and .bin bytes
#   BUILD-INFO   version, source commit, toolchain, the tests that ran each image
#   SHA256SUMS   checksums of the images (sha256sum -c SHA256SUMS)
#
# into OUT (default _release/kilovend-firmware-<version>/), which must not
# exist or be empty.  docs/release.md is the whole release procedure.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
build=$top/build-arm
out=

usage() {
    sed -n '3,4p' "$0" | sed 's/^# *//'
}
die() {
    echo "release-firmware: $*" >&2
    exit 1
}

while [ $# -gt 0 ]; do
    case $1 in
    --build-dir) build=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; exit 2 ;;
    esac
done

# 1. Build.
if [ ! -f "$build/build.ninja" ]; then
    meson setup "$build" "$top" \
        --cross-file "$top/firmware/cross/arm-none-eabi-cortex-m3.txt" >/dev/null ||
        die "cannot set up the cross build in $build"
fi
meson compile -C "$build" >/dev/null || die "the cross build failed: meson compile -C $build"

info=$(meson introspect "$build" --projectinfo --targets)
version=$(printf '%s' "$info" | python3 -c 'import json,sys; print(json.load(sys.stdin)["projectinfo"]["version"])')

# Each release ELF is a copy of a board's image: find both (board image path,
# release image path) from the build's own description.
pairs=$(printf '%s' "$info" | python3 -c '
import json, sys
for t in json.load(sys.stdin)["targets"]:
    name = t["name"]
    if t["type"] == "custom" and name.startswith("kilovend-meter-") and name.endswith(".elf"):
        src = [s for ts in t["target_sources"] for s in ts.get("sources", [])]
        print(src[0], t["filename"][0])
')
[ -n "$pairs" ] || die "no real board registers a release image in $build (fw_release_images in packaging/firmware/meson.build)"

imgdir=$build/packaging/firmware
images=$(ls "$imgdir"/kilovend-meter-*-"$version".elf "$imgdir"/kilovend-meter-*-"$version".bin \
    "$imgdir"/kilovend-meter-*-"$version".hex 2>/dev/null | sort) || true
[ -n "$images" ] || die "no images for version $version in $imgdir"

# 2. Test the very files that will be released.
before=$(sha256sum $images)
meson test -C "$build" --print-errorlogs >/dev/null ||
    die "the firmware tests failed: see $build/meson-logs/testlog.txt; nothing released"
after=$(sha256sum $images)
[ "$before" = "$after" ] || die "images changed while the tests ran (sources edited?); run again"

# Every board image must have been run by at least one test of this build,
# and the release ELF must be that very image.
tested=$(printf '%s\n' "$pairs" | python3 -c '
import json, os, sys
log = [json.loads(l) for l in open(sys.argv[1])]
bad = 0
for line in sys.stdin:
    if not line.strip():
        continue
    board_elf, release_elf = line.split()
    here = os.path.realpath(board_elf)
    names = [r["name"] for r in log if r["result"] in ("OK", "EXPECTEDFAIL") and
             any(os.path.realpath(os.path.join(sys.argv[2], c)) == here
                 for c in r.get("command", []))]
    if not names:
        print("no passing test ran " + board_elf, file=sys.stderr)
        bad = 1
    if open(board_elf, "rb").read() != open(release_elf, "rb").read():
        print(release_elf + " differs from " + board_elf, file=sys.stderr)
        bad = 1
    print(os.path.basename(release_elf) + ": " + ", ".join(names))
sys.exit(bad)
' "$build/meson-logs/testlog.json" "$build") || die "refusing to release an image the tests did not run"
summary=$(python3 -c '
import json, sys
r = [json.loads(l)["result"] for l in open(sys.argv[1])]
ok = sum(x in ("OK", "EXPECTEDFAIL") for x in r)
print(f"{ok} passed, {len(r) - ok} failed")
' "$build/meson-logs/testlog.json")

# 3. Collect.
[ -n "$out" ] || out=$top/_release/kilovend-firmware-$version
if [ -d "$out" ] && [ -n "$(ls -A "$out")" ]; then
    die "$out is not empty: remove it or give another --out"
fi
mkdir -p "$out"
for f in $images; do
    cp "$f" "$out/"
    chmod 644 "$out/$(basename "$f")"
done

{
    printf '%-40s %8s %8s %8s %10s %10s\n' image text data bss "flash B" "RAM B"
    for f in $(printf '%s\n' $images | grep '\.elf$'); do
        arm-none-eabi-size "$f" | awk -v n="$(basename "$f")" 'NR == 2 {
            printf "%-40s %8d %8d %8d %10d %10d\n", n, $1, $2, $3, $1 + $2, $2 + $3 }'
    done
    echo
    for f in $(printf '%s\n' $images | grep '\.bin$'); do
        printf '%-40s %8d bytes\n' "$(basename "$f")" "$(stat -c %s "$f")"
    done
} >"$out/SIZES"

commit=$(git -C "$top" rev-parse HEAD 2>/dev/null || echo unknown)
state=clean
[ -z "$(git -C "$top" status --porcelain 2>/dev/null)" ] || state="with local changes"
{
    echo "kilovend meter firmware $version"
    echo "source: $commit ($state)"
    echo "toolchain: $(arm-none-eabi-gcc --version | head -n 1)"
    echo "build: $(cd "$build" && pwd)"
    echo "tests: $summary (meson test -C build-arm, on these images)"
    printf '%s\n' "$tested" | sed 's/^/tested /'
} >"$out/BUILD-INFO"

"$top/packaging/firmware/sha256sums.sh" "$out/SHA256SUMS" $(printf '%s\n' $images | sed "s|^.*/|$out/|")

cat "$out/SIZES"
echo
cat "$out/SHA256SUMS"
echo
echo "release: $out"
[ "$state" = clean ] || echo "warning: built from a tree with local changes (a release comes from a clean tag, docs/release.md)" >&2
