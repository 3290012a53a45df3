#!/bin/sh
# build-deb.sh - the Debian packages, from a clean copy of the source.
#
#   packaging/build-deb.sh [--worktree] [--out DIR] [-- DPKG-BUILDPACKAGE-ARGS]
#
# dpkg-buildpackage wants debian/ at the top of the source tree; the project
# keeps it in packaging/debian/.  This copies the source into a temporary
# directory (by default the committed tree, `git archive HEAD`; with
# --worktree the files of the working tree that git tracks or would track,
# so uncommitted changes are built too), puts packaging/debian there as
# debian/, runs `dpkg-buildpackage -us -uc -b` and copies the .deb,
# .buildinfo and .changes files into DIR (default _release/deb/).
#
# Needs the build dependencies of packaging/debian/control (./kilovend.sh deps
# installs them); runs as any user.  DEB_BUILD_OPTIONS is honoured
# (nocheck skips the unit tests that the package build otherwise runs).
# The packaged programs are built with -Dtest_hooks=false (debian/rules):
# KILOVEND_NOW, KILOVEND_TEST_STOP and KILOVEND_LOCALEDIR do nothing in them.
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/_release/deb
from=head

while [ $# -gt 0 ]; do
    case $1 in
    --worktree) from=worktree; shift ;;
    --out) out=$2; shift 2 ;;
    --) shift; break ;;
    -h | --help) sed -n '3,4p' "$0" | sed 's/^# *//'; exit 0 ;;
    *) echo "usage: $0 [--worktree] [--out DIR] [-- DPKG-BUILDPACKAGE-ARGS]" >&2; exit 2 ;;
    esac
done

version=$(sed -n "s/^  version: '\(.*\)',/\1/p" "$top/meson.build")
[ -n "$version" ] || { echo "build-deb: no version: in meson.build" >&2; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/kilovend-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT INT TERM
src=$work/kilovend-$version
mkdir "$src"

cd "$top"
if [ "$from" = head ]; then
    git archive --format=tar HEAD | tar -x -C "$src"
else
    git ls-files -z --cached --others --exclude-standard |
        tar --null --no-recursion --ignore-failed-read -T - -c 2>/dev/null | tar -x -C "$src"
fi
[ -d "$src/packaging/debian" ] || { echo "build-deb: no packaging/debian in the source" >&2; exit 1; }
cp -a "$src/packaging/debian" "$src/debian"

cd "$src"
jobs=$(nproc 2>/dev/null || echo 1)
dpkg-buildpackage -us -uc -b -j"$jobs" "$@"

mkdir -p "$out"
for f in "$work"/*.deb "$work"/*.buildinfo "$work"/*.changes; do
    [ -e "$f" ] && cp "$f" "$out/"
done
echo "packages in $out:"
ls -l "$out"/*.deb
