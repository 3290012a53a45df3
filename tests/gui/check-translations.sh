#!/bin/sh
# check-translations.sh SRCDIR - every translatable string of the station (the
# app, the meter window, the core library and kilovendctl) is translated in every language of
# po/LINGUAS, and po/POTFILES.in lists every source file that has translatable
# strings.
set -eu
src=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$src"
status=0

# Files with translatable strings missing from POTFILES.in.
for f in src/app/*.c src/core/*.c src/ctl/*.c src/meter-window/*.c ui/*.ui ui/data/*.in ui/data/*.gschema.xml; do
    if grep -q -E '_\("|N_\("|C_\("|ngettext\(|translatable="yes"|<summary>|^Name=|<name>' "$f" &&
        ! grep -q -x "$f" po/POTFILES.in; then
        echo "not in po/POTFILES.in: $f"
        status=1
    fi
done

# The same extraction as meson's i18n 'glib' preset.
xgettext --from-code=UTF-8 --add-comments --keyword=_ --keyword=N_ --keyword=C_:1c,2 \
    --keyword=NC_:1c,2 --keyword=g_dcgettext:2 --keyword=g_dngettext:2,3 \
    --keyword=g_dpgettext2:2c,3 --flag=N_:1:pass-c-format --flag=C_:2:pass-c-format \
    --flag=NC_:2:pass-c-format --flag=g_dngettext:2:pass-c-format \
    --flag=g_strdup_printf:1:c-format --flag=g_string_printf:2:c-format \
    --flag=g_string_append_printf:2:c-format --flag=g_error_new:3:c-format \
    --flag=g_set_error:4:c-format --flag=g_printerr:1:c-format \
    -f po/POTFILES.in -D . -o "$tmp/kilovend.pot"
n=$(grep -c '^msgid ' "$tmp/kilovend.pot")
echo "$((n - 1)) translatable strings"

for lang in $(sed 's/#.*//' po/LINGUAS); do
    # msgcmp fails on any string missing, untranslated or fuzzy in the .po.
    if ! msgcmp "po/$lang.po" "$tmp/kilovend.pot"; then
        echo "po/$lang.po is incomplete"
        status=1
    fi
    msgfmt --check --statistics -o /dev/null "po/$lang.po" || status=1
done
exit $status
