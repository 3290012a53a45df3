/* bench-sync-sell.c - N real sales on a card file into an existing ledger,
 * quickly (one process: one login, one key unlock), for the catch-up
 * benchmark of tools/bench-offices.sh: the sales then wait for `kilovendctl
 * sync`.  Each is a whole sale (pending, token on the card, written,
 * completed, with its audit rows), as kilovendctl sell does.
 *
 *   bench-sync-sell DB KEYS CARD_FILE METER N [AMOUNT]
 * Login and passphrase: KILOVEND_USER / KILOVEND_PASSWORD /
 * KILOVEND_PASSPHRASE.  A shift must be open. */
#include <stdio.h>
#include <stdlib.h>

#include "kv-core.h"

int main(int argc, char **argv)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) link = NULL;
    KvStation *st;
    KvSaleRequest req = { .amount = 0 };
    guint32 meter;
    guint n;
    gint64 t0;

    if (argc < 6 || argc > 7) {
        fprintf(stderr, "usage: bench-sync-sell DB KEYS CARD_FILE METER N [AMOUNT]\n");
        return 2;
    }
    meter = (guint32)strtoul(argv[4], NULL, 10);
    n = (guint)strtoul(argv[5], NULL, 10);
    req.amount = argc > 6 ? strtoll(argv[6], NULL, 10) : 1000;
    if (!(st = kv_station_open(argv[1], argv[2], &e)) ||
        !kv_station_login(st, g_getenv("KILOVEND_USER") ? g_getenv("KILOVEND_USER") : "admin",
                          g_getenv("KILOVEND_PASSWORD") ? g_getenv("KILOVEND_PASSWORD") : "", &e) ||
        !kv_station_unlock_keys(st, g_getenv("KILOVEND_PASSPHRASE") ? g_getenv("KILOVEND_PASSPHRASE") : "",
                                NULL, NULL, &e) ||
        !(link = kv_card_link_file_open(argv[3], &e))) {
        fprintf(stderr, "bench-sync-sell: %s\n", e->message);
        return 1;
    }
    t0 = g_get_monotonic_time();
    for (guint i = 0; i < n; i++) {
        KvSale *s = kv_sale_sell(st, link, meter, &req, &e);
        if (!s) {
            fprintf(stderr, "bench-sync-sell: sale %u: %s\n", i + 1, e->message);
            kv_station_free(st);
            return 1;
        }
        kv_sale_free(s);
    }
    printf("%u sales in %.1f s\n", n, (double)(g_get_monotonic_time() - t0) / 1e6);
    kv_station_free(st);
    return 0;
}
