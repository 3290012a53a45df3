/* kv-cards.c - customer cards: read at the counter, issued, replaced,
 * issued in batches from a CSV file. */
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "kv-i18n.h"
#include "kv-cards.h"
#include "kv-sales.h"
#include "kv_provision.h"
#include "kv_util.h"
#include "kv-db.h"
#include "kv-audit-private.h"
#include "kv-csv.h"
#include "kv-test-point.h"
#include "kv-card-access.h"
#include "kv-readback.h"
#include "kv-refunds.h"
#include "kv-sales-private.h"
#include "kv-registry-private.h"
#include "kv-station-private.h"
#include "kv-sync-state.h"
#include "kv-time.h"

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

/* ---- the card record ---- */

KvCardRecord *kv_card_get(KvStation *st, guint32 serial, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT serial, meter_number, type, status, token_seq, "
                                          "token_cumulative, coalesce(replaces, 0), issued_at "
                                          "FROM cards WHERE serial = ?", error,
                                      KV_DB_VALUES(KV_INT(serial)));
    KvCardRecord *c;
    if (!s)
        return NULL;
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

/* ---- reading a card at the counter ---- */

gboolean kv_card_read(KvStation *st, KvCardLink *card, KvCardReadResult *out, GError **error)
{
    g_autoptr(KvMeter) m = NULL;
    gint64 last_anomaly = kv_db_int(st, "SELECT coalesce(max(id), 0) FROM anomalies", 0);
    memset(out, 0, sizeof *out);
    if (!kv_station_require(st, KV_ROLE_CASHIER, error) ||
        !kv_sync_require_current(st, _("reading a card"), error))
        return FALSE;
    out->reconciled = kv_sale_reconcile_card(st, card, error);
    if (out->reconciled < 0)
        return FALSE;
    {
        /* a refund's token left pending by a pulled card or a crash */
        gint refunds = kv_refund_reconcile_card(st, card, error);
        if (refunds < 0)
            return FALSE;
        out->reconciled += refunds;
    }
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
        g_autoptr(KvStmt) q = kv_db_query(st, "SELECT count(*) FROM anomalies WHERE id > ?", error,
                                          KV_DB_VALUES(KV_INT(last_anomaly)));
        if (!q)
            return FALSE;
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

/* The meter's active customer card: *serial, 0 if none. */
static gboolean active_card_of(KvStation *st, guint32 meter, guint32 *serial, GError **error)
{
    g_autoptr(KvStmt) q = kv_db_query(st, "SELECT serial FROM cards WHERE meter_number = ? "
                                          "AND type = ? AND status = ?", error,
                                      KV_DB_VALUES(KV_INT(meter), KV_INT(KV_CARD_USER),
                                                   KV_CARD_STATUS(KV_CARD_STATUS_ACTIVE)));
    if (!q)
        return FALSE;
    if (sqlite3_step(q) == SQLITE_ROW)
        *serial = (guint32)sqlite3_column_int64(q, 0);
    return TRUE;
}

static KvCardRecord *issuing_card_of(KvStation *st, guint32 meter)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT serial FROM cards WHERE meter_number = ? AND "
                                          "type = ? AND status = ?", NULL,
                                      KV_DB_VALUES(KV_INT(meter), KV_INT(KV_CARD_USER),
                                                   KV_CARD_STATUS(KV_CARD_STATUS_ISSUING)));
    guint32 serial;
    if (!s)
        return NULL;
    if (sqlite3_step(s) != SQLITE_ROW)
        return NULL;
    serial = (guint32)sqlite3_column_int64(s, 0);
    sqlite3_reset(s);
    return kv_card_get(st, serial, NULL);
}

/* The old card blocked (replaced, lost...), with its audit row. */
static gboolean block_old_card(KvStation *st, guint32 old_serial, const char *old_status,
                               const char *reason, GError **error)
{
    g_autoptr(KvStmt) o = kv_db_stmt(st, "UPDATE cards SET status = ?, status_reason = ? "
                                         "WHERE serial = ?", error);
    g_autofree char *obj = g_strdup_printf("card:%u", old_serial);
    g_autofree char *detail = g_strdup_printf("status=%s reason=%s", old_status,
                                              reason ? reason : "");
    if (!o)
        return FALSE;
    sqlite3_bind_text(o, 1, old_status, -1, SQLITE_STATIC);
    sqlite3_bind_text(o, 2, reason ? reason : "", -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(o, 3, old_serial);
    return kv_db_step_done(st, o, _("blocking the old card"), error) &&
           kv_audit_append(st, "card.block", obj, detail, error);
}

/* A sale left unsettled on the lost card can never be checked: it fails if
 * its write never began (no money was taken for it), and is issued
 * otherwise (the token may be on that card; a supervisor resolves it;
 * docs/station.md).  Each with its audit row. */
static gboolean end_unsettled_sales(KvStation *st, guint32 old_serial, GError **error)
{
    g_autoptr(KvStmt) f = kv_db_query(st, "SELECT id, amount, energy, seq, cumulative, "
                                          "card_write_at IS NOT NULL, payment, payment_ref, "
                                          "free_energy, coalesce(free_month, 0) "
                                          "FROM sales WHERE card_serial = ? AND state IN (?, ?)",
                                      error,
                                      KV_DB_VALUES(KV_INT(old_serial), KV_STATE(KV_SALE_PENDING),
                                                   KV_STATE(KV_SALE_WRITTEN)));
    g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(gint64));
    if (!f)
        return FALSE;
    while (sqlite3_step(f) == SQLITE_ROW) {
        gint64 id = sqlite3_column_int64(f, 0);
        g_autofree char *obj = g_strdup_printf("sale:%lld", (long long)id);
        const char *to = kv_sale_state_name(sqlite3_column_int(f, 5) ? KV_SALE_ISSUED
                                                                     : KV_SALE_FAILED);
        g_autofree char *action = g_strdup_printf("sale.%s", to);
        g_autofree char *d = kv_audit_sale_detail(to, sqlite3_column_int64(f, 1),
                                                  sqlite3_column_int64(f, 2),
                                                  (guint32)sqlite3_column_int64(f, 3),
                                                  (guint32)sqlite3_column_int64(f, 4),
                                                  old_serial, sqlite3_column_int(f, 6),
                                                  (const char *)sqlite3_column_text(f, 7),
                                                  sqlite3_column_int64(f, 8),
                                                  sqlite3_column_int(f, 9));
        g_array_append_val(ids, id);
        if (!kv_audit_append(st, action, obj, d, error))
            return FALSE;
    }
    sqlite3_reset(f);
    for (guint i = 0; i < ids->len; i++) {
        if (!kv_db_run(st, "UPDATE sales SET state = CASE WHEN card_write_at IS NULL THEN ? "
                           "ELSE ? END, fail_reason = 'card replaced before the sale was "
                           "settled', updated_at = ? WHERE id = ?",
                       _("failing an unsettled sale"), error,
                       KV_DB_VALUES(KV_STATE(KV_SALE_FAILED), KV_STATE(KV_SALE_ISSUED),
                                    KV_INT(kv_now()), KV_INT(g_array_index(ids, gint64, i)))))
            return FALSE;
    }
    return TRUE;
}

/* The card record (issuing, step reserved) with its first token's seq and
 * cumulative, the seq taken for the meter, the audit row. */
static gboolean insert_reserved(KvStation *st, const KvMeter *m, const KvCardRecord *c,
                                GError **error)
{
    g_autoptr(KvStmt) ms = NULL;
    g_autofree char *obj = NULL, *detail = NULL;
    if (!kv_db_run(st, "INSERT INTO cards(serial, meter_number, type, status, issue_step, "
                       "token_seq, token_cumulative, replaces, issued_at, issued_by) VALUES "
                       "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                   _("reserving the card"), error,
                   KV_DB_VALUES(KV_INT(c->serial), KV_INT(m->number), KV_INT(KV_CARD_USER),
                                KV_CARD_STATUS(KV_CARD_STATUS_ISSUING),
                                KV_CARD_STEP(KV_CARD_STEP_RESERVED),
                                KV_INT(c->token_seq), KV_INT(c->token_cumulative),
                                KV_INT_OR_NULL(c->replaces), KV_INT(c->issued_at),
                                KV_INT(kv_station_user_id(st)))))
        return kv_db_when_exists(error, KV_CORE_ERROR_EXISTS,
                                 _("meter %09u already has a customer card: use `card replace`"),
                                 m->number);
    ms = kv_db_query(st, "UPDATE meters SET last_seq = max(last_seq, ?) WHERE number = ?", error,
                     KV_DB_VALUES(KV_INT(c->token_seq), KV_INT(m->number)));
    if (!ms)
        return FALSE;
    obj = g_strdup_printf("card:%u", c->serial);
    detail = g_strdup_printf("meter=%09u seq=%u cumulative=%u replaces=%u", m->number,
                             c->token_seq, c->token_cumulative, c->replaces);
    return kv_db_step_done(st, ms, _("reserving the card"), error) &&
           kv_audit_append(st, "card.issuing", obj, detail, error);
}

/* Reserve a card for the meter: status issuing, the initial token's seq and
 * cumulative fixed.  old_serial (replace): that card is blocked in the same
 * transaction and its unsettled sales fail. */
static KvCardRecord *reserve_card(KvStation *st, KvMeter *m, guint32 old_serial,
                                  const char *old_status, const char *reason, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autoptr(KvCardRecord) c = g_new0(KvCardRecord, 1);

    if (!kv_txn_begin(&txn, st, error))
        return NULL;
    if (old_serial && (!block_old_card(st, old_serial, old_status, reason, error) ||
                       !end_unsettled_sales(st, old_serial, error)))
        return NULL;
    if (!(c->serial = kv_card_next_serial(st, error)))
        return NULL;
    kv_meter_next_token(m, NULL, &c->token_seq, &c->token_cumulative);
    c->meter_number = m->number;
    c->type = KV_CARD_USER;
    c->status = g_strdup(kv_card_status_name(KV_CARD_STATUS_ISSUING));
    c->replaces = old_serial;
    c->issued_at = kv_now();
    if (!insert_reserved(st, m, c, error) || !kv_txn_commit(&txn, error))
        return NULL;
    return g_steal_pointer(&c);
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
    tok.u.credit.office = st->settings.station_no;
    ok = kv_card_personalise(st, card, m, c->serial, KV_CARD_USER, &tok, step, error);
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
    char step[16];
    g_autofree char *detail = NULL;

    g_strlcpy(step, kv_card_issue_step_name(KV_CARD_STEP_RESERVED), sizeof step);
    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error) ||
        !kv_sync_require_current(st, _("issuing a card"), error))
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
        g_autoptr(KvStmt) q = kv_db_query(st, "SELECT issue_step FROM cards WHERE serial = ?",
                                          error, KV_DB_VALUES(KV_INT(c->serial)));
        if (!q)
            return NULL;
        if (sqlite3_step(q) == SQLITE_ROW)
            g_strlcpy(step, (const char *)sqlite3_column_text(q, 0), sizeof step);
        if (e == KV_OK && (id.card_serial != c->serial || id.meter_number != meter)) {
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                        _("the issue of card %u for meter %09u was interrupted: insert that card "
                        "(this is card %u) to finish it"), c->serial, meter, id.card_serial);
            return NULL;
        }
        if (e != KV_OK && g_strcmp0(step, kv_card_issue_step_name(KV_CARD_STEP_RESERVED)) != 0) {
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
        if (!active_card_of(st, meter, &old_serial, error))
            return NULL;
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
        old_status = g_strdup(kv_card_status_name(
            g_strcmp0(reason, "lost") == 0 || g_strcmp0(reason, "stolen") == 0
                ? KV_CARD_STATUS_LOST
                : KV_CARD_STATUS_REPLACED));
        if (!(c = reserve_card(st, m, old_serial, old_status, reason, error)))
            return NULL;
    }
    kv_test_point("issue-reserved");
    if (!write_new_card(st, card, m, c, step, error))
        return NULL;
    detail = g_strdup_printf("meter=%09u seq=%u cumulative=%u replaces=%u", meter, c->token_seq,
                             c->token_cumulative, c->replaces);
    if (!kv_card_step(st, c->serial, KV_CARD_STATUS_ACTIVE, KV_CARD_STEP_DONE,
                      c->replaces ? "card.replace" : "card.issue", detail, error))
        return NULL;
    g_free(c->status);
    c->status = g_strdup(kv_card_status_name(KV_CARD_STATUS_ACTIVE));
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
    /* A replacement retires the meter's card everywhere: made at an office
     * that has not heard of another office's sales or replacement, it would
     * fork the meter's cards (each office accepting only its own).  Head
     * office records who replaces it, so that two offices online at once
     * cannot both do it. */
    if (!kv_sync_require_reservation(st, meter, error))
        return NULL;
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
        active_card_of(st, res->meter, &res->serial, &local);
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

/* ---- a meter's cards ---- */

GPtrArray *kv_card_list_for_meter(KvStation *st, guint32 meter, GError **error)
{
    g_autoptr(KvStmt) s = NULL;
    g_autoptr(GArray) serials = g_array_new(FALSE, FALSE, sizeof(guint32));
    g_autoptr(GPtrArray) out = NULL;
    int rc;
    if (!kv_station_require(st, KV_ROLE_CASHIER, error))
        return NULL;
    s = kv_db_query(st, "SELECT serial FROM cards WHERE meter_number = ? "
                        "ORDER BY issued_at DESC, serial DESC", error,
                    KV_DB_VALUES(KV_INT(meter)));
    if (!s)
        return NULL;
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
