/* kv-cards.c - meter keys, decoding cards, issuing, replacing, batch issue,
 * reading readbacks, provisioning blocks. */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "kv-i18n.h"
#include "kv-cards.h"
#include "kv-reconcile-private.h"
#include "kv-sales.h"
#include "kv-station-private.h"
#include "kv_provision.h"
#include "kv_util.h"

#define OFFICE_SERIAL_BITS 20

void kv_card_record_free(KvCardRecord *c)
{
    if (!c)
        return;
    g_free(c->status);
    g_free(c);
}

void kv_batch_row_free(KvBatchRow *r)
{
    if (!r)
        return;
    g_free(r->message);
    g_free(r);
}

/* ---- keys ---- */

gboolean kv_station_meter_keys(KvStation *st, guint32 meter, guint key_version,
                               kv_meter_keys *out, GError **error)
{
    g_autoptr(KvMeter) m = NULL;
    const guint8 *mk, *pk;
    guint8 k_meter[16], k_psc[16], k_transport[16];
    if (!kv_station_require_keys(st, error))
        return FALSE;
    if (!(m = kv_meter_get(st, meter, error)))
        return FALSE;
    if (!key_version)
        key_version = m->key_version;
    mk = kv_keyring_master(st->ring, key_version);
    pk = kv_keyring_master(st->ring, m->psc_key_version);
    if (!mk || !pk) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_KEYS,
                    _("the key file has no master key version %u (meter %09u): use the key file "
                    "that holds it"), mk ? m->psc_key_version : key_version, meter);
        return FALSE;
    }
    kv_derive_meter_key(mk, st->settings.utility_code, meter, (uint8_t)key_version, k_meter);
    kv_derive_psc_key(pk, st->settings.utility_code, meter, (uint8_t)m->psc_key_version, k_psc);
    kv_meter_keys_init(out, k_meter, (uint8_t)key_version, k_psc);
    /* The transport key comes from the master key the meter was
     * provisioned under, like K_psc: it does not rotate with K_meter. */
    kv_derive_transport_key(pk, st->settings.utility_code, meter, (uint8_t)m->psc_key_version,
                            k_transport);
    kv_meter_keys_set_transport(out, k_transport);
    kv_wipe(k_meter, sizeof k_meter);
    kv_wipe(k_psc, sizeof k_psc);
    kv_wipe(k_transport, sizeof k_transport);
    return TRUE;
}

kv_err kv_station_token_seal(KvStation *st, const kv_meter_keys *keys, const kv_identity *id,
                             const kv_token *tok, guint8 slot[KV_SLOT_LEN])
{
    kv_token t = *tok;
    kv_err e;
    t.issuer = st->settings.token_issuer;
    e = kv_token_seal(keys, id, &t, slot);
    kv_wipe(&t, sizeof t);
    return e;
}

/* ---- decoding ---- */

gboolean kv_card_view_for(KvStation *st, KvCardLink *card, guint32 expect_meter,
                          kv_card_view *view, KvMeter **meter_out, GError **error)
{
    const guint8 *image = kv_card_link_image(card);
    kv_identity id;
    kv_meter_keys keys;
    KvMeter *m;
    kv_err e = kv_card_identity(image, &id);

    memset(view, 0, sizeof *view);
    if (e == KV_E_BLANK) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                    _("this is a blank card: it was never issued (issue it with `card issue`)"));
        return FALSE;
    }
    if (e != KV_OK) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                    _("this card is damaged or not a Kilovend card (%s)"), kv_strerror(e));
        return FALSE;
    }
    if (id.utility_code != st->settings.utility_code) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                    _("this card belongs to another utility (code %u)"), id.utility_code);
        return FALSE;
    }
    if (expect_meter && id.meter_number != expect_meter) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                    _("this is the card of meter %09u, not of meter %09u"), id.meter_number,
                    expect_meter);
        return FALSE;
    }
    if (!(m = kv_meter_get(st, id.meter_number, error)))
        return FALSE;
    if (!kv_station_meter_keys(st, m->number, m->key_version, &keys, error)) {
        kv_meter_free(m);
        return FALSE;
    }
    e = kv_card_decode(&keys, image, view);
    kv_meter_keys_wipe(&keys);
    if (e == KV_OK && m->key_version_target && m->key_version_target != m->key_version) {
        /* A key change is under way: the meter may already write its
         * readbacks under the new version. */
        kv_card_view v2;
        if (!kv_station_meter_keys(st, m->number, m->key_version_target, &keys, error)) {
            kv_meter_free(m);
            return FALSE;
        }
        if (kv_card_decode(&keys, image, &v2) == KV_OK && v2.readback_err == KV_OK &&
            (view->readback_err != KV_OK || v2.readback.counter > view->readback.counter)) {
            view->readback_err = KV_OK;
            view->readback = v2.readback;
            view->readback_slot = v2.readback_slot;
            view->readback_torn = FALSE;
        }
        kv_meter_keys_wipe(&keys);
        kv_wipe(&v2, sizeof v2);
    }
    if (e != KV_OK) {
        kv_meter_free(m);
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD, _("cannot decode the card: %s"),
                    kv_strerror(e));
        return FALSE;
    }
    if (meter_out)
        *meter_out = m;
    else
        kv_meter_free(m);
    return TRUE;
}

gboolean kv_card_present_own_psc(KvStation *st, KvCardLink *card, const KvMeter *m,
                                 guint32 serial, GError **error)
{
    kv_meter_keys keys;
    guint8 psc[KV_PSC_LEN];
    gboolean ok;
    if (!kv_station_meter_keys(st, m->number, m->key_version, &keys, error))
        return FALSE;
    kv_card_psc(&keys, serial, psc);
    kv_meter_keys_wipe(&keys);
    ok = kv_card_link_present_psc(card, psc, FALSE, error);
    kv_wipe(psc, sizeof psc);
    return ok;
}

char *kv_card_status(KvStation *st, guint32 serial)
{
    g_autoptr(KvStmt) s = kv_db_stmt(st, "SELECT status FROM cards WHERE serial = ?", NULL);
    if (!s)
        return NULL;
    sqlite3_bind_int64(s, 1, serial);
    return sqlite3_step(s) == SQLITE_ROW ? kv_db_col_text(s, 0) : NULL;
}

KvCardRecord *kv_card_get(KvStation *st, guint32 serial, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_stmt(st, "SELECT serial, meter_number, type, status, token_seq, "
                                         "token_cumulative, coalesce(replaces, 0), issued_at "
                                         "FROM cards WHERE serial = ?", error);
    KvCardRecord *c;
    if (!s)
        return NULL;
    sqlite3_bind_int64(s, 1, serial);
    if (sqlite3_step(s) != SQLITE_ROW) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND, _("no card %u"), serial);
        return NULL;
    }
    c = g_new0(KvCardRecord, 1);
    c->serial = (guint32)sqlite3_column_int64(s, 0);
    c->meter_number = (guint32)sqlite3_column_int64(s, 1);
    c->type = (guint)sqlite3_column_int(s, 2);
    c->status = kv_db_col_text(s, 3);
    c->token_seq = (guint32)sqlite3_column_int64(s, 4);
    c->token_cumulative = (guint32)sqlite3_column_int64(s, 5);
    c->replaces = (guint32)sqlite3_column_int64(s, 6);
    c->issued_at = sqlite3_column_int64(s, 7);
    return c;
}

/* ---- readbacks ---- */

/* The card's other readback slot, when it holds a MAC-verified readback
 * older than the one the view chose. */
static gboolean older_readback(KvStation *st, const KvMeter *m, const kv_card_view *view,
                               const guint8 *image, kv_readback *out)
{
    guint off = view->readback_slot ? KV_READBACK_A : KV_READBACK_B;
    guint versions[2] = { m->key_version, m->key_version_target };
    for (guint i = 0; i < G_N_ELEMENTS(versions); i++) {
        kv_meter_keys keys;
        kv_err e;
        if (!versions[i] || !kv_station_meter_keys(st, m->number, versions[i], &keys, NULL))
            continue;
        e = kv_readback_open(&keys, &view->id, image + off, out);
        kv_meter_keys_wipe(&keys);
        if (e == KV_OK && out->counter < view->readback.counter)
            return TRUE;
    }
    return FALSE;
}

gboolean kv_readback_import(KvStation *st, const KvMeter *m, const kv_card_view *view,
                            const guint8 *image, gboolean *imported, gboolean *anomaly,
                            GString *notes, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    kv_readback older;
    gboolean backwards = FALSE, excess = FALSE;
    g_autoptr(KvStmt) s = NULL, u = NULL;
    const kv_readback *rb = &view->readback;
    guint32 meter = m->number, card_serial = view->id.card_serial;
    g_autofree char *obj = g_strdup_printf("meter:%09u", meter);
    g_autofree char *detail = NULL;
    gboolean added;
    if (imported)
        *imported = FALSE;
    if (anomaly)
        *anomaly = FALSE;
    if (!kv_txn_begin(&txn, st, error))
        return FALSE;
    /* A readback whose counter, loaded total or energy is below the last
     * one stored: the meter lost its memory (or a card carries a reading
     * the station never saw, older than the last); an alarm, kept even
     * when the reading itself is not imported. */
    if (image && older_readback(st, m, view, image, &older)) {
        gboolean back2 = FALSE;
        if (!kv_readback_check_order(st, meter, card_serial, &older, TRUE, &back2, notes, error))
            return FALSE;
        backwards = back2;
    }
    kv_wipe(&older, sizeof older);
    {
        gboolean back1 = FALSE;
        if (!kv_readback_check_order(st, meter, card_serial, rb, FALSE, &back1, notes, error))
            return FALSE;
        backwards = backwards || back1;
    }
    if (backwards && anomaly)
        *anomaly = TRUE;
    {
        /* Only a readback newer than the last one stored for the meter is
         * imported: an older one (a dump of the card restored after a newer
         * readback reached the station) is not recorded as a reading. */
        g_autoptr(KvStmt) old = kv_db_stmt(st, "SELECT count(*) FROM meters WHERE number = ?1 "
                                               "AND rb_counter >= ?2", error);
        if (!old)
            return FALSE;
        sqlite3_bind_int64(old, 1, meter);
        sqlite3_bind_int64(old, 2, rb->counter);
        if (!kv_db_step_done(st, old, _("reading the meter's last readback"), error))
            return FALSE;
        if (sqlite3_column_int(old, 0) > 0)
            goto not_imported;
    }
    s = kv_db_stmt(st, "INSERT INTO meter_readings(meter_number, card_serial, read_at, counter, "
                       "status, key_version, remaining, cumulative_loaded, total_energy, energy_l1, "
                       "energy_l2, energy_l3, last_seq, result, events, sold_then) VALUES (?1, ?2, ?3, "
                       "?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, (SELECT "
                       "cumulative_sold FROM meters WHERE number = ?1)) "
                       "ON CONFLICT(meter_number, counter) DO NOTHING",
                   error);
    if (!s)
        return FALSE;
    sqlite3_bind_int64(s, 1, meter);
    sqlite3_bind_int64(s, 2, card_serial);
    sqlite3_bind_int64(s, 3, kv_now());
    sqlite3_bind_int64(s, 4, rb->counter);
    sqlite3_bind_int(s, 5, rb->status);
    sqlite3_bind_int(s, 6, rb->key_version);
    sqlite3_bind_int64(s, 7, rb->remaining);
    sqlite3_bind_int64(s, 8, rb->cumulative_loaded);
    sqlite3_bind_int64(s, 9, rb->total_energy);
    sqlite3_bind_int64(s, 10, rb->phase_energy[0]);
    sqlite3_bind_int64(s, 11, rb->phase_energy[1]);
    sqlite3_bind_int64(s, 12, rb->phase_energy[2]);
    sqlite3_bind_int64(s, 13, rb->last_seq);
    sqlite3_bind_int(s, 14, rb->result);
    sqlite3_bind_blob(s, 15, rb->events, KV_READBACK_EVENTS, SQLITE_TRANSIENT);
    if (!kv_db_step_done(st, s, _("storing the meter reading"), error))
        return FALSE;
    added = sqlite3_changes(st->db) == 1;
    if (!added)
        goto not_imported;
    u = kv_db_stmt(st, "UPDATE meters SET rb_counter = ?1, rb_remaining = ?2, "
                       "rb_cumulative_loaded = ?3, rb_last_seq = ?4, rb_status = ?5, rb_at = ?6 "
                       "WHERE number = ?7 AND (rb_counter IS NULL OR rb_counter < ?1)", error);
    if (!u)
        return FALSE;
    sqlite3_bind_int64(u, 1, rb->counter);
    sqlite3_bind_int64(u, 2, rb->remaining);
    sqlite3_bind_int64(u, 3, rb->cumulative_loaded);
    sqlite3_bind_int64(u, 4, rb->last_seq);
    sqlite3_bind_int(u, 5, rb->status);
    sqlite3_bind_int64(u, 6, kv_now());
    sqlite3_bind_int64(u, 7, meter);
    detail = g_strdup_printf("counter=%u remaining=%d loaded=%u total=%u last_seq=%u", rb->counter,
                             rb->remaining, rb->cumulative_loaded, rb->total_energy, rb->last_seq);
    if (!kv_db_step_done(st, u, _("storing the meter reading"), error) ||
        !kv_audit_append(st, "meter.reading", obj, detail, error) ||
        !kv_readback_effects(st, m, view, rb, &excess, error) || !kv_txn_commit(&txn, error))
        return FALSE;
    if (anomaly && excess)
        *anomaly = TRUE;
    if (imported)
        *imported = TRUE;
    return TRUE;
not_imported:
    if (!backwards)
        return TRUE;
    return kv_txn_commit(&txn, error);
}

gboolean kv_card_read(KvStation *st, KvCardLink *card, KvCardReadResult *out, GError **error)
{
    g_autoptr(KvMeter) m = NULL;
    gint64 last_anomaly = kv_db_int(st, "SELECT coalesce(max(id), 0) FROM anomalies", 0);
    memset(out, 0, sizeof *out);
    if (!kv_station_require(st, KV_ROLE_CASHIER, error))
        return FALSE;
    out->reconciled = kv_sale_reconcile_card(st, card, error);
    if (out->reconciled < 0)
        return FALSE;
    if (!kv_card_view_for(st, card, 0, &out->view, &m, error))
        return FALSE;
    out->card_status = kv_card_status(st, out->view.id.card_serial);
    out->known_card = out->card_status != NULL;
    if (out->view.readback_err == KV_OK) {
        g_autoptr(KvMeter) now = NULL;
        if (!kv_readback_import(st, m, &out->view, kv_card_link_image(card),
                                &out->readback_imported,
                                &out->anomaly_recorded, NULL, error) ||
            !(now = kv_meter_get(st, m->number, error)))
            return FALSE;
        if (out->view.readback.cumulative_loaded > now->cumulative_sold)
            out->anomaly_excess = out->view.readback.cumulative_loaded - now->cumulative_sold;
        out->key_changed = now->key_version != m->key_version;
        kv_meter_free(m);
        m = g_steal_pointer(&now);
    }
    out->meter_key_version = m->key_version;
    out->meter_key_target = m->key_version_target;
    {
        /* A token of this office above what was sold (a restored dump, a
         * void sale's token) is named at the counter, sale or not. */
        gint64 own = 0;
        if (!kv_sale_check_own_token(st, m, &out->view, NULL, &own, error))
            return FALSE;
    }
    {
        g_autoptr(KvStmt) q = kv_db_stmt(st, "SELECT count(*) FROM anomalies WHERE id > ?", error);
        if (!q)
            return FALSE;
        sqlite3_bind_int64(q, 1, last_anomaly);
        out->anomalies_raised = sqlite3_step(q) == SQLITE_ROW ? (guint)sqlite3_column_int(q, 0) : 0;
    }
    if (out->view.token_err == KV_OK && out->view.id.card_type == KV_CARD_USER) {
        guint32 loaded = out->view.readback_err == KV_OK ? out->view.readback.cumulative_loaded
                         : m->has_readback          ? m->rb_cumulative_loaded
                                                    : 0;
        if (m->has_readback)
            loaded = MAX(loaded, m->rb_cumulative_loaded);
        out->credit_on_card = out->view.token.u.credit.cumulative > loaded
                                  ? out->view.token.u.credit.cumulative - loaded
                                  : 0;
    }
    return TRUE;
}

/* ---- issuing ---- */

guint32 kv_card_next_serial(KvStation *st, GError **error)
{
    guint32 office = st->settings.office_id;
    gint64 lo = (gint64)office << OFFICE_SERIAL_BITS;
    gint64 hi = lo + (1 << OFFICE_SERIAL_BITS) - 1;
    g_autoptr(KvStmt) s = NULL;
    gint64 n;
    if (office >= (1u << (32 - OFFICE_SERIAL_BITS)) - 1) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("office id %u is too large to number cards (at most 4094)"), office);
        return 0;
    }
    s = kv_db_stmt(st, "SELECT coalesce(max(serial), ?1) FROM cards WHERE serial BETWEEN ?1 AND ?2",
                   error);
    if (!s)
        return 0;
    sqlite3_bind_int64(s, 1, lo);
    sqlite3_bind_int64(s, 2, hi);
    n = sqlite3_step(s) == SQLITE_ROW ? sqlite3_column_int64(s, 0) + 1 : 0;
    if (n <= lo || n > hi) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_FAILED,
                    _("this office has used all its card serial numbers"));
        return 0;
    }
    return (guint32)n;
}

static KvCardRecord *issuing_card_of(KvStation *st, guint32 meter)
{
    g_autoptr(KvStmt) s = kv_db_stmt(st, "SELECT serial FROM cards WHERE meter_number = ? AND "
                                         "type = 1 AND status = 'issuing'", NULL);
    guint32 serial;
    if (!s)
        return NULL;
    sqlite3_bind_int64(s, 1, meter);
    if (sqlite3_step(s) != SQLITE_ROW)
        return NULL;
    serial = (guint32)sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return kv_card_get(st, serial, NULL);
}

gboolean kv_card_step(KvStation *st, guint32 serial, const char *status, const char *step,
                          const char *action, const char *detail, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autoptr(KvStmt) s = NULL;
    g_autofree char *obj = g_strdup_printf("card:%u", serial);
    if (!kv_txn_begin(&txn, st, error))
        return FALSE;
    s = kv_db_stmt(st, "UPDATE cards SET status = ?, issue_step = ? WHERE serial = ?", error);
    if (!s)
        return FALSE;
    sqlite3_bind_text(s, 1, status, -1, SQLITE_STATIC);
    sqlite3_bind_text(s, 2, step, -1, SQLITE_STATIC);
    sqlite3_bind_int64(s, 3, serial);
    if (!kv_db_step_done(st, s, _("recording the card"), error) ||
        (action && !kv_audit_append(st, action, obj, detail, error)) || !kv_txn_commit(&txn, error))
        return FALSE;
    return TRUE;
}

/* Reserve a card for the meter: status issuing, the initial token's seq and
 * cumulative fixed.  old_serial (replace): that card is blocked in the same
 * transaction and its unsettled sales fail. */
static KvCardRecord *reserve_card(KvStation *st, KvMeter *m, guint32 old_serial,
                                  const char *old_status, const char *reason, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autoptr(KvStmt) s = NULL, ms = NULL;
    g_autofree char *obj = NULL, *detail = NULL;
    KvCardRecord *c = g_new0(KvCardRecord, 1);
    if (!kv_txn_begin(&txn, st, error))
        goto fail;
    if (old_serial) {
        g_autoptr(KvStmt) o = kv_db_stmt(st, "UPDATE cards SET status = ?, status_reason = ? "
                                             "WHERE serial = ?", error);
        g_autoptr(GPtrArray) open = NULL;
        g_autofree char *oobj = g_strdup_printf("card:%u", old_serial);
        g_autofree char *odetail = g_strdup_printf("status=%s reason=%s", old_status,
                                                   reason ? reason : "");
        if (!o)
            goto fail;
        sqlite3_bind_text(o, 1, old_status, -1, SQLITE_STATIC);
        sqlite3_bind_text(o, 2, reason ? reason : "", -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(o, 3, old_serial);
        if (!kv_db_step_done(st, o, _("blocking the old card"), error) ||
            !kv_audit_append(st, "card.block", oobj, odetail, error))
            goto fail;
        /* A sale left unsettled on the lost card can never be checked: it
         * fails if its write never began (no money was taken for it), and
         * is issued otherwise (the token may be on that card; a supervisor
         * resolves it; docs/station.md). */
        {
            g_autoptr(KvStmt) f = kv_db_stmt(st, "SELECT id, amount, energy, seq, cumulative, "
                                                 "card_write_at IS NOT NULL FROM sales WHERE "
                                                 "card_serial = ? AND "
                                                 "state IN ('pending', 'written')", error);
            g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func(g_free);
            if (!f)
                goto fail;
            sqlite3_bind_int64(f, 1, old_serial);
            while (sqlite3_step(f) == SQLITE_ROW) {
                g_autofree char *sobj = g_strdup_printf("sale:%lld",
                                                        (long long)sqlite3_column_int64(f, 0));
                const char *to = sqlite3_column_int(f, 5) ? "issued" : "failed";
                g_autofree char *action = g_strdup_printf("sale.%s", to);
                g_autofree char *d = kv_audit_sale_detail(to, sqlite3_column_int64(f, 1),
                                                          sqlite3_column_int64(f, 2),
                                                          (guint32)sqlite3_column_int64(f, 3),
                                                          (guint32)sqlite3_column_int64(f, 4),
                                                          old_serial);
                gint64 *id = g_new(gint64, 1);
                *id = sqlite3_column_int64(f, 0);
                g_ptr_array_add(ids, id);
                if (!kv_audit_append(st, action, sobj, d, error))
                    goto fail;
            }
            sqlite3_reset(f);
            for (guint i = 0; i < ids->len; i++) {
                g_autoptr(KvStmt) u = kv_db_stmt(st, "UPDATE sales SET state = CASE WHEN "
                                                     "card_write_at IS NULL THEN 'failed' ELSE "
                                                     "'issued' END, fail_reason = 'card replaced "
                                                     "before the sale was settled', updated_at = ? "
                                                     "WHERE id = ?",
                                                 error);
                if (!u)
                    goto fail;
                sqlite3_bind_int64(u, 1, kv_now());
                sqlite3_bind_int64(u, 2, *(gint64 *)ids->pdata[i]);
                if (!kv_db_step_done(st, u, _("failing an unsettled sale"), error))
                    goto fail;
            }
        }
        (void)open;
    }
    c->serial = kv_card_next_serial(st, error);
    if (!c->serial)
        goto fail;
    kv_meter_next_token(m, NULL, &c->token_seq, &c->token_cumulative);
    c->meter_number = m->number;
    c->type = KV_CARD_USER;
    c->status = g_strdup("issuing");
    c->replaces = old_serial;
    c->issued_at = kv_now();
    s = kv_db_stmt(st, "INSERT INTO cards(serial, meter_number, type, status, issue_step, "
                       "token_seq, token_cumulative, replaces, issued_at, issued_by) VALUES "
                       "(?, ?, 1, 'issuing', 'reserved', ?, ?, ?, ?, ?)", error);
    if (!s)
        goto fail;
    sqlite3_bind_int64(s, 1, c->serial);
    sqlite3_bind_int64(s, 2, m->number);
    sqlite3_bind_int64(s, 3, c->token_seq);
    sqlite3_bind_int64(s, 4, c->token_cumulative);
    if (old_serial)
        sqlite3_bind_int64(s, 5, old_serial);
    sqlite3_bind_int64(s, 6, c->issued_at);
    sqlite3_bind_int64(s, 7, kv_station_user_id(st));
    if (!kv_db_step_done(st, s, _("reserving the card"), error)) {
        if (g_error_matches(*error, KV_CORE_ERROR, KV_CORE_ERROR_EXISTS)) {
            g_clear_error(error);
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_EXISTS,
                        _("meter %09u already has a customer card: use `card replace`"), m->number);
        }
        goto fail;
    }
    ms = kv_db_stmt(st, "UPDATE meters SET last_seq = max(last_seq, ?) WHERE number = ?", error);
    if (!ms)
        goto fail;
    sqlite3_bind_int64(ms, 1, c->token_seq);
    sqlite3_bind_int64(ms, 2, m->number);
    obj = g_strdup_printf("card:%u", c->serial);
    detail = g_strdup_printf("meter=%09u seq=%u cumulative=%u replaces=%u", m->number,
                             c->token_seq, c->token_cumulative, old_serial);
    if (!kv_db_step_done(st, ms, _("reserving the card"), error) ||
        !kv_audit_append(st, "card.issuing", obj, detail, error) || !kv_txn_commit(&txn, error))
        goto fail;
    return c;
fail:
    kv_card_record_free(c);
    return NULL;
}

/* Everything on the card for a reserved card record, resumable: identity,
 * the token (check cards too carry one since the second revision), the lock, the PSC
 * change.  The token is sealed under tok->key_version. */
gboolean kv_card_write_new(KvStation *st, KvCardLink *card, const KvMeter *m, guint32 serial,
                           guint card_type, const kv_token *tok, const char *step,
                           GError **error)
{
    const KvSettings *set = &st->settings;
    kv_identity id = { KV_FORMAT_VERSION, (uint8_t)card_type, set->utility_code, serial,
                       m->number, (uint8_t)m->psc_key_version };
    guint8 idb[KV_ID_LEN], slot[KV_SLOT_LEN], psc[KV_PSC_LEN];
    kv_meter_keys keys;
    gboolean ok = FALSE;
    kv_err e;

    if (!kv_station_meter_keys(st, m->number, tok ? tok->key_version : m->key_version, &keys,
                               error))
        return FALSE;
    kv_card_psc(&keys, serial, psc);
    if ((e = kv_identity_encode(&id, idb)) != KV_OK ||
        (tok && (e = kv_station_token_seal(st, &keys, &id, tok, slot)) != KV_OK)) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_FAILED, _("preparing the card: %s"),
                    kv_strerror(e));
        goto out;
    }
    if (g_strcmp0(step, "psc-changing") != 0) {
        /* The card still has its factory PSC: change it is the last step. */
        if (!kv_card_link_present_psc(card, set->factory_psc, FALSE, error)) {
            g_prefix_error(error, _("presenting the factory PSC (is this a blank card?): "));
            goto out;
        }
        if (!kv_card_link_write(card, KV_ID_OFF, idb, KV_ID_LEN, error) ||
            (tok && !kv_card_link_write(card, KV_TOKEN_A, slot, KV_TOKEN_USED, error)))
            goto out;
        kv_test_point("issue-written");
        if (kv_card_link_protection(card) != 0 && !kv_card_link_lock_identity(card, error))
            goto out;
        if (!kv_card_step(st, serial, "issuing", "psc-changing", NULL, NULL, error))
            goto out;
        kv_test_point("issue-psc-changing");
    } else {
        /* Interrupted around the PSC change: the card has either PSC.  Try
         * the new one; if refused (one try lost), the factory one with force,
         * whose success resets the counter to 3 (docs/station.md). */
        g_autoptr(GError) first = NULL;
        if (!kv_card_link_present_psc(card, psc, FALSE, &first)) {
            if (!kv_card_link_present_psc(card, set->factory_psc, TRUE, error)) {
                g_prefix_error(error, _("resuming the issue of card %u: "), serial);
                goto out;
            }
        }
    }
    if (!kv_card_link_change_psc(card, psc, error))
        goto out;
    kv_test_point("issue-psc-changed");
    ok = TRUE;
out:
    kv_meter_keys_wipe(&keys);
    kv_wipe(psc, sizeof psc);
    kv_wipe(slot, sizeof slot);
    return ok;
}

static gboolean write_new_card(KvStation *st, KvCardLink *card, KvMeter *m, KvCardRecord *c,
                               const char *step, GError **error)
{
    kv_token tok = { 0 };
    gboolean ok;
    tok.kind = KV_TOKEN_CREDIT;
    tok.key_version = (uint8_t)m->key_version;
    tok.seq = c->token_seq;
    tok.u.credit.cumulative = c->token_cumulative;
    tok.u.credit.issued_at = (guint32)kv_now();
    tok.u.credit.office = st->settings.office_id;
    ok = kv_card_write_new(st, card, m, c->serial, KV_CARD_USER, &tok, step, error);
    kv_wipe(&tok, sizeof tok);
    return ok;
}

static KvCardRecord *issue(KvStation *st, KvCardLink *card, guint32 meter, gboolean replace,
                           const char *reason, GError **error)
{
    g_autoptr(KvMeter) m = NULL;
    g_autoptr(KvCardRecord) c = NULL;
    const guint8 *image;
    kv_identity id;
    kv_err e;
    char step[16] = "reserved";
    g_autofree char *detail = NULL;

    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error))
        return NULL;
    if (!kv_station_require_keys(st, error))
        return NULL;
    if (!(m = kv_meter_get(st, meter, error)))
        return NULL;
    image = kv_card_link_image(card);
    e = kv_card_identity(image, &id);
    c = issuing_card_of(st, meter);
    if (c) {
        /* An issue for this meter was interrupted: continue it on this card
         * if it is that card (or still blank / half-written). */
        g_autoptr(KvStmt) q = kv_db_stmt(st, "SELECT issue_step FROM cards WHERE serial = ?", error);
        if (!q)
            return NULL;
        sqlite3_bind_int64(q, 1, c->serial);
        if (sqlite3_step(q) == SQLITE_ROW)
            g_strlcpy(step, (const char *)sqlite3_column_text(q, 0), sizeof step);
        if (e == KV_OK && (id.card_serial != c->serial || id.meter_number != meter)) {
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                        _("the issue of card %u for meter %09u was interrupted: insert that card "
                        "(this is card %u) to finish it"), c->serial, meter, id.card_serial);
            return NULL;
        }
        if (e != KV_OK && g_strcmp0(step, "reserved") != 0) {
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                        _("the issue of card %u for meter %09u was interrupted after its identity "
                        "was written: insert that card to finish it"), c->serial, meter);
            return NULL;
        }
    } else {
        g_autofree char *old_status = NULL;
        guint32 old_serial = 0;
        if (e == KV_OK) {
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_EXISTS,
                        _("this card is already issued (card %u, meter %09u): use a blank card"),
                        id.card_serial, id.meter_number);
            return NULL;
        }
        if (e != KV_E_BLANK) {
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_CARD,
                        _("this card is not blank (%s): use a blank card"), kv_strerror(e));
            return NULL;
        }
        {
            g_autoptr(KvStmt) q = kv_db_stmt(st, "SELECT serial FROM cards WHERE meter_number = ? "
                                                 "AND type = 1 AND status = 'active'", error);
            if (!q)
                return NULL;
            sqlite3_bind_int64(q, 1, meter);
            if (sqlite3_step(q) == SQLITE_ROW)
                old_serial = (guint32)sqlite3_column_int64(q, 0);
        }
        if (!replace && old_serial) {
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_EXISTS,
                        _("meter %09u already has card %u: use `card replace` for a lost or "
                        "damaged card"), meter, old_serial);
            return NULL;
        }
        if (replace && !old_serial) {
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND,
                        _("meter %09u has no active card to replace: use `card issue`"), meter);
            return NULL;
        }
        old_status = g_strdup(g_strcmp0(reason, "lost") == 0 || g_strcmp0(reason, "stolen") == 0
                                  ? "lost"
                                  : "replaced");
        if (!(c = reserve_card(st, m, old_serial, old_status, reason, error)))
            return NULL;
    }
    kv_test_point("issue-reserved");
    if (!write_new_card(st, card, m, c, step, error))
        return NULL;
    detail = g_strdup_printf("meter=%09u seq=%u cumulative=%u replaces=%u", meter, c->token_seq,
                             c->token_cumulative, c->replaces);
    if (!kv_card_step(st, c->serial, "active", "done", c->replaces ? "card.replace" : "card.issue",
                   detail, error))
        return NULL;
    g_free(c->status);
    c->status = g_strdup("active");
    return g_steal_pointer(&c);
}

KvCardRecord *kv_card_issue(KvStation *st, KvCardLink *card, guint32 meter, GError **error)
{
    return issue(st, card, meter, FALSE, NULL, error);
}

KvCardRecord *kv_card_replace(KvStation *st, KvCardLink *card, guint32 meter, const char *reason,
                              GError **error)
{
    if (!reason || !*reason) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("give the reason for the replacement (lost, stolen, damaged)"));
        return NULL;
    }
    return issue(st, card, meter, TRUE, reason, error);
}

GPtrArray *kv_card_batch(KvStation *st, const char *csv_path, KvNextCardFunc next_card,
                         gpointer next_data, KvProgressFunc progress, gpointer user_data,
                         GCancellable *cancellable, GError **error)
{
    return kv_card_batch_full(st, csv_path, next_card, NULL, next_data, progress, user_data,
                              cancellable, error);
}

static gboolean batch_stop(const GError *e)
{
    return g_error_matches(e, G_IO_ERROR, G_IO_ERROR_CANCELLED) ||
           g_error_matches(e, KV_CORE_ERROR, KV_CORE_ERROR_CANCELLED);
}

GPtrArray *kv_card_batch_full(KvStation *st, const char *csv_path, KvNextCardFunc next_card,
                              KvCardDoneFunc card_done, gpointer next_data,
                              KvProgressFunc progress, gpointer user_data,
                              GCancellable *cancellable, GError **error)
{
    g_autoptr(GPtrArray) rows = NULL;
    GPtrArray *out;
    gint col;
    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error))
        return NULL;
    if (!(rows = kv_csv_read(csv_path, error)))
        return NULL;
    if (rows->len == 0 || (col = kv_csv_column(rows->pdata[0], "meter")) < 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("%s: the first line must be a header with a 'meter' column"), csv_path);
        return NULL;
    }
    out = g_ptr_array_new_with_free_func((GDestroyNotify)kv_batch_row_free);
    for (guint i = 1; i < rows->len; i++) {
        KvCsvRow *r = rows->pdata[i];
        KvBatchRow *res = g_new0(KvBatchRow, 1);
        g_autoptr(GError) local = NULL;
        g_autoptr(KvCardLink) link = NULL;
        g_autoptr(KvCardRecord) rec = NULL;
        gboolean stop = FALSE;
        g_ptr_array_add(out, res);
        res->line = r->line;
        if (progress)
            progress(i - 1, rows->len - 1, N_("cards"), user_data);
        if (g_cancellable_set_error_if_cancelled(cancellable, error)) {
            g_ptr_array_unref(out);
            return NULL;
        }
        if (!kv_meter_number_parse(kv_csv_field(r, col), &res->meter, &local)) {
            res->message = g_strdup(local->message);
            goto done;
        }
        {
            g_autoptr(KvStmt) q = kv_db_stmt(st, "SELECT serial FROM cards WHERE meter_number = ? "
                                                 "AND type = 1 AND status = 'active'", &local);
            if (q) {
                sqlite3_bind_int64(q, 1, res->meter);
                if (sqlite3_step(q) == SQLITE_ROW)
                    res->serial = (guint32)sqlite3_column_int64(q, 0);
            }
        }
        if (res->serial) {
            res->ok = res->skipped = TRUE;
            res->message = g_strdup_printf(_("already has card %u"), res->serial);
            goto done;
        }
        link = next_card(res->meter, i - 1, rows->len - 1, next_data, cancellable, &local);
        if (!link) {
            /* The operator stopped: the rows done so far stay done. */
            res->message = g_strdup(local ? local->message : _("stopped"));
            stop = batch_stop(local);
            goto done;
        }
        rec = kv_card_issue(st, link, res->meter, &local);
        if (!rec) {
            res->message = g_strdup(local->message);
            goto done;
        }
        res->ok = TRUE;
        res->serial = rec->serial;
        res->message = g_strdup_printf(_("issued card %u"), rec->serial);
    done:
        g_clear_error(&local);
        if (card_done && !card_done(res, link, next_data, cancellable, &local)) {
            if (!batch_stop(local)) {
                char *m = g_strdup_printf("%s; %s", res->message ? res->message : "",
                                          local->message);
                g_free(res->message);
                res->message = m;
            }
            stop = TRUE;
        }
        if (stop)
            break;
    }
    if (progress)
        progress(rows->len - 1, rows->len - 1, N_("cards"), user_data);
    return out;
}

/* ---- provisioning ---- */

gboolean kv_meter_provision(KvStation *st, guint32 meter, const char *path, GError **error)
{
    g_autoptr(KvMeter) m = NULL;
    kv_meter_keys keys;
    kv_provision p = { 0 };
    guint8 block[KV_PROVISION_LEN];
    g_autofree char *obj = NULL;
    kv_err e;
    int fd;
    gboolean ok = FALSE;

    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error))
        return FALSE;
    if (!(m = kv_meter_get(st, meter, error)) ||
        !kv_station_meter_keys(st, meter, m->key_version, &keys, error))
        return FALSE;
    p.block_version = KV_PROVISION_V2;
    p.utility_code = st->settings.utility_code;
    p.meter_number = meter;
    p.key_version = (uint8_t)m->key_version;
    p.psc_key_version = (uint8_t)m->psc_key_version;
    p.phases = (uint8_t)m->phases;
    memcpy(p.k_meter, keys.k_meter, 16);
    memcpy(p.k_psc, keys.k_psc, 16);
    memcpy(p.k_transport, keys.k_transport, 16);
    kv_meter_keys_wipe(&keys);
    p.alarm_level = m->alarm_level;
    p.pretrip_level = m->pretrip_level;
    p.hoarding_limit = m->hoarding_limit;
    p.max_power = m->max_power;
    p.meter_constant = (uint16_t)m->meter_constant;
    p.reconnect_delay = (uint16_t)m->reconnect_delay;
    e = kv_provision_encode(&p, block);
    kv_provision_wipe(&p);
    if (e != KV_OK) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID, _("meter %09u: %s"), meter,
                    kv_strerror(e));
        goto out;
    }
    fd = g_open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        g_set_error(error, KV_CORE_ERROR, errno == EEXIST ? KV_CORE_ERROR_EXISTS : KV_CORE_ERROR_FAILED,
                    _("cannot create %s: %s"), path, g_strerror(errno));
        goto out;
    }
    ok = write(fd, block, sizeof block) == (ssize_t)sizeof block && fsync(fd) == 0;
    close(fd);
    if (!ok) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_FAILED, _("cannot write %s"), path);
        g_unlink(path);
        goto out;
    }
    obj = g_strdup_printf("meter:%09u", meter);
    ok = kv_audit_record(st, "meter.provision", obj, path, error);
out:
    kv_wipe(block, sizeof block);
    return ok;
}

/* ---- a meter's cards ---- */

GPtrArray *kv_card_list_for_meter(KvStation *st, guint32 meter, GError **error)
{
    g_autoptr(KvStmt) s = NULL;
    g_autoptr(GArray) serials = g_array_new(FALSE, FALSE, sizeof(guint32));
    g_autoptr(GPtrArray) out = NULL;
    int rc;
    if (!kv_station_require(st, KV_ROLE_CASHIER, error))
        return NULL;
    s = kv_db_stmt(st, "SELECT serial FROM cards WHERE meter_number = ? "
                       "ORDER BY issued_at DESC, serial DESC", error);
    if (!s)
        return NULL;
    sqlite3_bind_int64(s, 1, meter);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        guint32 serial = (guint32)sqlite3_column_int64(s, 0);
        g_array_append_val(serials, serial);
    }
    if (rc != SQLITE_DONE) {
        kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), "reading cards");
        return NULL;
    }
    out = g_ptr_array_new_with_free_func((GDestroyNotify)kv_card_record_free);
    for (guint i = 0; i < serials->len; i++) {
        KvCardRecord *c = kv_card_get(st, g_array_index(serials, guint32, i), error);
        if (!c)
            return NULL;
        g_ptr_array_add(out, c);
    }
    return g_steal_pointer(&out);
}
