#!/bin/sh
# run-in-pcsc-env.sh PCSC_ENV VCARD COMMAND... - run a test inside its own
# PC/SC stack (tests/pcsc/kv-pcsc-env) with a blank card in the virtual
# reader; the test inserts the cards it wants through KV_VCARD_CONTROL.
set -eu
env_tool=$1 vcard=$2
shift 2
dir=$(mktemp -d /tmp/kv-gui-pcsc.XXXXXX)
trap 'rm -rf "$dir"' EXIT
"$env_tool" --vcard "$vcard" --new "$dir/blank.card" -- "$@"
