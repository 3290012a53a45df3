/* kv-anomalies.c - anomalies: stored once with their audit row, listed,
 * acknowledged by a supervisor. */
#include "kv-i18n.h"
#include "kv-money.h"
#include "kv-anomalies-private.h"
#include "kv-audit-private.h"
#include "kv-db.h"

#define ANOMALY_COLS                                                                         \
    "id, at, kind, meter_number, card_serial, coalesce(sale_id, 0), coalesce(token_seq, 0), " \
    "coalesce(token_sale_ref, 0), amount, detail, coalesce(ack_at, 0), ack_reason"

void kv_anomaly_free(KvAnomaly *a)
{
    if (!a)
        return;
    g_free(a->kind);
    g_free(a->detail);
    g_free(a->ack_reason);
    g_free(a);
}

char *kv_anomaly_describe(const KvAnomaly *a)
{
    g_autofree char *kwh = kv_energy_format(a->amount);
    GString *g = g_string_new(NULL);

    g_string_printf(g, _("anomaly %" PRId64 " (%s): meter %09u"), a->id, a->kind,
                    a->meter_number);
    if (a->card_serial)
        g_string_append_printf(g, _(", card %u"), a->card_serial);
    if (a->token_seq)
        g_string_append_printf(g, _(", token seq %u"), a->token_seq);
    if (a->token_sale_ref)
        g_string_append_printf(g, _(", sale ref %u"), a->token_sale_ref);
    if (a->amount)
        g_string_append_printf(g, _(", %s kWh at stake"), kwh);
    g_string_append_printf(g, ": %s", a->detail);
    if (a->ack_at)
        g_string_append_printf(g, _(" [acknowledged: %s]"), a->ack_reason ? a->ack_reason : "");
    return g_string_free(g, FALSE);
}

static KvAnomaly *anomaly_from_row(KvStmt *s)
{
    KvAnomaly *a = g_new0(KvAnomaly, 1);
    a->id = sqlite3_column_int64(s, 0);
    a->at = sqlite3_column_int64(s, 1);
    a->kind = kv_db_col_text(s, 2);
    a->meter_number = (guint32)sqlite3_column_int64(s, 3);
    a->card_serial = (guint32)sqlite3_column_int64(s, 4);
    a->sale_id = sqlite3_column_int64(s, 5);
    a->token_seq = (guint32)sqlite3_column_int64(s, 6);
    a->token_sale_ref = (guint32)sqlite3_column_int64(s, 7);
    a->amount = sqlite3_column_int64(s, 8);
    a->detail = kv_db_col_text(s, 9);
    a->ack_at = sqlite3_column_int64(s, 10);
    if (sqlite3_column_type(s, 11) != SQLITE_NULL)
        a->ack_reason = kv_db_col_text(s, 11);
    return a;
}

static KvAnomaly *anomaly_get(KvStation *st, gint64 id, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT " ANOMALY_COLS " FROM anomalies WHERE id = ?",
                                      error, KV_DB_VALUES(KV_INT(id)));
    if (!s)
        return NULL;
    if (sqlite3_step(s) == SQLITE_ROW)
        return anomaly_from_row(s);
    g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND, _("no anomaly %" PRId64), id);
    return NULL;
}

gboolean kv_anomaly_store(KvStation *st, const KvAnomalyFacts *a, const char *audit_action,
                          GString *notes, gint64 *id_out, gboolean *raised, GError **error)
{
    g_autoptr(KvStmt) q = kv_db_stmt(st, "SELECT id FROM anomalies WHERE kind = ?1 AND "
                                         "meter_number = ?2 AND card_serial = ?3 AND "
                                         "coalesce(token_seq, 0) = ?4 AND detail = ?5", error);
    g_autoptr(KvAnomaly) stored = NULL;
    gint64 id = 0;

    if (raised)
        *raised = FALSE;
    if (!q)
        return FALSE;
    sqlite3_bind_text(q, 1, a->kind, -1, SQLITE_STATIC);
    sqlite3_bind_int64(q, 2, a->meter);
    sqlite3_bind_int64(q, 3, a->card);
    sqlite3_bind_int64(q, 4, a->token_seq);
    sqlite3_bind_text(q, 5, a->detail, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(q) == SQLITE_ROW)
        id = sqlite3_column_int64(q, 0);
    sqlite3_reset(q);
    if (!id) {
        g_autoptr(KvStmt) s = kv_db_query(st, "INSERT INTO anomalies(at, kind, meter_number, "
                                              "card_serial, sale_id, token_seq, token_sale_ref, "
                                              "amount, detail) VALUES (?, ?, ?, ?, nullif(?, 0), "
                                              "nullif(?, 0), nullif(?, 0), ?, ?)", error,
                                          KV_DB_VALUES(KV_INT(kv_now()), KV_TEXT(a->kind),
                                                       KV_INT(a->meter), KV_INT(a->card),
                                                       KV_INT(a->sale_id), KV_INT(a->token_seq),
                                                       KV_INT(a->token_sale_ref),
                                                       KV_INT(MAX(a->amount, 0)),
                                                       KV_TEXT(a->detail)));
        if (!s)
            return FALSE;
        if (!kv_db_step_done(st, s, _("recording an anomaly"), error))
            return FALSE;
        id = sqlite3_last_insert_rowid(st->db);
        if (audit_action) {
            g_autofree char *obj = g_strdup_printf("meter:%09u", a->meter);
            g_autofree char *d = g_strdup_printf(
                "kind=%s anomaly=%" G_GINT64_FORMAT " card=%u sale=%" G_GINT64_FORMAT
                " token_seq=%u sale_ref=%u amount=%" G_GINT64_FORMAT " %s",
                a->kind, id, a->card, a->sale_id, a->token_seq, a->token_sale_ref, a->amount,
                a->detail);
            if (!kv_audit_append(st, audit_action, obj, d, error))
                return FALSE;
        }
        if (raised)
            *raised = TRUE;
    }
    if (id_out)
        *id_out = id;
    if (notes && (stored = anomaly_get(st, id, NULL))) {
        g_autofree char *line = kv_anomaly_describe(stored);
        if (notes->len)
            g_string_append_c(notes, '\n');
        g_string_append(notes, line);
    }
    return TRUE;
}

GPtrArray *kv_anomaly_list(KvStation *st, gboolean open_only, guint32 meter, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_stmt(st, "SELECT " ANOMALY_COLS " FROM anomalies WHERE "
                                         "(?1 = 0 OR ack_at IS NULL) AND (?2 = 0 OR "
                                         "meter_number = ?2) ORDER BY id DESC", error);
    GPtrArray *out;
    int rc;

    if (!s)
        return NULL;
    sqlite3_bind_int(s, 1, open_only);
    sqlite3_bind_int64(s, 2, meter);
    out = g_ptr_array_new_with_free_func((GDestroyNotify)kv_anomaly_free);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW)
        g_ptr_array_add(out, anomaly_from_row(s));
    if (rc != SQLITE_DONE) {
        kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), _("reading anomalies"));
        g_ptr_array_unref(out);
        return NULL;
    }
    return out;
}

gboolean kv_anomaly_ack(KvStation *st, gint64 id, const char *reason, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autoptr(KvStmt) s = NULL;
    g_autofree char *obj = g_strdup_printf("anomaly:%" G_GINT64_FORMAT, id);
    g_autofree char *detail = NULL;

    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error))
        return FALSE;
    if (!reason || !*reason) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("give the reason for acknowledging the anomaly (--reason)"));
        return FALSE;
    }
    if (!kv_txn_begin(&txn, st, error))
        return FALSE;
    s = kv_db_query(st, "UPDATE anomalies SET ack_at = ?, ack_by = ?, ack_reason = ? "
                        "WHERE id = ? AND ack_at IS NULL", error,
                    KV_DB_VALUES(KV_INT(kv_now()), KV_INT(kv_station_user_id(st)), KV_TEXT(reason),
                                 KV_INT(id)));
    if (!s)
        return FALSE;
    if (!kv_db_step_done(st, s, _("acknowledging the anomaly"), error))
        return FALSE;
    if (sqlite3_changes(st->db) != 1) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("anomaly %" PRId64 " does not exist or is already acknowledged"), id);
        return FALSE;
    }
    detail = g_strdup_printf("reason=%s", reason);
    return kv_audit_commit(&txn, "anomaly.ack", obj, detail, error);
}
