/* kv-shifts.c - cashier shifts: open, current, close with the cash count. */
#include "kv-i18n.h"
#include "kv-payments.h"
#include "kv-shifts.h"
#include "kv-db.h"
#include "kv-audit-private.h"
#include "kv-shifts-private.h"
#include "kv-station-private.h"
#include "kv-time.h"

/* The cash the drawer of shift h should hold: the float and the completed
 * sales paid in cash (payment 0, KV_PAYMENT_CASH), less the refunds paid
 * back out of it (kv-refunds.h); other payment types are counted by their
 * own providers (the Z report lists them). */
#define EXPECTED_CASH                                                                        \
    "h.opening_float + (SELECT coalesce(sum(amount), 0) FROM sales WHERE shift_id = h.id "   \
    "AND state = ?2 AND payment = 0) - (SELECT coalesce(sum(amount), 0) FROM refunds "       \
    "WHERE shift_id = h.id)" /* ?2: KV_STATE(KV_SALE_COMPLETED) */
G_STATIC_ASSERT(KV_PAYMENT_CASH == 0);

void kv_shift_free(KvShift *s)
{
    if (!s)
        return;
    g_free(s->cashier_login);
    g_free(s);
}

/* The shifts a WHERE clause selects (?1: its parameter, ?2 bound here),
 * newest first, at most limit. */
#define SHIFT_SELECT                                                                         \
    "SELECT h.id, h.cashier_id, u.login, h.opened_at, coalesce(h.closed_at, 0), "            \
    "h.opening_float, coalesce(h.expected_cash, " EXPECTED_CASH "), "                         \
    "coalesce(h.counted_cash, -1) FROM shifts h JOIN users u ON u.id = h.cashier_id "

/* The columns of SHIFT_SELECT, in order. */
#define F(type, field) KV_FIELD(type, KvShift, field)
static const KvField shift_fields[] = {
    F(INT64, id), F(INT64, cashier_id), F(TEXT, cashier_login), F(INT64, opened_at),
    F(INT64, closed_at), F(INT64, opening_float), F(INT64, expected_cash), F(INT64, counted_cash),
};
#undef F

static KvShift *shift_from_row(KvStmt *s)
{
    KvShift *x = g_new0(KvShift, 1);
    kv_db_read_fields(s, x, shift_fields, G_N_ELEMENTS(shift_fields));
    return x;
}

KvShift *kv_shift_get(KvStation *st, gint64 id, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, SHIFT_SELECT "WHERE h.id = ?1", error,
                                      KV_DB_VALUES(KV_INT(id), KV_STATE(KV_SALE_COMPLETED)));
    if (!s)
        return NULL;
    if (sqlite3_step(s) != SQLITE_ROW) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND, _("no shift %" PRId64), id);
        return NULL;
    }
    return shift_from_row(s);
}

GPtrArray *kv_shift_list(KvStation *st, guint limit, GError **error)
{
    g_autoptr(KvStmt) s = NULL;
    GPtrArray *out;

    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error) ||
        !(s = kv_db_query(st, SHIFT_SELECT "ORDER BY h.id DESC LIMIT ?1", error,
                          KV_DB_VALUES(KV_INT(limit), KV_STATE(KV_SALE_COMPLETED)))))
        return NULL;
    out = g_ptr_array_new_with_free_func((GDestroyNotify)kv_shift_free);
    while (sqlite3_step(s) == SQLITE_ROW)
        g_ptr_array_add(out, shift_from_row(s));
    return out;
}

gboolean kv_shift_current_id(KvStation *st, gint64 *id, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT id FROM shifts WHERE closed_at IS NULL AND "
                                          "cashier_id = ?", error,
                                      KV_DB_VALUES(KV_INT(kv_station_user_id(st))));
    *id = 0;
    if (!s)
        return FALSE;
    if (sqlite3_step(s) == SQLITE_ROW)
        *id = sqlite3_column_int64(s, 0);
    return TRUE;
}

KvShift *kv_shift_current(KvStation *st, GError **error)
{
    gint64 id;
    if (!kv_station_require(st, KV_ROLE_CASHIER, error))
        return NULL;
    kv_shift_current_id(st, &id, NULL);
    return id ? kv_shift_get(st, id, error) : NULL;
}

gint64 kv_shift_open(KvStation *st, gint64 opening_float, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autofree char *obj = NULL, *detail = NULL;
    gint64 id;
    if (!kv_station_require(st, KV_ROLE_CASHIER, error))
        return 0;
    if (opening_float < 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID, _("the float cannot be negative"));
        return 0;
    }
    if (!kv_txn_begin(&txn, st, error))
        return 0;
    if (!kv_db_run(st, "INSERT INTO shifts(cashier_id, opened_at, opening_float) VALUES (?, ?, ?)",
                   _("opening the shift"), error,
                   KV_DB_VALUES(KV_INT(kv_station_user_id(st)), KV_INT(kv_now()),
                                KV_INT(opening_float)))) {
        return kv_db_when_exists(error, KV_CORE_ERROR_STATE,
                                 _("'%s' already has an open shift: close it first"), st->user->login);
    }
    id = sqlite3_last_insert_rowid(st->db);
    obj = g_strdup_printf("shift:%" G_GINT64_FORMAT, id);
    detail = g_strdup_printf("float=%" G_GINT64_FORMAT, opening_float);
    return kv_audit_commit(&txn, "shift.open", obj, detail, error) ? id : 0;
}

KvShift *kv_shift_close(KvStation *st, gint64 counted_cash, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autofree char *obj = NULL, *detail = NULL;
    gint64 id, expected, unresolved, issued;
    if (!kv_station_require(st, KV_ROLE_CASHIER, error))
        return NULL;
    if (counted_cash < 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID, _("the cash counted cannot be negative"));
        return NULL;
    }
    if (!kv_shift_current_id(st, &id, NULL) || !id) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE, _("'%s' has no open shift"),
                    st->user->login);
        return NULL;
    }
    if (!kv_txn_begin(&txn, st, error))
        return NULL;
    {
        g_autoptr(KvStmt) q = kv_db_query(st,
            "SELECT " EXPECTED_CASH ", (SELECT count(*) FROM sales "
            "WHERE shift_id = h.id AND state IN (?3, ?4, ?5)), (SELECT count(*) FROM sales "
            "WHERE shift_id = h.id AND state = ?6) FROM shifts h WHERE h.id = ?1", error,
            KV_DB_VALUES(KV_INT(id), KV_STATE(KV_SALE_COMPLETED), KV_STATE(KV_SALE_PENDING),
                         KV_STATE(KV_SALE_WRITTEN), KV_STATE(KV_SALE_CANCELLING),
                         KV_STATE(KV_SALE_ISSUED)));
        if (!q)
            return NULL;
        if (sqlite3_step(q) != SQLITE_ROW) {
            kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), _("closing the shift"));
            return NULL;
        }
        expected = sqlite3_column_int64(q, 0);
        unresolved = sqlite3_column_int64(q, 1);
        issued = sqlite3_column_int64(q, 2);
    }
    if (unresolved) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_UNRESOLVED,
                    _("%" PRId64 " sale(s) of this shift wait for their card: read those "
                    "cards before closing (`kilovendctl sale unresolved`)"), unresolved);
        return NULL;
    }
    if (issued) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_UNRESOLVED,
                    _("%" PRId64 " sale(s) of this shift are issued but not confirmed (the token "
                    "may be on a card): a supervisor must resolve them before the shift closes "
                    "(`kilovendctl sale unresolved`, `sale resolve ID --paid|--void`)"), issued);
        return NULL;
    }
    if (!kv_db_run(st, "UPDATE shifts SET closed_at = ?, expected_cash = ?, counted_cash = ? "
                       "WHERE id = ?", _("closing the shift"), error,
                   KV_DB_VALUES(KV_INT(kv_now()), KV_INT(expected), KV_INT(counted_cash),
                                KV_INT(id))))
        return NULL;
    obj = g_strdup_printf("shift:%" G_GINT64_FORMAT, id);
    detail = g_strdup_printf("expected=%" G_GINT64_FORMAT " counted=%" G_GINT64_FORMAT, expected,
                             counted_cash);
    return kv_audit_commit(&txn, "shift.close", obj, detail, error) ? kv_shift_get(st, id, error)
                                                                   : NULL;
}
