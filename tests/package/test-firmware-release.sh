#!/bin/sh
# test-firmware-release.sh SOURCE_ROOT VERSION METER_SIM FW_TESTKIT PROV_RETARGET
#
# The firmware release, as packaging/release-firmware.sh makes it, in a
# private cross build:
#  1. the release has .elf/.bin/.hex for each real board, named with board
#     and version, SIZES, BUILD-INFO and a SHA256SUMS that verifies;
#  2. each released ELF is, byte for byte, a file that a passing test of that
#     same build ran (meson's test log: the test's command names the file),
#     and the .bin and .hex hold exactly the ELF's program;
#  3. the released image links the same compiled meter core
#     (libkvmeter-core.a of that build) as the scenario image the build's
#     QEMU test ran, whose table includes the unprovisioned meter;
#  4. that meter core refuses a corrupted provisioning block (`UnProG`) and
#     a block of another utility or meter number (`Err 26`), on the host
#     board through kilovend-meter-sim with the very same block files, and
#     changes nothing: the meter works again with its own block.
# The STM32F103 image itself cannot boot in QEMU 7.2 (no STM32F103 machine;
# its clock setup waits for the external crystal), hence 3 and 4.
set -eu

src=$1
version=$2
sim=$(realpath "$3")
kit=$(realpath "$4")
retarget=$(realpath "$5")

tmp=$(mktemp -d /tmp/kilovend-fwrel.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
fails=0
ok() { echo "ok   $*"; }
bad() {
    echo "FAIL $*" >&2
    fails=$((fails + 1))
}
t0=$(date +%s)

# ---- the release ------------------------------------------------------------
b=$tmp/build-arm
rel=$tmp/release
"$src/packaging/release-firmware.sh" --build-dir "$b" --out "$rel" >"$tmp/release.log" 2>&1 || {
    cat "$tmp/release.log" >&2
    echo "FAIL packaging/release-firmware.sh" >&2
    exit 1
}
ok "release made in $(($(date +%s) - t0)) s"

elfs=$(ls "$rel"/kilovend-meter-*-"$version".elf 2>/dev/null) || true
[ -n "$elfs" ] || { echo "FAIL no kilovend-meter-<board>-$version.elf in the release" >&2; exit 1; }
for f in SIZES BUILD-INFO SHA256SUMS; do
    [ -s "$rel/$f" ] && ok "release has $f" || bad "release lacks $f"
done
(cd "$rel" && sha256sum --quiet -c SHA256SUMS) && ok "SHA256SUMS verifies" || bad "SHA256SUMS does not verify"
[ "$(wc -l <"$rel/SHA256SUMS")" -eq $(($(echo "$elfs" | wc -l) * 3)) ] &&
    ok "SHA256SUMS covers the three files of each board" || bad "SHA256SUMS does not list every image"
grep -q "^kilovend meter firmware $version\$" "$rel/BUILD-INFO" && ok "BUILD-INFO names $version" ||
    bad "BUILD-INFO does not name $version"

for elf in $elfs; do
    base=${elf%.elf}
    name=$(basename "$base")
    grep -q "^$name.elf " "$rel/SIZES" && ok "SIZES lists $name.elf" || bad "SIZES lacks $name.elf"

    # 2. The very file a passing test ran.
    ran=$(python3 - "$b" "$elf" <<'EOF'
import hashlib, json, os, sys
build, released = sys.argv[1], sys.argv[2]
want = hashlib.sha256(open(released, "rb").read()).hexdigest()
for line in open(os.path.join(build, "meson-logs", "testlog.json")):
    r = json.loads(line)
    if r["result"] != "OK":
        continue
    for c in r.get("command", []):
        p = os.path.join(build, c)
        if c.endswith(".elf") and os.path.isfile(p) and \
                hashlib.sha256(open(p, "rb").read()).hexdigest() == want:
            print(r["name"] + " ran " + os.path.relpath(p, build))
EOF
    )
    [ -n "$ran" ] && ok "$name.elf is the image that $ran" ||
        bad "$name.elf is not a file any passing test of the build ran"

    arm-none-eabi-objcopy -O binary "$elf" "$tmp/from-elf.bin"
    cmp -s "$tmp/from-elf.bin" "$base.bin" && ok "$name.bin is the ELF's program" ||
        bad "$name.bin differs from the ELF's program"
    arm-none-eabi-objcopy -I ihex -O binary "$base.hex" "$tmp/from-hex.bin"
    cmp -s "$tmp/from-hex.bin" "$base.bin" && ok "$name.hex holds the same bytes" ||
        bad "$name.hex differs from $name.bin"

    # 3. Same compiled meter core as the image the QEMU scenarios ran.
    target=$(echo "$ran" | sed -n 's/.* ran //p' | head -n 1)
    scen=tests/arm/test-fw-scenarios-arm.elf
    core=$(ninja -C "$b" -t inputs "$target" 2>/dev/null | grep 'libkvmeter-core\.a$' || true)
    if [ -n "$core" ] && ninja -C "$b" -t inputs "$scen" 2>/dev/null | grep -qx "$core" &&
        python3 -c '
import json, sys
sys.exit(not any(r["result"] == "OK" and any(c.rsplit("/", 1)[-1] == sys.argv[2].rsplit("/", 1)[-1]
                                             for c in r.get("command", []))
                 for r in map(json.loads, open(sys.argv[1]))))' "$b/meson-logs/testlog.json" "$scen"; then
        ok "$name.elf links $core, as the passing QEMU scenario image does"
    else
        bad "$name.elf and the QEMU scenario image do not share the build's meter core"
    fi
done

# ---- provisioning blocks on the same meter core (host board) ---------------
cd "$tmp"
state() { # state DIR BLOCK: the meter's status as JSON
    "$sim" --state "$1" --config "$2" status --json
}
field() { # field JSON NAME: a scalar field
    printf '%s' "$1" | python3 -c 'import json,sys; v=json.load(sys.stdin).get(sys.argv[1]); print("" if v is None else v)' "$2"
}
"$kit" office provision good.bin >/dev/null
"$kit" office card user.card user 1001 >/dev/null
"$kit" office sell user.card 5000 >/dev/null
cp good.bin corrupt.bin
# one bit of the meter key flipped: the CRC no longer matches
printf "$(printf '\\%03o' $(($(od -An -tu1 -j20 -N1 good.bin) ^ 1)))" |
    dd of=corrupt.bin bs=1 seek=20 conv=notrunc 2>/dev/null
cmp -s good.bin corrupt.bin && bad "corrupt.bin equals good.bin"
utility=$(field "$(state m0 good.bin)" utility_code)
number=$(field "$(state m0 good.bin)" meter_number)
"$retarget" good.bin other-utility.bin utility $((utility + 1))
# the next serial (the 8 digits before the check digit)
"$retarget" good.bin other-meter.bin meter $(($(echo "$number" | sed 's/^0*//; s/.$//') + 1))

# Writing a block means halting and resetting the MCU: RAM does not survive.
# The simulator keeps a powered meter's RAM in DIR/ram.bin; a reflash drops it.
reflash() {
    rm -f "$1/ram.bin"
}
s=$(state m1 corrupt.bin)
[ "$(field "$s" display)" = UnProG ] && [ "$(field "$s" provisioned)" = False ] &&
    [ "$(field "$s" relay)" = open ] &&
    ok "corrupted block on a new meter: display UnProG, unprovisioned, relay open" ||
    bad "corrupted block on a new meter: $s"
"$sim" --state m1 --config corrupt.bin insert user.card >/dev/null 2>&1 &&
    bad "an unprovisioned meter accepted a card" || true
[ "$(field "$(state m1 corrupt.bin)" display)" = UnProG ] && ok "unprovisioned meter ignores a card" ||
    bad "unprovisioned meter reacted to a card"

"$sim" --state m2 --config good.bin insert user.card >/dev/null
s=$(state m2 good.bin)
[ "$(field "$s" remaining)" = 5000 ] && ok "own block: meter $(field "$s" meter_number) loads 50.00 kWh" ||
    bad "own block: $s"
nv=$(sha256sum <m2/nv.bin)
reflash m2
[ "$(field "$(state m2 corrupt.bin 2>/dev/null)" display)" = UnProG ] &&
    ok "corrupted block on a working meter: display UnProG" || bad "corrupted block on a working meter"
for blk in other-utility other-meter; do
    reflash m2
    s=$(state m2 $blk.bin)
    [ "$(field "$s" display)" = "Err 26" ] && [ "$(field "$s" relay)" = open ] &&
        ok "$blk block on a bound meter: display Err 26, relay open" || bad "$blk block: $s"
    "$sim" --state m2 --config $blk.bin insert user.card >/dev/null 2>&1 &&
        bad "$blk block: a card was accepted" || true
done
[ "$(sha256sum <m2/nv.bin)" = "$nv" ] && ok "refused blocks wrote nothing to the meter's memory" ||
    bad "the meter's memory changed under a refused block"
reflash m2
s=$(state m2 good.bin)
[ "$(field "$s" remaining)" = 5000 ] && [ "$(field "$s" cumulative_loaded)" = 5000 ] &&
    [ "$(field "$s" display)" = "0050.00kWh" ] &&
    ok "own block again: 50.00 kWh kept, display 0050.00kWh" || bad "after the refused blocks: $s"

echo "$fails failed, in $(($(date +%s) - t0)) s"
[ "$fails" -eq 0 ]
