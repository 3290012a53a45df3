#!/bin/bash
# run-in-pcsc-env.sh PCSC_ENV VCARD [--vcard-arg ARG]... COMMAND... - run a
# test inside its own PC/SC stack (tests/pcsc/kv-pcsc-env) with a blank card
# in the virtual reader; the test inserts the cards it wants through
# KV_VCARD_CONTROL.  --vcard-arg options are passed to kilovend-vcard.
set -eu
env_tool=$1 vcard=$2
shift 2
opts=()
while [ $# -ge 2 ] && [ "$1" = --vcard-arg ]; do
    opts+=(--vcard-arg "$2")
    shift 2
done
# KV_GUI_PCSC_KEEP=DIR keeps the stack's logs (pcscd, virtual card) there.
[ -n "${KV_GUI_PCSC_KEEP:-}" ] && opts+=(--keep "$KV_GUI_PCSC_KEEP")
dir=$(mktemp -d /tmp/kv-gui-pcsc.XXXXXX)
trap 'rm -rf "$dir"' EXIT
"$env_tool" --vcard "$vcard" --new "$dir/blank.card" ${opts[@]+"${opts[@]}"} -- "$@"
