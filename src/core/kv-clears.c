/* kv-clears.c - the credit clear-credit cards emptied (see kv-clears.h). */
#include "kv-i18n.h"
#include "kv-audit-private.h"
#include "kv-clears.h"
#include "kv-db.h"
#include "kv-time.h"

gint64 kv_clears_total(KvStation *st, guint32 meter, gint64 *unrefunded, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT coalesce(max(cleared_total), 0), "
                                          "coalesce(sum(amount - refunded), 0) FROM "
                                          "credit_clears WHERE meter_number = ?", error,
                                      KV_DB_VALUES(KV_INT(meter)));
    if (!s || !kv_db_step_done(st, s, _("reading the credit cleared"), error))
        return -1;
    if (unrefunded)
        *unrefunded = sqlite3_column_int64(s, 1);
    return sqlite3_column_int64(s, 0);
}

gboolean kv_clears_record(KvStation *st, const KvMeter *m, const kv_card_view *view,
                          gboolean *recorded, GError **error)
{
    const kv_readback *rb = &view->readback;
    const char *what = _("recording the credit cleared");
    g_autofree char *obj = NULL, *detail = NULL;
    gint64 before, amount, now = kv_now();

    *recorded = FALSE;
    if (view->id.card_type != KV_CARD_CLEAR_CREDIT || view->readback_err != KV_OK)
        return TRUE;
    before = kv_clears_total(st, m->number, NULL, error);
    if (before < 0)
        return FALSE;
    if ((gint64)rb->cleared <= before)
        return TRUE;
    amount = (gint64)rb->cleared - before;
    if (!kv_db_run(st, "INSERT INTO credit_clears(meter_number, card_serial, token_seq, "
                       "readback_counter, cleared_total, amount, recorded_at) "
                       "VALUES (?, ?, ?, ?, ?, ?, ?)", what, error,
                   KV_DB_VALUES(KV_INT(m->number), KV_INT(view->id.card_serial),
                                KV_INT(view->token_err == KV_OK ? view->token.seq : 0),
                                KV_INT(rb->counter), KV_INT(rb->cleared), KV_INT(amount),
                                KV_INT(now))) ||
        /* the clear-credit tokens of the meter up to the last it took */
        !kv_db_run(st, "UPDATE engineering_tokens SET applied_at = ? WHERE meter_number = ? "
                       "AND kind = ? AND seq <= ? AND applied_at IS NULL", what, error,
                   KV_DB_VALUES(KV_INT(now), KV_INT(m->number), KV_INT(KV_TOKEN_CLEAR_CREDIT),
                                KV_INT(rb->last_seq))))
        return FALSE;
    obj = g_strdup_printf("meter:%09u", m->number);
    detail = g_strdup_printf("amount=%" G_GINT64_FORMAT " cleared_total=%u card=%u counter=%u "
                             "result=%u", amount, rb->cleared, view->id.card_serial, rb->counter,
                             rb->result);
    if (!kv_audit_append(st, "meter.credit-cleared", obj, detail, error))
        return FALSE;
    *recorded = TRUE;
    return TRUE;
}
