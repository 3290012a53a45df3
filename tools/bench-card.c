/* bench-card.c - what each card operation costs, through the real PC/SC
 * stack (run by tools/bench-card.sh inside tests/pcsc/kv-pcsc-env with a
 * blank virtual card).
 *
 * Per operation (issue a card, sell, read): APDU round trips, bytes read
 * and written, the card time the written bytes imply at the datasheet's
 * 2.5 ms per erase+write, the wall time measured, and the station's CPU
 * time outside card I/O (key derivation, sealing, decoding, planning, the
 * report).  Uses a fixed benchmark master key, never a real utility's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <glib.h>

#include "kv-card-report.h"
#include "kv-card.h"
#include "kv_card.h"
#include "kv_util.h"

#define WRITE_US 2500u
static const uint8_t master[16] = "kilovend-bench!";
static const uint32_t utility = 4711, meter = 123456782u, serial = 42;

typedef struct {
    const char *name;
    guint runs;
    KvCardStats io;
    gint64 wall_us;
    gint64 cpu_ns; /* station work outside card I/O */
} Row;

static gint64 cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (gint64)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#define STATION(row, ...)                       \
    do {                                        \
        gint64 c0_ = cpu_now();                 \
        __VA_ARGS__;                            \
        (row)->cpu_ns += cpu_now() - c0_;       \
    } while (0)

static void die(GError *e)
{
    fprintf(stderr, "bench-card: %s\n", e->message);
    exit(1);
}

static void add(Row *r, KvCard *card)
{
    KvCardStats s = kv_card_stats(card);
    r->io.apdus += s.apdus;
    r->io.bytes_read += s.bytes_read;
    r->io.bytes_written += s.bytes_written;
}

static void keys_for(kv_meter_keys *keys)
{
    uint8_t km[16], kp[16];
    kv_derive_meter_key(master, utility, meter, 1, km);
    kv_derive_psc_key(master, utility, meter, 1, kp);
    kv_meter_keys_init(keys, km, 1, kp);
    kv_wipe(km, sizeof km);
    kv_wipe(kp, sizeof kp);
}

static void issue(KvCardService *svc, Row *r)
{
    static const uint8_t factory[3] = {0xFF, 0xFF, 0xFF};
    GError *e = NULL;
    kv_meter_keys keys;
    kv_identity id = {KV_FORMAT_VERSION, KV_CARD_USER, utility, serial, meter, 1};
    uint8_t idb[KV_ID_LEN], psc[3];
    gint64 t0 = g_get_monotonic_time();
    KvCard *card = kv_card_connect(svc, NULL, &e);

    if (!card)
        die(e);
    STATION(r, {
        keys_for(&keys);
        kv_identity_encode(&id, idb);
        kv_card_psc(&keys, serial, psc);
        kv_meter_keys_wipe(&keys);
    });
    if (!kv_card_present_psc(card, factory, FALSE, &e) ||
        !kv_card_write(card, KV_ID_OFF, idb, KV_ID_LEN, &e) || !kv_card_lock_identity(card, &e) ||
        !kv_card_change_psc(card, psc, &e))
        die(e);
    kv_wipe(psc, sizeof psc);
    add(r, card);
    kv_card_free(card);
    r->wall_us += g_get_monotonic_time() - t0;
    r->runs++;
}

static void sell(KvCardService *svc, Row *r, uint32_t amount)
{
    GError *e = NULL;
    kv_meter_keys keys;
    kv_card_view view;
    kv_identity id;
    uint8_t psc[3], slot[KV_SLOT_LEN];
    unsigned off = 0;
    gint64 t0 = g_get_monotonic_time();
    KvCard *card = kv_card_connect(svc, NULL, &e);

    if (!card || !kv_card_identify(card, utility, meter, &id, &e))
        die(e);
    STATION(r, {
        keys_for(&keys);
        kv_card_psc(&keys, id.card_serial, psc);
    });
    if (!kv_card_present_psc(card, psc, FALSE, &e))
        die(e);
    kv_wipe(psc, sizeof psc);
    STATION(r, {
        kv_token t = {.kind = KV_TOKEN_CREDIT, .key_version = 1};
        kv_card_decode(&keys, kv_card_image(card), &view);
        t.seq = view.token_err == KV_OK ? view.token.seq + 1 : 1;
        t.u.credit.cumulative =
            (view.token_err == KV_OK ? view.token.u.credit.cumulative : 0) + amount;
        t.u.credit.amount = amount;
        t.u.credit.issued_at = 1700000000u;
        t.u.credit.sale_ref = t.seq;
        t.u.credit.office = 1;
        kv_token_seal(&keys, &id, &t, slot);
        off = kv_card_next_token_offset(&view);
    });
    if (!kv_card_write(card, off, slot, KV_TOKEN_USED, &e))
        die(e);
    STATION(r, {
        kv_card_decode(&keys, kv_card_image(card), &view); /* the receipt's figures */
        kv_meter_keys_wipe(&keys);
    });
    add(r, card);
    kv_card_free(card);
    r->wall_us += g_get_monotonic_time() - t0;
    r->runs++;
}

static void readout(KvCardService *svc, Row *r)
{
    GError *e = NULL;
    kv_meter_keys keys;
    KvCardReportExtra extra;
    gint64 t0 = g_get_monotonic_time();
    KvCard *card = kv_card_connect(svc, NULL, &e);

    if (!card || !kv_card_identify(card, utility, meter, NULL, &e))
        die(e);
    STATION(r, {
        keys_for(&keys);
        kv_card_report_extra_from_card(card, &extra);
        GString *s = kv_card_report_json(kv_card_image(card), &keys, &extra);
        g_string_free(s, TRUE);
        kv_meter_keys_wipe(&keys);
    });
    add(r, card);
    kv_card_free(card);
    r->wall_us += g_get_monotonic_time() - t0;
    r->runs++;
}

int main(int argc, char **argv)
{
    GError *e = NULL;
    guint runs = argc > 1 ? (guint)atoi(argv[1]) : 20;
    KvCardService *svc = kv_card_service_new(&e);
    Row rows[3] = {{"issue a card", 0, {0}, 0, 0}, {"sell", 0, {0}, 0, 0}, {"read", 0, {0}, 0, 0}};

    if (!svc)
        die(e);
    /* the card shows up at pcscd's first polls */
    for (int i = 0; i < 50; i++) {
        KvCard *c = kv_card_connect(svc, NULL, NULL);
        if (c) {
            kv_card_free(c);
            break;
        }
        g_usleep(100 * 1000);
    }
    issue(svc, &rows[0]);
    for (guint i = 0; i < runs; i++)
        sell(svc, &rows[1], 1000 + i);
    for (guint i = 0; i < runs; i++)
        readout(svc, &rows[2]);

    printf("%-13s %6s %6s %9s %9s %13s %10s %12s\n", "operation", "runs", "APDUs", "bytes rd",
           "bytes wr", "card wr ms", "wall ms", "station us");
    printf("%-13s %6s %6s %9s %9s %13s %10s %12s\n", "", "", "(each)", "(each)", "(each)",
           "(2.5 ms/B)", "(each)", "CPU (each)");
    for (int i = 0; i < 3; i++) {
        Row *r = &rows[i];
        double n = r->runs;
        printf("%-13s %6u %6.1f %9.1f %9.1f %13.1f %10.1f %12.1f\n", r->name, r->runs,
               r->io.apdus / n, r->io.bytes_read / n, r->io.bytes_written / n,
               r->io.bytes_written * (WRITE_US / 1000.0) / n, r->wall_us / 1000.0 / n,
               r->cpu_ns / 1000.0 / n);
    }
    kv_card_service_free(svc);
    return 0;
}
