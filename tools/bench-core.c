/* bench-core.c - the station core's figures.
 *
 *   bench-core rate DIR N        N real sales (pending, card write, written,
 *                                completed) on a card file, synchronous=FULL
 *   bench-core keys DIR N [MOD]  N sales, the time spent deriving keys: with
 *                                the key file, or with the PKCS#11 module MOD
 *                                (token "bench", PIN 1234; tools/bench-keys.sh)
 *   bench-core volume DIR N      generate N sales (with their audit rows) in
 *                                one transaction, then time the daily report,
 *                                the shift (Z) report and a customer history,
 *                                and print the database size per sale
 *   bench-core reports DIR N     the reports timed again on what volume DIR N
 *                                left
 */
#include <glib/gstdio.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kv-core.h"
#include "kv-audit-private.h"
#include "kv-db.h"
#include "kv-keystore-private.h"
#include "kv-station-private.h"

#define PASS "bench passphrase"
#define PW "benchpass1"

static KvStation *station(const char *dir, char **db_out)
{
    KvInitParams p = { "Bench Power", 4711, "KES", 2, 1, "admin", PW, 0 };
    g_autofree char *db = g_build_filename(dir, "bench.db", NULL);
    g_autofree char *keys = g_build_filename(dir, "bench.keys", NULL);
    g_autoptr(GError) e = NULL;
    KvStation *st;
    KvTariff t = { 0 };
    g_mkdir_with_parents(dir, 0700);
    if (!kv_station_init(db, &p, &e) || !kv_keyfile_generate(keys, PASS, &e))
        g_error("%s", e->message);
    st = kv_station_open(db, keys, &e);
    if (!st || !kv_station_login(st, "admin", PW, &e) ||
        !kv_station_unlock_keys(st, PASS, NULL, NULL, &e))
        g_error("%s", e->message);
    g_strlcpy(t.code, "DEFAULT", sizeof t.code);
    t.n_blocks = 2;
    t.blocks[0] = (KvTariffBlock){ 5000, 10000000 };
    t.blocks[1] = (KvTariffBlock){ 0, 25000000 };
    t.vat_bp = 1600;
    if (!kv_tariff_add(st, &t, NULL, &e) || !kv_shift_open(st, 0, &e))
        g_error("%s", e->message);
    *db_out = g_steal_pointer(&db);
    return st;
}

static guint32 meter_number(guint i)
{
    guint32 base = 10000000 + i;
    return base * 10 + kv_meter_check_digit(base);
}

/* A meter and its card (a card file in dir). */
static KvCardLink *meter_and_card(KvStation *st, const char *dir, guint32 *meter)
{
    g_autofree char *card = g_build_filename(dir, "bench.card", NULL);
    static const guint8 factory[3] = { 0xFF, 0xFF, 0xFF };
    KvMeter m = { 0 };
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardRecord) rec = NULL;
    KvCardLink *link = NULL;
    m.number = *meter = meter_number(1);
    m.hoarding_limit = 0x7FFFFFFF;
    if (!kv_meter_add(st, &m, &e) || !kv_card_link_file_create_blank(card, factory, &e) ||
        !(link = kv_card_link_file_open(card, &e)) || !(rec = kv_card_issue(st, link, m.number, &e)))
        g_error("%s", e->message);
    return link;
}

static void sales(KvStation *st, KvCardLink *link, guint32 meter, guint n)
{
    KvSaleRequest req = { .amount = 100 };
    g_autoptr(GError) e = NULL;
    for (guint i = 0; i < n; i++) {
        KvSale *s = kv_sale_sell(st, link, meter, &req, &e);
        if (!s)
            g_error("%s", e->message);
        kv_sale_free(s);
    }
}

static void rate(const char *dir, guint n)
{
    g_autofree char *db = NULL;
    KvStation *st = station(dir, &db);
    guint32 meter;
    g_autoptr(KvCardLink) link = meter_and_card(st, dir, &meter);
    gint64 t0 = g_get_monotonic_time();
    sales(st, link, meter, n);
    printf("rate: %u complete sales in %.2f s = %.1f sales/s (synchronous=FULL, WAL, 3 commits "
           "per sale, card file on the same disk)\n", n,
           (double)(g_get_monotonic_time() - t0) / 1e6,
           n / ((double)(g_get_monotonic_time() - t0) / 1e6));
    kv_station_free(st);
}

/* Key derivation per sale, key file or (module given) the PKCS#11 token
 * labelled "bench" with PIN 1234 that the key file is migrated into. */
static void keys(const char *dir, guint n, const char *module)
{
    g_autofree char *db = NULL;
    KvStation *st = station(dir, &db);
    guint32 meter;
    g_autoptr(KvCardLink) link = meter_and_card(st, dir, &meter);
    g_autoptr(GError) e = NULL;
    guint64 d0;
    gint64 us0, t0;
    if (module && !kv_station_keys_migrate(st, PASS, module, "bench", NULL, "1234", &e))
        g_error("%s", e->message);
    sales(st, link, meter, 3); /* warm */
    d0 = st->keys->derivations;
    us0 = st->keys->derive_us;
    t0 = g_get_monotonic_time();
    sales(st, link, meter, n);
    printf("keys (%s): %u sales, %.1f derivations per sale, %.1f us per derivation, %.3f ms of "
           "key derivation per sale, %.2f ms per whole sale\n",
           module ? "PKCS#11 token" : "key file", n, (double)(st->keys->derivations - d0) / n,
           (double)(st->keys->derive_us - us0) / (double)(st->keys->derivations - d0),
           (double)(st->keys->derive_us - us0) / 1000.0 / n,
           (double)(g_get_monotonic_time() - t0) / 1000.0 / n);
    kv_station_free(st);
}

static double timed_ms(gint64 t0)
{
    return (double)(g_get_monotonic_time() - t0) / 1000.0;
}

/* The reports' times on the generated ledger (mid_day: a day in its
 * middle); one customer in ten is given a debt first, unless one has one. */
static void time_reports(KvStation *st, guint n_meters, gint64 mid_day)
{
    g_autoptr(GError) e = NULL;
    gint64 t0;
    g_autoptr(KvTable) t = NULL;
    gint64 mid_shift = kv_db_int(st, "SELECT max(id) / 2 FROM shifts", 1);
    t0 = g_get_monotonic_time();
    t = kv_report_daily(st, mid_day, &e);
    printf("volume: daily report (%s) %.1f ms\n", t && t->rows->len ? "ok" : "EMPTY", timed_ms(t0));
    g_clear_pointer(&t, kv_table_free);
    t0 = g_get_monotonic_time();
    t = kv_report_shift(st, mid_shift, &e);
    printf("volume: shift Z report %.1f ms\n", timed_ms(t0));
    g_clear_pointer(&t, kv_table_free);
    t0 = g_get_monotonic_time();
    t = kv_report_customer(st, n_meters / 2, &e);
    printf("volume: customer history (%u sales) %.1f ms\n", t ? t->rows->len : 0, timed_ms(t0));
    g_clear_pointer(&t, kv_table_free);
    t0 = g_get_monotonic_time();
    t = kv_report_monthly(st, mid_day, &e);
    printf("volume: monthly report %.1f ms\n", timed_ms(t0));
    g_clear_pointer(&t, kv_table_free);
    /* One customer in ten owes (a movement each, the balance by the
     * schema's trigger). */
    if (!kv_db_int(st, "SELECT count(*) FROM debt_movements", 0) &&
        !kv_db_exec(st->db, "INSERT INTO debt_movements(customer_id, at, kind, amount, "
                            "reason) SELECT id, 1600000000, 'added', 1000 + id, 'bench' "
                            "FROM customers WHERE id % 10 = 0", &e))
        g_error("%s", e->message);
    t0 = g_get_monotonic_time();
    t = kv_report_arrears(st, mid_day, &e);
    printf("volume: arrears report (%u customers in debt) %.1f ms\n", t ? t->rows->len : 0,
           timed_ms(t0));
    g_clear_pointer(&t, kv_table_free);
    t0 = g_get_monotonic_time();
    t = kv_report_dormant(st, mid_day, 30, &e);
    printf("volume: dormant customers report (%u of %u) %.1f ms\n", t ? t->rows->len : 0,
           n_meters, timed_ms(t0));
}

/* The first sale's time of a generated ledger of n sales (per_day a day). */
static gint64 volume_start(guint n, guint per_day)
{
    return 1700000000 - (gint64)(n / per_day + 1) * 86400;
}

/* `reports DIR N`: the reports timed again on the ledger `volume DIR N`
 * left (warm or cold cache, without generating it again). */
static void reports(const char *dir, guint n)
{
    g_autofree char *db = g_build_filename(dir, "bench.db", NULL);
    g_autofree char *keys = g_build_filename(dir, "bench.keys", NULL);
    g_autoptr(GError) e = NULL;
    KvStation *st = kv_station_open(db, keys, &e);
    if (!st || !kv_station_login(st, "admin", PW, &e))
        g_error("%s", e->message);
    time_reports(st, 20000, volume_start(n, 3000) + (gint64)(n / 2) * 86400 / 3000);
    kv_station_free(st);
}

static void volume(const char *dir, guint n)
{
    g_autofree char *db = NULL;
    KvStation *st = station(dir, &db);
    g_autoptr(GError) e = NULL;
    const guint n_meters = 20000, per_day = 3000;
    gint64 start = volume_start(n, per_day);
    gint64 t0 = g_get_monotonic_time(), shift = 0, mid_day = 0;
    guint64 size;
    GStatBuf sb;
    KvStmt *s;
    g_auto(KvTxn) txn = KV_TXN_INIT;
    /* the blocks of a 10 kWh sale at one price, as kv_sale_sell stores them */
    KvBreakdown one = { .n_blocks = 1, .blocks = { { 1000, 10000000, 10000000000 } } };
    g_autofree char *blocks = kv_breakdown_blocks_text(&one);

    if (!kv_txn_begin(&txn, st, &e))
        g_error("%s", e->message);
    for (guint i = 0; i < n_meters; i++) {
        KvStmt *c = kv_db_stmt(st, "INSERT INTO customers(id, account, name, address, created_at) "
                                   "VALUES (?, printf('C%06d', ?1), printf('Customer %d', ?1), "
                                   "'Street', 0)", &e);
        KvStmt *m = kv_db_stmt(st, "INSERT INTO meters(number, customer_id, key_version, "
                                   "psc_key_version, alarm_level, pretrip_level, hoarding_limit, "
                                   "created_at) VALUES (?, ?, 1, 1, 1000, 500, 100000, 0)", &e);
        KvStmt *k = kv_db_stmt(st, "INSERT INTO cards(serial, meter_number, type, status, "
                                   "issued_at) VALUES (?, ?, 1, 'active', 0)", &e);
        sqlite3_bind_int64(c, 1, i + 1);
        kv_db_step_done(st, c, "c", &e);
        kv_stmt_release(c);
        sqlite3_bind_int64(m, 1, meter_number(i));
        sqlite3_bind_int64(m, 2, i + 1);
        kv_db_step_done(st, m, "m", &e);
        kv_stmt_release(m);
        sqlite3_bind_int64(k, 1, i + 1);
        sqlite3_bind_int64(k, 2, meter_number(i));
        kv_db_step_done(st, k, "k", &e);
        kv_stmt_release(k);
    }
    s = kv_db_stmt(st, "INSERT INTO sales(meter_number, customer_id, card_serial, tariff_id, "
                       "cashier_id, shift_id, state, created_at, updated_at, amount, fixed_charge, "
                       "debt_recovered, energy_net, vat, energy, blocks, office, seq, "
                       "base_cumulative, cumulative) VALUES (?1, ?2, ?3, 1, 1, ?4, ?8, ?5, "
                       "?5, 11600, 0, 0, 10000, 1600, 1000, ?9, 1, ?6, ?7, ?7 + 1000)", &e);
    for (guint i = 0; i < n; i++) {
        guint meter = i % n_meters, k = i / n_meters;
        gint64 at = start + (gint64)i * 86400 / per_day;
        g_autofree char *obj = NULL, *d1 = NULL, *d2 = NULL;
        if (i % per_day == 0) {
            KvStmt *sh = kv_db_stmt(st, "INSERT INTO shifts(cashier_id, opened_at, closed_at) "
                                        "VALUES (1, ?, ?)", &e);
            sqlite3_bind_int64(sh, 1, at);
            sqlite3_bind_int64(sh, 2, at + 86000);
            kv_db_step_done(st, sh, "shift", &e);
            kv_stmt_release(sh);
            shift = sqlite3_last_insert_rowid(st->db);
        }
        sqlite3_bind_int64(s, 1, meter_number(meter));
        sqlite3_bind_int64(s, 2, meter + 1);
        sqlite3_bind_int64(s, 3, meter + 1);
        sqlite3_bind_int64(s, 4, shift);
        sqlite3_bind_int64(s, 5, at);
        sqlite3_bind_int64(s, 6, k + 2);
        sqlite3_bind_int64(s, 7, (gint64)k * 1000);
        sqlite3_bind_text(s, 8, kv_sale_state_name(KV_SALE_COMPLETED), -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 9, blocks, -1, SQLITE_STATIC);
        if (!kv_db_step_done(st, s, "sale", &e))
            g_error("%s", e->message);
        kv_stmt_release(s);
        /* The audit rows a real sale writes: pending and completed. */
        obj = g_strdup_printf("sale:%u", i + 1);
        d1 = kv_audit_sale_detail(kv_sale_state_name(KV_SALE_PENDING), 11600, 1000, k + 2,
                                  (k + 1) * 1000, meter + 1, KV_PAYMENT_CASH, NULL, 0, 0);
        d2 = kv_audit_sale_detail(kv_sale_state_name(KV_SALE_COMPLETED), 11600, 1000, k + 2,
                                  (k + 1) * 1000, meter + 1, KV_PAYMENT_CASH, NULL, 0, 0);
        if (!kv_audit_append(st, "sale.pending", obj, d1, &e) ||
            !kv_audit_append(st, "sale.completed", obj, d2, &e))
            g_error("%s", e->message);
        if (i == n / 2)
            mid_day = at;
        if ((i + 1) % 1000000 == 0)
            fprintf(stderr, "%u sales generated\n", i + 1);
    }
    /* What the completed sales left in each meter's cumulative sold. */
    if (!kv_db_exec(st->db, "UPDATE meters SET cumulative_sold = coalesce((SELECT "
                            "max(cumulative) FROM sales WHERE meter_number = number), 0)", &e) ||
        !kv_txn_commit(&txn, &e))
        g_error("%s", e->message);
    kv_db_exec(st->db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL);
    printf("volume: %u sales + %u audit rows generated in %.1f s\n", n, 2 * n,
           timed_ms(t0) / 1000.0);
    g_stat(db, &sb);
    size = (guint64)sb.st_size;
    printf("volume: database %.1f MiB, %.0f bytes per sale (sale row, indexes, 2 audit rows)\n",
           (double)size / 1048576.0, (double)size / n);
    time_reports(st, n_meters, mid_day);
    {
        g_autoptr(KvReconcileReport) r = NULL;
        t0 = g_get_monotonic_time();
        r = kv_reconcile(st, 0, &e);
        if (!r)
            g_error("%s", e->message);
        printf("volume: reconciliation of %u meters, %u sales (check, audit verify) %.1f ms, "
               "%u problem(s)\n", r->meters_checked, r->sales_checked, timed_ms(t0),
               r->problems->len);
        g_clear_pointer(&r, kv_reconcile_report_free);
        t0 = g_get_monotonic_time();
        r = kv_reconcile_shift(st, kv_db_int(st, "SELECT max(id) / 2 FROM shifts", 1), &e);
        if (!r)
            g_error("%s", e->message);
        printf("volume: reconciliation of one shift's %u meters, %u sales (in the Z report) "
               "%.1f ms\n", r->meters_checked, r->sales_checked, timed_ms(t0));
    }
    kv_station_free(st);
}

int main(int argc, char **argv)
{
    g_setenv("TZ", "UTC", TRUE);
    if (argc < 4 || argc > 5) {
        fprintf(stderr, "usage: bench-core rate|volume|reports DIR N | keys DIR N [PKCS11_MODULE]\n");
        return 2;
    }
    if (strcmp(argv[1], "keys") == 0)
        keys(argv[2], (guint)atoi(argv[3]), argc == 5 ? argv[4] : NULL);
    else if (strcmp(argv[1], "reports") == 0)
        reports(argv[2], (guint)atoi(argv[3]));
    else if (strcmp(argv[1], "rate") == 0)
        rate(argv[2], (guint)atoi(argv[3]));
    else
        volume(argv[2], (guint)atoi(argv[3]));
    return 0;
}
