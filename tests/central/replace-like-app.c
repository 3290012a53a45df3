/* replace-like-app.c - a lost card replaced the way the GTK app replaces
 * it: the station opened as the app's session opens it
 * (kv_sync_station_open: its card replacements reserved at head office
 * through the sync client), the user signed in and the keys unlocked, then
 * kv_card_replace on a card (the session's worker); with --no-link, a
 * front end that passes no link to head office (kv_station_open alone).
 *
 *   replace-like-app [--no-link] DB CARD_FILE METER REASON
 *
 * KILOVEND_KEYS, KILOVEND_USER, KILOVEND_PASSWORD, KILOVEND_PASSPHRASE and
 * KILOVEND_SYNC_CONF as for kilovendctl.  Prints the new card's serial;
 * exit 0 replaced, 19 refused (a state the operation needs: offline, no
 * link, reserved by another station), 1 any other error (on stderr). */
#include <stdio.h>
#include <string.h>

#include "kv-core.h"
#include "kv-sync-client.h"

int main(int argc, char **argv)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvStation) st = NULL;
    g_autoptr(KvCardLink) card = NULL;
    g_autoptr(KvCardRecord) rec = NULL;
    gboolean no_link = argc > 1 && strcmp(argv[1], "--no-link") == 0;
    const char *keys = g_getenv("KILOVEND_KEYS");
    guint32 meter = 0;

    argv += no_link;
    argc -= no_link;
    if (argc != 5) {
        fprintf(stderr, "usage: replace-like-app [--no-link] DB CARD_FILE METER REASON\n");
        return 2;
    }
    st = no_link ? kv_station_open(argv[1], keys, &e) : kv_sync_station_open(argv[1], keys, NULL, &e);
    if (st && kv_station_login(st, g_getenv("KILOVEND_USER"), g_getenv("KILOVEND_PASSWORD"), &e) &&
        kv_station_unlock_keys(st, g_getenv("KILOVEND_PASSPHRASE"), NULL, NULL, &e) &&
        kv_meter_number_parse(argv[3], &meter, &e) && (card = kv_card_link_file_open(argv[2], &e)))
        rec = kv_card_replace(st, card, meter, argv[4], &e);
    if (!rec) {
        fprintf(stderr, "replace-like-app: %s\n", e->message);
        return g_error_matches(e, KV_CORE_ERROR, KV_CORE_ERROR_STATE) ? 19 : 1;
    }
    printf("%u\n", rec->serial);
    return 0;
}
