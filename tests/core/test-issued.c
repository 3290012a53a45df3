/* test-issued.c - tokens that may have reached a card, on real SQLite files.
 *
 * Each test performs an attack on the ledger and shows it detected:
 *   an emulator that answers reads with the card's old content after a full
 *   write; a card pulled after the last byte and brought back with its old
 *   bytes; a card dump restored after a cancel; readbacks whose counter,
 *   cumulative loaded or total energy go backwards; cumulative_sold edited
 *   in the SQLite file.  And the supervisor's decision on an issued sale is
 *   audited.  docs/security-model.md lists them. */
#include <string.h>

#include "core-fixture.h"

/* ---- a card that lies: the attacker's hardware, behind the card interface ---- */

typedef enum {
    TRICK_EMULATOR, /* takes every byte, then answers reads with the old content */
    TRICK_PULL,     /* takes every byte, then is gone (pulled after the last byte) */
    TRICK_REFUSE_PSC, /* refuses the PSC: no byte is ever written */
} TrickMode;

typedef struct {
    KvCardLink *inner; /* the real card file: what the attacker keeps */
    TrickMode mode;
    guint8 snapshot[256];
    gboolean written, gone;
} Trick;

static const guint8 *trick_image(gpointer p)
{
    Trick *t = p;
    return t->mode == TRICK_EMULATOR && t->written ? t->snapshot : kv_card_link_image(t->inner);
}

static gboolean trick_refresh(gpointer p, GError **error)
{
    Trick *t = p;
    if (t->gone) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD, "no card in the reader");
        return FALSE;
    }
    return kv_card_link_refresh(t->inner, error);
}

static guint trick_tries(gpointer p)
{
    return kv_card_link_tries_left(((Trick *)p)->inner);
}

static guint32 trick_protection(gpointer p)
{
    return kv_card_link_protection(((Trick *)p)->inner);
}

static gboolean trick_present(gpointer p, const guint8 psc[3], gboolean force, GError **error)
{
    Trick *t = p;
    if (t->mode == TRICK_REFUSE_PSC) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD, "the card refused the PSC");
        return FALSE;
    }
    return kv_card_link_present_psc(t->inner, psc, force, error);
}

static gboolean trick_change(gpointer p, const guint8 psc[3], GError **error)
{
    return kv_card_link_change_psc(((Trick *)p)->inner, psc, error);
}

static gboolean trick_write(gpointer p, guint off, const guint8 *d, guint len, GError **error)
{
    Trick *t = p;
    if (!t->written)
        memcpy(t->snapshot, kv_card_link_image(t->inner), sizeof t->snapshot);
    t->written = TRUE;
    if (!kv_card_link_write(t->inner, off, d, len, error))
        return FALSE;
    if (t->mode == TRICK_PULL) {
        t->gone = TRUE;
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                    "the card was removed before the write was checked");
        return FALSE;
    }
    return TRUE;
}

static gboolean trick_lock(gpointer p, GError **error)
{
    return kv_card_link_lock_identity(((Trick *)p)->inner, error);
}

static const char *trick_name(gpointer p)
{
    return "trick";
}

static void trick_free(gpointer p)
{
    Trick *t = p;
    kv_card_link_free(t->inner);
    g_free(t);
}

static const KvCardLinkOps trick_ops = { trick_image,   trick_refresh, trick_tries,
                                         trick_protection, trick_present, trick_change,
                                         trick_write,   trick_lock,    trick_name,
                                         trick_free };

static KvCardLink *trick_open(Fx *f, const char *name, TrickMode mode)
{
    g_autofree char *path = fx_path(f, name);
    g_autoptr(GError) e = NULL;
    Trick *t = g_new0(Trick, 1);
    t->inner = kv_card_link_file_open(path, &e);
    g_assert_no_error(e);
    t->mode = mode;
    return kv_card_link_new(&trick_ops, t);
}

static KvCardLink *open_card(Fx *f, const char *name)
{
    g_autofree char *path = fx_path(f, name);
    g_autoptr(GError) e = NULL;
    KvCardLink *c = kv_card_link_file_open(path, &e);
    g_assert_no_error(e);
    return c;
}

/* Issue a card to FX_M1, close it and return its file's bytes as they are
 * now: what an attacker keeps to put back later. */
static GBytes *issued_card_bytes(Fx *f, const char *name)
{
    kv_card_link_free(fx_issued_card(f, FX_M1, name));
    return fx_card_dump(f, name);
}

/* A sale on FX_M1 through a tricking link, which does not settle: the link
 * is closed, the error left in *error for the caller and the sale's id
 * returned. */
static gint64 trick_sell(Fx *f, const char *name, TrickMode mode, gint64 amount, GError **error)
{
    KvCardLink *link = trick_open(f, name, mode);

    g_assert_null(fx_sell(f, link, FX_M1, amount, error));
    kv_card_link_free(link);
    return fx_raw_int(f, "SELECT max(id) FROM sales");
}

static gint64 count_anomalies(Fx *f, const char *kind)
{
    g_autofree char *sql = g_strdup_printf("SELECT count(*) FROM anomalies WHERE kind = '%s'",
                                           kind);
    return fx_raw_int(f, sql);
}

static void assert_reconciled(Fx *f, guint problems)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvReconcileReport) r = kv_reconcile(f->st, 0, &e);
    g_assert_no_error(e);
    for (guint i = 0; i < r->problems->len; i++)
        g_test_message("reconcile: %s", (char *)r->problems->pdata[i]);
    g_assert_cmpuint(r->problems->len, ==, problems);
}

static void assert_audit_ok(Fx *f)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvAuditReport) ar = kv_audit_verify(f->st, NULL, NULL, NULL, NULL, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(ar->problems->len, ==, 0);
}

/* ---- attacks ---- */

/* An emulator takes the whole sealed token, then answers the station's
 * read with the card's old content.  The sale is issued, not "failed,
 * nothing due"; the token is real (the meter loads it); the shift cannot
 * close silently; and when the card comes back holding the token, the
 * sale is proven and an anomaly names card, token and amount - the credit
 * is counted as sold, not laundered into the next sale's base. */
static void test_emulator_old_content(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvSale) s1 = NULL, x = NULL, s3 = NULL;
    g_autoptr(GPtrArray) anomalies = NULL;
    FxMeter m = { FX_M1, 0, 0, 0, 0, 0, 50000 };
    KvAnomaly *a;
    gint64 id;

    s1 = fx_sell(f, card, FX_M1, 10000, &e); /* 10 kWh, honest */
    g_assert_no_error(e);
    kv_card_link_free(g_steal_pointer(&card));

    id = trick_sell(f, "c1.card", TRICK_EMULATOR, 50000, &e); /* 50 kWh through the emulator */
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_UNRESOLVED);
    g_assert_nonnull(strstr(e->message, "ISSUED"));
    g_clear_error(&e);
    x = kv_sale_get(f->st, id, &e);
    g_assert_cmpint(x->state, ==, KV_SALE_ISSUED);
    g_assert_cmpint(x->card_write_at, >, 0);
    g_clear_pointer(&x, kv_sale_free);

    /* The token the emulator kept is authentic: the meter loads it. */
    card = open_card(f, "c1.card");
    g_assert_cmpint(fx_meter_insert(f, &m, card), ==, KV_OK);
    g_assert_cmpuint(m.loaded, ==, 6000);
    /* Nothing silent: the shift does not close over it. */
    {
        g_autoptr(KvShift) sh = kv_shift_close(f->st, 0, &e);
        g_assert_null(sh);
        g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_UNRESOLVED);
        g_clear_error(&e);
    }
    /* Still no sale of it counted. */
    assert_reconciled(f, 0);
    g_assert_cmpint(fx_raw_int(f, "SELECT cumulative_sold FROM meters WHERE number = 123456782"), ==,
                    1000);

    /* The card with the token comes to the counter for the next sale. */
    g_assert_true(kv_card_link_refresh(card, NULL));
    s3 = fx_sell(f, card, FX_M1, 10000, &e);
    g_assert_no_error(e);
    x = kv_sale_get(f->st, id, &e);
    g_assert_cmpint(x->state, ==, KV_SALE_COMPLETED); /* proven: its money is due */
    g_assert_cmpint(count_anomalies(f, "issued-proven"), ==, 1);
    g_assert_nonnull(s3->notes);
    g_assert_nonnull(strstr(s3->notes, "issued-proven"));
    anomalies = kv_anomaly_list(f->st, TRUE, FX_M1, &e);
    g_assert_cmpuint(anomalies->len, >=, 1);
    a = anomalies->pdata[anomalies->len - 1];
    g_assert_cmpstr(a->kind, ==, "issued-proven");
    g_assert_cmpuint(a->card_serial, ==, x->card_serial);
    g_assert_cmpuint(a->token_seq, ==, x->seq);
    g_assert_cmpuint(a->token_sale_ref, ==, (guint32)id);
    g_assert_cmpint(a->amount, ==, 5000);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE action = 'meter.anomaly' AND "
                              "detail LIKE 'kind=issued-proven %'"), ==, 1);
    /* The ledger counts every kWh that left: 10 + 50 + 10. */
    g_assert_cmpint(fx_raw_int(f, "SELECT cumulative_sold FROM meters WHERE number = 123456782"), ==,
                    7000);
    assert_reconciled(f, 0);
    assert_audit_ok(f);
}

/* The same emulator, and the cashier's supervisor voids the issued sale
 * (the customer says nothing came through and is not charged).  The card
 * then comes back holding the token as the next sale's base: that base is
 * not adopted silently - an own-token-above-sold anomaly names the card,
 * the token (seq, sale ref) and the 50 kWh, and the adopted base is on
 * record for the reconciliation. */
static void test_emulator_void_then_launder(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvSale) v = NULL, s3 = NULL;
    g_autoptr(GPtrArray) anomalies = NULL;
    KvAnomaly *a = NULL;
    gint64 id;

    kv_card_link_free(g_steal_pointer(&card));
    id = trick_sell(f, "c1.card", TRICK_EMULATOR, 50000, &e);
    g_clear_error(&e);
    v = kv_sale_resolve(f->st, id, FALSE, "customer says the card shows nothing", &e);
    g_assert_no_error(e);
    g_assert_cmpint(v->state, ==, KV_SALE_VOID);

    card = open_card(f, "c1.card");
    s3 = fx_sell(f, card, FX_M1, 10000, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(s3->base_cumulative, ==, 5000); /* the meter may hold it: the base follows */
    g_assert_nonnull(s3->notes);
    g_assert_nonnull(strstr(s3->notes, "own-token-above-sold"));
    anomalies = kv_anomaly_list(f->st, TRUE, FX_M1, &e);
    for (guint i = 0; i < anomalies->len; i++)
        if (g_str_equal(((KvAnomaly *)anomalies->pdata[i])->kind, "own-token-above-sold"))
            a = anomalies->pdata[i];
    g_assert_nonnull(a);
    g_assert_cmpuint(a->token_sale_ref, ==, (guint32)id);
    g_assert_cmpuint(a->token_seq, ==, v->seq);
    g_assert_cmpint(a->amount, ==, 5000);
    g_assert_cmpint(a->sale_id, ==, id);
    g_assert_nonnull(strstr(a->detail, "void"));
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM base_adoptions WHERE anomaly_id IS NOT NULL"),
                    ==, 1);
    assert_reconciled(f, 0);
    assert_audit_ok(f);
}

/* The card is pulled right after the last byte of the token (the write is
 * never checked), then brought back with its old bytes written over it
 * (the customer kept the token).  The station's read shows no token: the
 * sale stays issued; before, it ended "failed, nothing due". */
static void test_pulled_after_last_byte(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(GBytes) before = issued_card_bytes(f, "c1.card");
    g_autoptr(KvCardLink) card = NULL;
    g_autoptr(KvSale) x = NULL, s2 = NULL;
    gint64 id;

    id = trick_sell(f, "c1.card", TRICK_PULL, 30000, &e);
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_UNRESOLVED);
    g_clear_error(&e);
    x = kv_sale_get(f->st, id, &e);
    g_assert_cmpint(x->state, ==, KV_SALE_PENDING); /* the card went away: not settled */
    g_clear_pointer(&x, kv_sale_free);

    /* Back with the old bytes. */
    fx_card_restore(f, "c1.card", before);
    card = open_card(f, "c1.card");
    g_assert_cmpint(kv_sale_reconcile_card(f->st, card, &e), ==, 1);
    g_assert_no_error(e);
    x = kv_sale_get(f->st, id, &e);
    g_assert_cmpint(x->state, ==, KV_SALE_ISSUED);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE action = 'sale.issued'"), ==, 1);
    /* It stays listed, and the next sale on the card may proceed. */
    {
        g_autoptr(GPtrArray) issued = kv_sale_list_issued(f->st, &e);
        g_assert_cmpuint(issued->len, ==, 1);
    }
    s2 = fx_sell(f, card, FX_M1, 10000, &e); /* 10 kWh: does not cover the 30 */
    g_assert_no_error(e);
    g_assert_nonnull(s2->notes);
    g_assert_nonnull(strstr(s2->notes, "still issued"));
    g_clear_pointer(&x, kv_sale_free);
    x = kv_sale_get(f->st, id, &e);
    g_assert_cmpint(x->state, ==, KV_SALE_ISSUED);
    {
        g_autoptr(KvReconcileReport) r = kv_reconcile(f->st, 0, &e);
        g_assert_cmpuint(r->problems->len, ==, 0);
        g_assert_cmpuint(r->issued_open, ==, 1);
    }
    assert_audit_ok(f);
}

/* A sale whose write never began (the card refuses the station's PSC)
 * may still fail: nothing left the station. */
static void test_write_never_started_fails(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvSale) x = NULL;
    gint64 id;

    kv_card_link_free(g_steal_pointer(&card));
    id = trick_sell(f, "c1.card", TRICK_REFUSE_PSC, 10000, &e);
    g_assert_nonnull(e);
    g_assert_nonnull(strstr(e->message, "nothing is due"));
    g_clear_error(&e);
    x = kv_sale_get(f->st, id, &e);
    g_assert_cmpint(x->state, ==, KV_SALE_FAILED);
    g_assert_cmpint(x->card_write_at, ==, 0);
    assert_audit_ok(f);
}

/* Dump the card, get the sale cancelled and refunded, restore the dump
 * (token and old readback bytes).  The cancelled sale's token showing up
 * as the next sale's base raises own-token-above-sold; the meter loading
 * it shows in the readback as loaded-above-sold, stored. */
static void test_restored_dump_after_cancel(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(GBytes) dump = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvSale) s1 = NULL, c = NULL, s2 = NULL;
    g_autoptr(GPtrArray) anomalies = NULL;
    FxMeter m = { FX_M1, 0, 0, 0, 0, 0, 50000 };
    KvCardReadResult r;
    KvAnomaly *own = NULL;

    s1 = fx_sell(f, card, FX_M1, 20000, &e); /* 20 kWh */
    g_assert_no_error(e);
    dump = fx_card_dump(f, "c1.card");
    c = kv_sale_cancel(f->st, card, s1->id, "refund", &e);
    g_assert_no_error(e);
    g_assert_cmpint(c->state, ==, KV_SALE_CANCELLED);
    kv_card_link_free(g_steal_pointer(&card));
    fx_card_restore(f, "c1.card", dump);

    /* As a base for the next sale. */
    card = open_card(f, "c1.card");
    s2 = fx_sell(f, card, FX_M1, 10000, &e);
    g_assert_no_error(e);
    g_assert_nonnull(s2->notes);
    anomalies = kv_anomaly_list(f->st, TRUE, FX_M1, &e);
    for (guint i = 0; i < anomalies->len; i++)
        if (g_str_equal(((KvAnomaly *)anomalies->pdata[i])->kind, "own-token-above-sold"))
            own = anomalies->pdata[i];
    g_assert_nonnull(own);
    g_assert_cmpint(own->sale_id, ==, s1->id);
    g_assert_cmpuint(own->token_seq, ==, s1->seq);
    g_assert_cmpint(own->amount, ==, 2000);
    g_assert_nonnull(strstr(own->detail, "cancelled"));
    assert_reconciled(f, 0);

    /* As loaded: the meter takes the restored token, the readback says so. */
    g_assert_cmpint(fx_meter_insert(f, &m, card), ==, KV_OK);
    fx_card_read(f, card, &r);
    assert_audit_ok(f);
}

/* The restored dump read at the counter before any sale: the meter loaded
 * the cancelled credit, its readback shows more loaded than sold, stored
 * as an anomaly (not only an audit line). */
static void test_restored_dump_loaded(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(GBytes) dump = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvSale) s1 = NULL, c = NULL;
    FxMeter m = { FX_M1, 0, 0, 0, 0, 0, 50000 };
    KvCardReadResult r;

    s1 = fx_sell(f, card, FX_M1, 20000, &e);
    g_assert_no_error(e);
    dump = fx_card_dump(f, "c1.card");
    c = kv_sale_cancel(f->st, card, s1->id, "refund", &e);
    g_assert_no_error(e);
    kv_card_link_free(g_steal_pointer(&card));
    fx_card_restore(f, "c1.card", dump);
    card = open_card(f, "c1.card");
    g_assert_cmpint(fx_meter_insert(f, &m, card), ==, KV_OK);
    fx_card_read(f, card, &r);
    g_assert_cmpuint(r.anomaly_excess, ==, 2000);
    g_assert_cmpuint(r.anomalies_raised, >=, 1);
    g_assert_cmpint(count_anomalies(f, "loaded-above-sold"), ==, 1);
    g_assert_cmpint(fx_raw_int(f, "SELECT amount FROM anomalies WHERE kind = 'loaded-above-sold'"),
                    ==, 2000);
    /* The cancelled sale's token on the card is named at the counter too,
     * sale or not. */
    g_assert_cmpint(count_anomalies(f, "own-token-above-sold"), ==, 1);
    g_assert_cmpint(fx_raw_int(f, "SELECT sale_id FROM anomalies WHERE kind = "
                              "'own-token-above-sold'"), ==, s1->id);
}

/* A meter whose memory was wiped (an erased EEPROM) starts from zero
 * counters and loads the old card again.  Its readbacks go backwards:
 * counter, cumulative loaded, total energy - each one is an alarm, stored,
 * audited and returned to the read, never silently ignored. */
typedef enum { BACK_COUNTER, BACK_LOADED, BACK_ENERGY } BackWhat;

static void readback_backwards(Fx *f, BackWhat what)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvSale) s1 = NULL;
    FxMeter m = { FX_M1, 0, 0, 0, 0, 300, 50000 }; /* 3 kWh metered before the first card */
    KvCardReadResult r;
    g_autoptr(GPtrArray) list = NULL;

    s1 = fx_sell(f, card, FX_M1, 20000, &e);
    g_assert_no_error(e);
    g_assert_cmpint(fx_meter_insert(f, &m, card), ==, KV_OK); /* readback 1 */
    g_assert_true(kv_card_read(f->st, card, &r, &e));
    g_assert_true(r.readback_imported);
    g_free(r.card_status);
    m.total += 1500;
    m.remaining -= 1500;
    g_assert_cmpint(fx_meter_insert(f, &m, card), ==, KV_E_REPLAY); /* readback 2 */
    m.total += 100;
    m.remaining -= 100;
    g_assert_cmpint(fx_meter_insert(f, &m, card), ==, KV_E_REPLAY); /* readback 3 */
    fx_card_read(f, card, &r);
    g_assert_true(r.readback_imported);
    /* Readback 2, never imported, in the card's older slot: history. */
    g_assert_cmpuint(r.anomalies_raised, ==, 0);
    /* Honest reads raise nothing. */
    g_assert_cmpint(count_anomalies(f, "readback-backwards"), ==, 0);

    switch (what) {
    case BACK_COUNTER: /* wiped: everything from zero */
        m.counter = 0;
        m.loaded = 0;
        m.last_seq = 0;
        m.total = 0;
        m.remaining = 0;
        break;
    case BACK_LOADED: /* counter moves on, the loaded total fell */
        m.counter += 5;
        m.loaded = 500;
        break;
    case BACK_ENERGY: /* counter moves on, the energy register fell */
        m.counter += 5;
        m.total = 10;
        break;
    }
    fx_meter_insert(f, &m, card);
    fx_card_read(f, card, &r);
    g_assert_true(r.anomaly_recorded);
    g_assert_cmpuint(r.anomalies_raised, ==, 1);
    g_assert_cmpint(count_anomalies(f, "readback-backwards"), ==, 1);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE action = 'meter.alarm'"), ==, 1);
    list = kv_anomaly_list(f->st, TRUE, FX_M1, &e);
    g_assert_cmpuint(list->len, >=, 1);
    {
        const char *dt = ((KvAnomaly *)list->pdata[0])->detail;
        g_assert_nonnull(strstr(dt, what == BACK_COUNTER  ? "counter "
                                    : what == BACK_LOADED ? "loaded "
                                                          : "total_energy "));
    }
    /* Read again: shown, not stored twice. */
    g_assert_true(kv_card_read(f->st, card, &r, &e));
    g_free(r.card_status);
    g_assert_cmpint(count_anomalies(f, "readback-backwards"), ==, 1);
    {
        g_autoptr(KvReconcileReport) rr = kv_reconcile(f->st, 0, &e);
        g_assert_cmpuint(rr->anomalies_open, >=, 1);
    }
}

static void test_backwards_counter(Fx *f, gconstpointer d)
{
    readback_backwards(f, BACK_COUNTER);
}

static void test_backwards_loaded(Fx *f, gconstpointer d)
{
    readback_backwards(f, BACK_LOADED);
}

static void test_backwards_energy(Fx *f, gconstpointer d)
{
    readback_backwards(f, BACK_ENERGY);
}

/* The insider with a SQLite shell raises (or lowers) a meter's cumulative
 * sold: the reconciliation with the completed sales catches it; on the
 * honest ledger (sales, a cancel, a void) it passes. */
static void test_reconcile_edited_cumulative(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvCardLink) card2 = fx_issued_card(f, FX_M2, "c2.card");
    g_autoptr(KvSale) s1 = NULL, s2 = NULL, c = NULL, s3 = NULL;
    g_autoptr(KvReconcileReport) r = NULL;

    s1 = fx_sell(f, card, FX_M1, 10000, &e);
    g_assert_no_error(e);
    s2 = fx_sell(f, card, FX_M1, 20000, &e);
    g_assert_no_error(e);
    c = kv_sale_cancel(f->st, card, s2->id, "mistake", &e);
    g_assert_no_error(e);
    s3 = fx_sell(f, card2, FX_M2, 5000, &e);
    g_assert_no_error(e);
    assert_reconciled(f, 0);

    kv_station_free(f->st);
    f->st = NULL;
    fx_raw_exec(f->db, "UPDATE meters SET cumulative_sold = cumulative_sold + 5000 WHERE number = 123456782");
    f->st = kv_station_open(f->db, f->keys, &e);
    g_assert_no_error(e);
    g_assert_true(kv_station_login(f->st, "admin", FX_ADMIN_PW, &e));
    r = kv_reconcile(f->st, 0, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(r->problems->len, ==, 1);
    g_assert_nonnull(strstr(r->problems->pdata[0], "123456782"));
    g_assert_cmpuint(r->meters_checked, ==, 2);
}

/* The supervisor's decision on an issued sale: a cashier may not take it;
 * a reason is required; paid completes the sale (cash due, cumulative
 * sold), void ends it with nothing due; each is in the audit log and the
 * chain verifies; the shift then closes. */
static void test_supervisor_resolve_audited(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvSale) x = NULL, paid = NULL, voided = NULL;
    gint64 id1, id2;
    g_autoptr(GBytes) before = issued_card_bytes(f, "c1.card");

    id1 = trick_sell(f, "c1.card", TRICK_EMULATOR, 10000, &e);
    g_clear_error(&e);
    /* The attacker keeps the token and puts the old bytes back. */
    fx_card_restore(f, "c1.card", before);
    id2 = trick_sell(f, "c1.card", TRICK_EMULATOR, 30000, &e); /* 30 kWh on the 10: does not cover */
    g_clear_error(&e);
    x = kv_sale_get(f->st, id1, &e);
    /* Two issued sales: an issued one covers nothing (only a completed
     * one does). */
    g_assert_cmpint(x->state, ==, KV_SALE_ISSUED);
    g_clear_pointer(&x, kv_sale_free);

    fx_add_user(f, "cash", KV_ROLE_CASHIER);
    g_assert_true(kv_station_login(f->st, "cash", "cash-password", &e));
    g_assert_null(kv_sale_resolve(f->st, id1, TRUE, "paid", &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_DENIED);
    g_clear_error(&e);
    g_assert_true(kv_station_login(f->st, "admin", FX_ADMIN_PW, &e));
    g_assert_null(kv_sale_resolve(f->st, id1, TRUE, "", &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_INVALID);
    g_clear_error(&e);

    voided = kv_sale_resolve(f->st, id1, FALSE, "customer not charged", &e);
    g_assert_no_error(e);
    g_assert_cmpint(voided->state, ==, KV_SALE_VOID);
    g_assert_nonnull(strstr(voided->resolution, "customer not charged"));
    paid = kv_sale_resolve(f->st, id2, TRUE, "customer paid 30 kWh in cash", &e);
    g_assert_no_error(e);
    g_assert_cmpint(paid->state, ==, KV_SALE_COMPLETED);
    g_assert_nonnull(strstr(paid->resolution, "admin"));
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE action = 'sale.void' AND "
                              "detail LIKE '%resolved=void by=admin reason=customer not charged%'"),
                    ==, 1);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE action = 'sale.completed' AND "
                              "detail LIKE '%resolved=paid by=admin%'"), ==, 1);
    g_assert_cmpint(fx_raw_int(f, "SELECT cumulative_sold FROM meters WHERE number = 123456782"), ==,
                    3000);
    /* Resolved once only. */
    g_assert_null(kv_sale_resolve(f->st, id1, TRUE, "again", &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_STATE);
    g_clear_error(&e);
    assert_reconciled(f, 0);
    assert_audit_ok(f);
    {
        g_autoptr(KvShift) sh = kv_shift_close(f->st, 30000, &e);
        g_assert_no_error(e);
        g_assert_nonnull(sh);
    }
}

/* A torn sale covered by the next one ends void; if that covering sale is
 * then cancelled (its cancel token carries the old base), the torn sale's
 * token could add credit again: it is issued again, not left void. */
static void test_cover_cancelled_reopens(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(GBytes) before = issued_card_bytes(f, "c1.card");
    g_autoptr(KvCardLink) card = NULL;
    g_autoptr(KvSale) cover = NULL, c = NULL, x = NULL;
    gint64 id;

    id = trick_sell(f, "c1.card", TRICK_EMULATOR, 10000, &e);
    g_clear_error(&e);
    fx_card_restore(f, "c1.card", before);
    card = open_card(f, "c1.card");
    cover = fx_sell(f, card, FX_M1, 20000, &e); /* 20 kWh on the old base: covers 10 */
    g_assert_no_error(e);
    x = kv_sale_get(f->st, id, &e);
    g_assert_cmpint(x->state, ==, KV_SALE_VOID);
    g_clear_pointer(&x, kv_sale_free);
    c = kv_sale_cancel(f->st, card, cover->id, "customer changed their mind", &e);
    g_assert_no_error(e);
    x = kv_sale_get(f->st, id, &e);
    g_assert_cmpint(x->state, ==, KV_SALE_ISSUED);
    g_assert_cmpint(fx_raw_int(f, "SELECT count(*) FROM audit WHERE action = 'sale.issued' AND "
                              "detail LIKE '%covering sale%cancelled%'"), ==, 1);
    assert_reconciled(f, 0);
    assert_audit_ok(f);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    fx_add("/issued/emulator-old-content", test_emulator_old_content);
    fx_add("/issued/emulator-void-then-launder", test_emulator_void_then_launder);
    fx_add("/issued/card-pulled-after-last-byte", test_pulled_after_last_byte);
    fx_add("/issued/write-never-started-fails", test_write_never_started_fails);
    fx_add("/issued/restored-dump-after-cancel", test_restored_dump_after_cancel);
    fx_add("/issued/restored-dump-loaded", test_restored_dump_loaded);
    fx_add("/readback/backwards-counter", test_backwards_counter);
    fx_add("/readback/backwards-cumulative-loaded", test_backwards_loaded);
    fx_add("/readback/backwards-total-energy", test_backwards_energy);
    fx_add("/reconcile/edited-cumulative-sold", test_reconcile_edited_cumulative);
    fx_add("/issued/supervisor-resolve-audited", test_supervisor_resolve_audited);
    fx_add("/issued/cover-cancelled-reopens", test_cover_cancelled_reopens);
    return g_test_run();
}
