/* core-fixture.c - see core-fixture.h */
#include <glib/gstdio.h>
#include <string.h>

#include <sqlite3.h>

#include "core-fixture.h"
#include "kv-db-resources.h"
#include "kv_util.h"

static void rm_rf(const char *dir)
{
    g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
    const char *n;
    while (d && (n = g_dir_read_name(d))) {
        g_autofree char *p = g_build_filename(dir, n, NULL);
        if (g_file_test(p, G_FILE_TEST_IS_DIR))
            rm_rf(p);
        else
            g_unlink(p);
    }
    g_rmdir(dir);
}

char *fx_path(Fx *f, const char *name)
{
    return g_build_filename(f->dir, name, NULL);
}

GBytes *fx_card_dump(Fx *f, const char *name)
{
    g_autofree char *path = fx_path(f, name);
    char *bytes = NULL;
    gsize len = 0;

    g_assert_true(g_file_get_contents(path, &bytes, &len, NULL));
    return g_bytes_new_take(bytes, len);
}

void fx_card_restore(Fx *f, const char *name, GBytes *dump)
{
    g_autofree char *path = fx_path(f, name);
    gsize len = 0;
    const char *bytes = g_bytes_get_data(dump, &len);

    g_assert_true(g_file_set_contents(path, bytes, (gssize)len, NULL));
}

void fx_setup(Fx *f, gconstpointer data)
{
    KvInitParams p = { "Lake Power", FX_UTILITY, "KES", 2, 3, "admin", FX_ADMIN_PW, 0 };
    KvTariff t = { 0 };
    KvCustomer c = { 0 };
    KvMeter m = { 0 };
    g_autoptr(GError) e = NULL;

    f->dir = g_dir_make_tmp("kvcore-XXXXXX", &e);
    g_assert_no_error(e);
    f->db = fx_path(f, "ledger.db");
    f->keys = fx_path(f, "station.keys");
    g_assert_true(kv_station_init(f->db, &p, &e));
    g_assert_no_error(e);
    g_assert_true(kv_keyfile_generate(f->keys, FX_PASSPHRASE, &e));
    f->st = kv_station_open(f->db, f->keys, &e);
    g_assert_no_error(e);
    g_assert_true(kv_station_login(f->st, "admin", FX_ADMIN_PW, &e));
    g_assert_true(kv_station_unlock_keys(f->st, FX_PASSPHRASE, NULL, NULL, &e));
    g_assert_no_error(e);

    /* Flat 10.00 KES per kWh, no VAT, no fixed charge, no debt: 1 minor unit
     * buys 0.001 kWh, so amounts map simply to energy (100 KES = 10 kWh). */
    g_strlcpy(t.code, "DEFAULT", sizeof t.code);
    t.n_blocks = 1;
    t.blocks[0].price_e4 = 1000 * 10000;
    g_assert_cmpint(kv_tariff_add(f->st, &t, "flat", &e), >, 0);
    g_assert_no_error(e);

    c.account = "A001";
    c.name = "Jane Doe";
    c.address = "1 Lake Road";
    g_assert_cmpint(kv_customer_add(f->st, &c, &e), ==, 1);
    m.number = FX_M1;
    m.customer_id = 1;
    m.hoarding_limit = 50000; /* 500 kWh */
    m.alarm_level = 1000;
    m.pretrip_level = 500;
    g_assert_true(kv_meter_add(f->st, &m, &e));
    m.number = FX_M2;
    m.customer_id = 0;
    g_assert_true(kv_meter_add(f->st, &m, &e));
    g_assert_no_error(e);
    g_assert_cmpint(kv_shift_open(f->st, 0, &e), >, 0);
    g_assert_no_error(e);
}

void fx_teardown(Fx *f, gconstpointer data)
{
    kv_station_free(f->st);
    rm_rf(f->dir);
    g_free(f->dir);
    g_free(f->db);
    g_free(f->keys);
}

void fx_card_read(Fx *f, KvCardLink *card, KvCardReadResult *r)
{
    g_autoptr(GError) e = NULL;
    g_assert_true(kv_card_link_refresh(card, &e));
    g_assert_true(kv_card_read(f->st, card, r, &e));
    g_assert_no_error(e);
    g_clear_pointer(&r->card_status, g_free);
}

void fx_add(const char *path, void (*test)(Fx *f, gconstpointer data))
{
    g_test_add(path, Fx, NULL, fx_setup, test, fx_teardown);
}

KvCardLink *fx_blank_card(Fx *f, const char *name)
{
    static const guint8 factory[3] = { 0xFF, 0xFF, 0xFF };
    g_autofree char *path = fx_path(f, name);
    g_autoptr(GError) e = NULL;
    KvCardLink *l;
    g_assert_true(kv_card_link_file_create_blank(path, factory, &e));
    l = kv_card_link_file_open(path, &e);
    g_assert_no_error(e);
    return l;
}

KvCardLink *fx_issued_card(Fx *f, guint32 meter, const char *name)
{
    KvCardLink *l = fx_blank_card(f, name);
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardRecord) r = kv_card_issue(f->st, l, meter, &e);
    g_assert_no_error(e);
    g_assert_nonnull(r);
    return l;
}

void fx_decode(Fx *f, KvCardLink *card, kv_card_view *view)
{
    kv_identity id;
    kv_meter_keys keys;
    g_autoptr(GError) e = NULL;
    g_assert_cmpint(kv_card_identity(kv_card_link_image(card), &id), ==, KV_OK);
    g_assert_true(kv_meter_keys_derive(f->st, id.meter_number, 0, &keys, &e));
    g_assert_cmpint(kv_card_decode(&keys, kv_card_link_image(card), view), ==, KV_OK);
    kv_meter_keys_wipe(&keys);
}

kv_err fx_meter_insert(Fx *f, FxMeter *m, KvCardLink *card)
{
    kv_card_view v;
    kv_meter_keys keys;
    kv_readback rb = { 0 };
    guint8 slot[KV_SLOT_LEN], psc[3];
    g_autoptr(GError) e = NULL;
    kv_err r = KV_E_EMPTY;
    gint32 nr;
    guint32 nl;

    fx_decode(f, card, &v);
    g_assert_true(kv_meter_keys_derive(f->st, m->number, 0, &keys, &e));
    if (v.token_err == KV_OK) {
        /* The meter ignores a token it has seen (seq) and loads by cumulative. */
        r = v.token.seq <= m->last_seq ? KV_E_REPLAY
                                       : kv_credit_load(&v.token.u.credit, m->remaining, m->loaded,
                                                        m->hoarding, &nr, &nl);
        if (r == KV_OK) {
            m->remaining = nr;
            m->loaded = nl;
        }
        if (r == KV_OK || r == KV_E_REPLAY)
            m->last_seq = MAX(m->last_seq, v.token.seq);
    }
    rb.key_version = keys.key_version;
    rb.counter = ++m->counter;
    rb.remaining = m->remaining;
    rb.cumulative_loaded = m->loaded;
    rb.total_energy = m->total;
    rb.last_seq = m->last_seq;
    rb.result = (uint8_t)r;
    g_assert_cmpint(kv_readback_seal(&keys, &v.id, &rb, slot), ==, KV_OK);
    kv_card_psc(&keys, v.id.card_serial, psc);
    g_assert_true(kv_card_link_present_psc(card, psc, FALSE, &e));
    g_assert_true(kv_card_link_write(card, kv_card_next_readback_offset(&v), slot,
                                     KV_READBACK_USED, &e));
    g_assert_no_error(e);
    kv_meter_keys_wipe(&keys);
    return r;
}

void fx_add_user(Fx *f, const char *login, KvRole role)
{
    g_autoptr(GError) e = NULL;
    g_autofree char *pw = g_strdup_printf("%s-password", login);
    g_assert_true(kv_user_add(f->st, login, login, role, pw, &e));
    g_assert_no_error(e);
}

KvSale *fx_sell(Fx *f, KvCardLink *card, guint32 meter, gint64 amount, GError **error)
{
    KvSaleRequest req = { .amount = amount };
    return kv_sale_sell(f->st, card, meter, &req, error);
}

void fx_sell_refused(Fx *f, KvCardLink *card, guint32 meter, gint64 amount, gint code,
                     const char *text)
{
    g_autoptr(GError) e = NULL;

    g_assert_null(fx_sell(f, card, meter, amount, &e));
    g_assert_error(e, KV_CORE_ERROR, code);
    if (text)
        g_assert_nonnull(strstr(e->message, text));
}

void fx_raw_exec(const char *db, const char *sql)
{
    sqlite3 *h;
    char *err = NULL;
    g_assert_cmpint(sqlite3_open(db, &h), ==, SQLITE_OK);
    if (sqlite3_exec(h, sql, NULL, NULL, &err) != SQLITE_OK)
        g_error("%s: %s", sql, err);
    sqlite3_close(h);
}

void fx_migrate_back(Fx *f, const char *undo, const char *migration)
{
    g_autoptr(GError) e = NULL;
    g_autofree char *sql = g_strdup_printf("%sPRAGMA user_version = %u", undo,
                                           fx_migrations_before(migration));
    kv_station_free(f->st);
    f->st = NULL;
    fx_raw_exec(f->db, sql);
    f->st = kv_station_open(f->db, f->keys, &e);
    g_assert_no_error(e);
}

gint64 fx_raw_int(Fx *f, const char *sql)
{
    sqlite3 *h;
    sqlite3_stmt *s;
    gint64 v = -1;
    g_assert_cmpint(sqlite3_open(f->db, &h), ==, SQLITE_OK);
    g_assert_cmpint(sqlite3_prepare_v2(h, sql, -1, &s, NULL), ==, SQLITE_OK);
    if (sqlite3_step(s) == SQLITE_ROW)
        v = sqlite3_column_int64(s, 0);
    sqlite3_finalize(s);
    sqlite3_close(h);
    return v;
}

guint fx_migrations_before(const char *name)
{
    g_auto(GStrv) names = g_resource_enumerate_children(kv_db_get_resource(), "/org/kilovend/db",
                                                        0, NULL);
    guint n = 0;
    for (guint i = 0; names && names[i]; i++)
        n += strcmp(names[i], name) < 0;
    return n;
}

gint64 fx_local(int y, int mo, int d, int h, int mi)
{
    g_autoptr(GDateTime) t = g_date_time_new_local(y, mo, d, h, mi, 0);
    return g_date_time_to_unix(t);
}

void fx_at(gint64 t)
{
    g_autofree char *v = g_strdup_printf("%" G_GINT64_FORMAT, t);
    g_setenv("KILOVEND_NOW", v, TRUE);
}

void fx_has(const char *text, const char *part)
{
    if (!strstr(text, part))
        g_error("'%s' not in:\n%s", part, text);
}

void fx_add_tariff(Fx *f, const char *code, gint64 price_e4)
{
    g_autoptr(GError) e = NULL;
    KvTariff t = { .n_blocks = 1 };
    g_strlcpy(t.code, code, sizeof t.code);
    t.blocks[0].price_e4 = price_e4;
    g_assert_cmpint(kv_tariff_add(f->st, &t, code, &e), >, 0);
    g_assert_no_error(e);
}

void fx_set_category(Fx *f, const char *code, const char *tariff, gint64 free_energy)
{
    g_autoptr(GError) e = NULL;
    KvCategory c = { .free_energy = free_energy };
    g_strlcpy(c.code, code, sizeof c.code);
    g_strlcpy(c.name, code, sizeof c.name);
    g_strlcpy(c.tariff_code, tariff, sizeof c.tariff_code);
    g_assert_true(kv_category_set(f->st, &c, &e));
    g_assert_no_error(e);
}

char *fx_receipt_text(Fx *f, gint64 sale_id)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(GPtrArray) lines = kv_receipt_lines(f->st, sale_id, FALSE, &e);

    g_assert_no_error(e);
    g_ptr_array_add(lines, NULL);
    return g_strjoinv("\n", (char **)lines->pdata);
}

void fx_table_has(const KvTable *t, ...)
{
    g_autofree char *text = NULL;
    va_list ap;

    g_assert_nonnull(t);
    text = kv_table_to_text(t);
    va_start(ap, t);
    for (const char *part = va_arg(ap, const char *); part; part = va_arg(ap, const char *))
        fx_has(text, part);
    va_end(ap);
}
