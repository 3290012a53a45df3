/* reinsert-service-loop.c - the same remove/insert cycles as reinsert-loop.c,
 * watched through the station's card service (kv_card_service_wait, as the
 * app's card watcher calls it: 1 s waits in a loop).  Per cycle: was the
 * removal reported, was the insertion reported.  Run inside kv-pcsc-env;
 * not part of the test suite.  Build (after meson compile):
 *   gcc -Isrc/card -Icrypto -o /tmp/rsl tools/reinsert-service-loop.c \
 *       build/src/card/libkvcardsvc.a $(pkg-config --cflags --libs glib-2.0 libpcsclite libcrypto) */
#include "kv-card-service.h"

#include <stdio.h>
#include <stdlib.h>

static void vcard(const char *cmd)
{
    FILE *f = fopen(g_getenv("KV_VCARD_CONTROL"), "w");
    if (!f) { perror("control"); exit(2); }
    fprintf(f, "%s\n", cmd);
    fclose(f);
}

/* Wait (1 s slices, up to limit_ms) for the event wanted; returns ms or -1. */
static gint64 wait_event(KvCardService *svc, KvCardEvent want, gint64 limit_ms)
{
    gint64 t0 = g_get_monotonic_time();
    while ((g_get_monotonic_time() - t0) / 1000 < limit_ms) {
        g_autoptr(GError) error = NULL;
        g_autofree char *r = NULL;
        KvCardEvent ev = kv_card_service_wait(svc, NULL, 1000, &r, &error);
        if (error) { printf("  error: %s\n", error->message); continue; }
        if (ev == want) return (g_get_monotonic_time() - t0) / 1000;
        if (ev != KV_CARD_EVENT_NONE) printf("  event %d\n", ev);
    }
    return -1;
}

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 100, missed = 0, out_missed = 0;
    g_autoptr(GError) error = NULL;
    g_autofree char *insert = g_strdup_printf("insert %s", g_getenv("KV_VCARD_CARD"));
    KvCardService *svc = kv_card_service_new(&error);

    if (!svc) { printf("%s\n", error->message); return 2; }
    wait_event(svc, KV_CARD_EVENT_READER_ADDED, 3000);
    wait_event(svc, KV_CARD_EVENT_INSERTED, 3000);
    for (int i = 0; i < n; i++) {
        vcard("remove");
        gint64 out = wait_event(svc, KV_CARD_EVENT_REMOVED, 5000);
        if (out < 0) { out_missed++; printf("cycle %d: removal not reported\n", i); }
        vcard(insert);
        gint64 in = wait_event(svc, KV_CARD_EVENT_INSERTED, 5000);
        if (in < 0) {
            missed++;
            printf("cycle %d: insertion NOT reported in 5 s\n", i);
        } else {
            printf("cycle %d: out after %" G_GINT64_FORMAT " ms, in after %" G_GINT64_FORMAT
                   " ms\n", i, out, in);
        }
        fflush(stdout);
    }
    printf("cycles %d, insertions missed %d, removals missed %d\n", n, missed, out_missed);
    kv_card_service_free(svc);
    return missed || out_missed;
}
