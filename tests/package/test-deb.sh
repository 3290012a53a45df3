#!/bin/sh
# test-deb.sh SOURCE_ROOT BUILD_ROOT VERSION: the Debian packages, built,
# checked, installed, run, purged.
#
# 1. packaging/build-deb.sh builds the packages from the working tree.
# 2. lintian finds no error in them.
# 3. kilovend ships every program the build installs, each with a manual
#    page; kilovend-firmware ships images whose SHA256SUMS verify.
# 4. They are installed with apt-get, as a utility's IT would, into a
#    throwaway root: an overlay of this machine's own / (a private mount
#    namespace, a tmpfs for the changes), so the machine is left exactly as it
#    was, including any kilovend package already installed.  There every
#    installed program answers --version with VERSION, the test hooks
#    (KILOVEND_NOW, KILOVEND_TEST_STOP) have no effect on the installed
#    kilovendctl (test-hooks-off.sh), and the app's demo starts under Xvfb
#    and D-Bus.
# 5. apt-get purge removes them and what they pulled in, and nothing is left
#    behind in /usr or /etc.
set -eu

src=$1
build=$2
version=$3

fail() {
    echo "FAIL: $*" >&2
    exit 1
}
[ "$(id -u)" -eq 0 ] || fail "needs root (apt-get, a private mount namespace)"

tmp=$(mktemp -d /tmp/kilovend-pkgtest.XXXXXX)
trap 'rm -rf "$tmp"' EXIT INT TERM
t0=$(date +%s)

# 1. Build.  The unit tests ran in this suite already (nocheck); the debug
# symbols package is not installed here (noautodbgsym).
DEB_BUILD_OPTIONS="nocheck noautodbgsym ${DEB_BUILD_OPTIONS:-}" \
    "$src/packaging/build-deb.sh" --worktree --out "$tmp/debs" >"$tmp/build.log" 2>&1 || {
    tail -n 40 "$tmp/build.log" >&2
    fail "packaging/build-deb.sh failed (log above)"
}
station=$tmp/debs/kilovend_${version}-*_*.deb
firmware=$tmp/debs/kilovend-firmware_${version}-*_all.deb
# shellcheck disable=SC2086
[ -f $station ] && [ -f $firmware ] || fail "missing kilovend or kilovend-firmware $version: $(ls "$tmp/debs")"
echo "ok   built in $(($(date +%s) - t0)) s:"
ls -l "$tmp"/debs/*.deb | awk '{ print "       " $5 " bytes  " $9 }' | sed "s|$tmp/debs/||"

# 2. lintian: no errors (warnings are listed).
lintian --fail-on error "$tmp"/debs/*.changes \
    >"$tmp/lintian.log" 2>&1 || {
    cat "$tmp/lintian.log" >&2
    fail "lintian reports errors"
}
grep -v '^running with root' "$tmp/lintian.log" | sed 's/^/       /' || true
echo "ok   lintian: no errors, $(grep -c '^W:' "$tmp/lintian.log" || true) warnings"

# 3. Contents.
# shellcheck disable=SC2086
dpkg-deb -c $station | awk '{ print $6 }' | sed 's|^\./|/|' >"$tmp/station.list"
# shellcheck disable=SC2086
dpkg-deb -c $firmware | awk '{ print $6 }' | sed 's|^\./|/|' >"$tmp/firmware.list"
meson introspect "$build" --targets | python3 -c '
import json, sys
for t in json.load(sys.stdin):
    if t["type"] == "executable" and t["installed"]:
        print(t["name"])' >"$tmp/programs"
[ -s "$tmp/programs" ] || fail "the build installs no program"
while read -r prog; do
    grep -qx "/usr/bin/$prog" "$tmp/station.list" || fail "kilovend lacks /usr/bin/$prog"
    grep -qx "/usr/share/man/man1/$prog.1.gz" "$tmp/station.list" || fail "kilovend lacks the manual page of $prog"
done <"$tmp/programs"
echo "ok   kilovend ships $(tr '\n' ' ' <"$tmp/programs")with manual pages"
grep -q "^/usr/lib/kilovend/firmware/kilovend-meter-.*-$version\.elf$" "$tmp/firmware.list" ||
    fail "kilovend-firmware has no meter image for $version"
mkdir "$tmp/fw"
# shellcheck disable=SC2086
dpkg-deb -x $firmware "$tmp/fw"
(cd "$tmp/fw/usr/lib/kilovend/firmware" && sha256sum --quiet -c SHA256SUMS) ||
    fail "the firmware images do not match their SHA256SUMS"
for elf in "$tmp"/fw/usr/lib/kilovend/firmware/*.elf; do
    base=${elf%.elf}
    [ -f "$base.bin" ] && [ -f "$base.hex" ] || fail "$(basename "$base") lacks its .bin or .hex"
done
echo "ok   kilovend-firmware: $(ls "$tmp/fw/usr/lib/kilovend/firmware" | tr '\n' ' ')"

# 4 and 5 run inside the throwaway root.
cat >"$tmp/inside.sh" <<'EOF'
#!/bin/sh
set -eu
version=$1
fail() {
    echo "FAIL: $*" >&2
    exit 1
}
export DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8
# Services stay down: this root shares the machine's network and devices.
printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
chmod 755 /usr/sbin/policy-rc.d
# A kilovend already installed on the machine: out of the way (here only).
old=$(dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' 'kilovend*' 2>/dev/null | awk '$1 ~ /^[ih]i/ { print $2 }')
[ -z "$old" ] || apt-get purge -y -q $old >/dev/null
snapshot() {
    find /usr /etc -xdev -path /etc/ld.so.cache -prune -o -printf '%p %y\n' | sort
}
installed() {
    dpkg-query -W -f='${db:Status-Abbrev} ${Package}\n' | awk '$1 ~ /^ii/ { print $2 }' | sort
}
snapshot >/tmp/before.files
installed >/tmp/before.pkgs

apt-get install -y -q --no-install-recommends /tmp/debs/kilovend_*.deb \
    /tmp/debs/kilovend-firmware_*.deb >/tmp/apt.log 2>&1 || { cat /tmp/apt.log >&2; fail "apt-get install"; }
echo "ok   apt-get install ./kilovend_*.deb ./kilovend-firmware_*.deb"

for prog in $(dpkg -L kilovend | grep '^/usr/bin/'); do
    out=$("$prog" --version 2>&1) || fail "$prog --version exits $?: $out"
    case $(printf '%s\n' "$out" | head -n 1) in
    "$(basename "$prog") $version" | "$(basename "$prog") $version "*) ;;
    *) fail "$prog --version prints '$out', not version $version" ;;
    esac
    echo "ok   installed $(basename "$prog") --version: $out"
done
[ ! -e /usr/bin/kilovendctl ] || kilovendctl --version | grep -Eq "^kilovendctl $version( |\$)" ||
    fail "kilovendctl --version"
(cd /usr/lib/kilovend/firmware && sha256sum --quiet -c SHA256SUMS) || fail "installed images vs SHA256SUMS"
echo "ok   installed firmware images verify"

# The test hooks are compiled out of the package (-Dtest_hooks=false).
[ ! -e /usr/bin/kilovendctl ] || sh /tmp/test-hooks-off.sh /usr/bin/kilovendctl ||
    fail "the installed kilovendctl obeys a test hook"

# The app's demo: its own pcscd, virtual reader and card, demo database;
# under Xvfb it must come up, register on the session bus and quit on request.
if [ -x /usr/bin/kilovend ]; then
    home=$(mktemp -d)
    HOME=$home XDG_RUNTIME_DIR=$home timeout 120 dbus-run-session -- xvfb-run -a -s "-screen 0 1280x1024x24" sh -c '
        kilovend --demo >/tmp/demo.log 2>&1 &
        pid=$!
        i=0
        until gdbus introspect --session --dest org.kilovend.Station --object-path /org/kilovend/Station >/dev/null 2>&1; do
            i=$((i + 1))
            if [ $i -gt 60 ] || ! kill -0 $pid 2>/dev/null; then
                cat /tmp/demo.log >&2
                echo "FAIL: kilovend --demo did not come up" >&2
                kill $pid 2>/dev/null
                exit 1
            fi
            sleep 0.5
        done
        # The name comes first; the window follows once the demo station
        # is made (its meters run for a while): wait until it is drawn.
        i=0
        while :; do
            import -window root /tmp/demo.png
            [ "$(convert /tmp/demo.png -format "%k" info:)" -gt 16 ] && break
            i=$((i + 1))
            [ $i -gt 60 ] && break
            sleep 0.5
        done
        gapplication action org.kilovend.Station quit || kill $pid
        wait $pid
    ' || fail "installed kilovend --demo"
    colours=$(convert /tmp/demo.png -format '%k' info:)
    [ "$colours" -gt 16 ] || fail "the demo window is not drawn ($colours colours on the screen)"
    echo "ok   installed kilovend --demo came up under Xvfb ($colours colours drawn) and quit"
    rm -rf "$home"
fi

apt-get purge -y -q kilovend kilovend-firmware >/tmp/apt.log 2>&1 || { cat /tmp/apt.log >&2; fail "apt-get purge"; }
new=$(installed | comm -13 /tmp/before.pkgs -)
[ -z "$new" ] || apt-get purge -y -q $new >/tmp/apt.log 2>&1 || { cat /tmp/apt.log >&2; fail "purging $new"; }
[ -z "$(installed | comm -3 /tmp/before.pkgs -)" ] || fail "packages differ after the purge: $(installed | comm -3 /tmp/before.pkgs - | tr '\n' ' ')"
echo "ok   apt-get purge${new:+ (and $new)}"
snapshot >/tmp/after.files
if ! diff -u /tmp/before.files /tmp/after.files >/tmp/left.diff; then
    cat /tmp/left.diff >&2
    fail "files left behind or removed in /usr or /etc (diff above)"
fi
echo "ok   nothing left behind in /usr or /etc"
EOF

ovl=$tmp/ovl
mkdir "$ovl"
# The whole throwaway root lives in a private mount and PID namespace: when
# this command ends, its mounts and any process started inside are gone.
unshare --mount --pid --fork --propagation private sh -eu -c '
    ovl=$1; tmp=$2; version=$3; src=$4
    mount -t tmpfs -o size=1g kilovend-pkgtest "$ovl"
    mkdir "$ovl/upper" "$ovl/work" "$ovl/root"
    mount -t overlay overlay -o "lowerdir=/,upperdir=$ovl/upper,workdir=$ovl/work" "$ovl/root"
    r=$ovl/root
    mount -t proc proc "$r/proc"
    mount --rbind /dev "$r/dev"
    mount --rbind /sys "$r/sys"
    mount -t tmpfs tmpfs "$r/tmp"
    mount -t tmpfs tmpfs "$r/run"
    mkdir "$r/tmp/debs" "$r/run/lock"
    cp "$tmp"/debs/*.deb "$r/tmp/debs/"
    cp "$tmp/inside.sh" "$r/tmp/inside.sh"
    cp "$src/tests/package/test-hooks-off.sh" "$r/tmp/test-hooks-off.sh"
    exec chroot "$r" /bin/sh /tmp/inside.sh "$version"
' sh "$ovl" "$tmp" "$version" "$src" || fail "in the throwaway root (above)"

echo "ok   all in $(($(date +%s) - t0)) s"
