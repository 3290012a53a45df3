/* kv-refunds.c - refunds of cleared credit (see kv-refunds.h). */
#include "kv-i18n.h"
#include "kv-audit-private.h"
#include "kv-clears.h"
#include "kv-db.h"
#include "kv-refunds-private.h"
#include "kv-sales.h"
#include "kv-shifts-private.h"
#include "kv-station-private.h"
#include "kv-time.h"

/* The credit_clears rows take the refunded energy, oldest first. */
static gboolean mark_refunded(KvStation *st, guint32 meter, gint64 energy, GError **error)
{
    const char *what = _("recording the refund");
    while (energy > 0) {
        gint64 id, left;
        {
            g_autoptr(KvStmt) s = kv_db_query(st, "SELECT id, amount - refunded FROM "
                                                  "credit_clears WHERE meter_number = ? AND "
                                                  "refunded < amount ORDER BY id LIMIT 1", error,
                                              KV_DB_VALUES(KV_INT(meter)));
            if (!s || !kv_db_step_done(st, s, what, error))
                return FALSE;
            id = sqlite3_column_int64(s, 0);
            left = sqlite3_column_int64(s, 1);
        }
        if (left > energy)
            left = energy;
        if (!kv_db_run(st, "UPDATE credit_clears SET refunded = refunded + ? WHERE id = ?", what,
                       error, KV_DB_VALUES(KV_INT(left), KV_INT(id))))
            return FALSE;
        energy -= left;
    }
    return TRUE;
}

typedef struct {
    gint64 sale, energy, amount;
} Part;

/* Take up to *energy from the meter's completed sales, newest first, as
 * refund_parts of refund `id`; *energy and *amount become what was taken
 * and paid.  A sale's credit is its energy bought and its free allocation,
 * at what was paid for the whole: free energy is never paid back as if
 * bought (a free allocation alone pays back nothing). */
static gboolean take_from_sales(KvStation *st, guint32 meter, gint64 id, gint64 *energy,
                                gint64 *amount, guint *sales, GError **error)
{
    const char *what = _("recording the refund");
    gint64 want = *energy, got = 0, paid = 0;
    g_autoptr(GArray) parts = g_array_new(FALSE, FALSE, sizeof(Part));
    {
        g_autoptr(KvStmt) s = kv_db_query(st,
            "SELECT s.id, s.energy + s.free_energy, s.energy_net + s.vat, "
            "coalesce(sum(p.energy), 0), coalesce(sum(p.amount), 0) FROM sales s "
            "LEFT JOIN refund_parts p ON p.sale_id = s.id WHERE s.meter_number = ? AND "
            "s.state = ? GROUP BY s.id ORDER BY s.seq DESC", error,
            KV_DB_VALUES(KV_INT(meter), KV_STATE(KV_SALE_COMPLETED)));
        int rc = SQLITE_DONE;
        if (!s)
            return FALSE;
        while (got < want && (rc = sqlite3_step(s)) == SQLITE_ROW) {
            gint64 sale = sqlite3_column_int64(s, 0), e = sqlite3_column_int64(s, 1);
            gint64 money = sqlite3_column_int64(s, 2);
            gint64 left = e - sqlite3_column_int64(s, 3);
            gint64 money_left = money - sqlite3_column_int64(s, 4);
            Part part;
            if (left <= 0)
                continue;
            part.sale = sale;
            part.energy = MIN(left, want - got);
            /* the part that completes the sale takes exactly what is left */
            part.amount = part.energy == left ? money_left : money * part.energy / e;
            got += part.energy;
            paid += part.amount;
            g_array_append_val(parts, part);
        }
        if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
            kv_db_set_error(error, st->db, rc, what);
            return FALSE;
        }
    }
    for (guint i = 0; i < parts->len; i++) {
        const Part *p = &g_array_index(parts, Part, i);
        if (!kv_db_run(st, "INSERT INTO refund_parts(refund_id, sale_id, energy, amount) "
                           "VALUES (?, ?, ?, ?)", what, error,
                       KV_DB_VALUES(KV_INT(id), KV_INT(p->sale), KV_INT(p->energy), KV_INT(p->amount))))
            return FALSE;
    }
    *energy = got;
    *amount = paid;
    *sales = parts->len;
    return TRUE;
}

/* The meter's credit cleared and its part refunded agree with the audit
 * log (kv_audit_check_clears); AUDIT with the first disagreement if not. */
static gboolean clears_audited(KvStation *st, guint32 meter, GError **error)
{
    g_autoptr(GPtrArray) problems = g_ptr_array_new_with_free_func(g_free);
    if (!kv_audit_check_clears(st, meter, problems, error))
        return FALSE;
    if (problems->len == 0)
        return TRUE;
    g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_AUDIT,
                _("meter %09u: the credit cleared does not agree with the audit log, nothing "
                "is refunded: %s (`kilovendctl audit verify` lists every disagreement)"), meter,
                (const char *)problems->pdata[0]);
    return FALSE;
}

KvRefund *kv_refund_cleared(KvStation *st, guint32 meter, const char *reason, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autofree KvRefund *r = g_new0(KvRefund, 1);
    g_autofree char *obj = NULL, *detail = NULL;
    gint64 energy;

    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error))
        return NULL;
    if (!reason || !*reason) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID, _("a refund needs a reason"));
        return NULL;
    }
    if (!kv_shift_current_id(st, &r->shift_id, error))
        return NULL;
    if (!r->shift_id) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("'%s' has no open shift: the refund is paid from a shift's cash"),
                    st->user->login);
        return NULL;
    }
    if (!kv_refund_not_swapped(st, meter, error))
        return NULL;
    /* The credit cleared is checked against its keyed audit rows: a row
     * added or raised in the SQLite file pays nothing. */
    if (!kv_station_require_keys(st, error) || !kv_txn_begin(&txn, st, error) ||
        !clears_audited(st, meter, error) || kv_clears_total(st, meter, &energy, error) < 0)
        return NULL;
    if (energy == 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("meter %09u: no cleared credit waits for a refund (a clear-credit card's "
                    "readback proves it)"), meter);
        return NULL;
    }
    if (!kv_db_run(st, "INSERT INTO refunds(meter_number, shift_id, kind, energy, amount, reason, "
                       "created_by, created_at) VALUES (?, ?, 'cleared', ?, 0, ?, ?, ?)",
                   _("recording the refund"), error,
                   KV_DB_VALUES(KV_INT(meter), KV_INT(r->shift_id), KV_INT(energy),
                                KV_TEXT(reason), KV_INT(st->user->id), KV_INT(kv_now()))))
        return NULL;
    r->id = sqlite3_last_insert_rowid(st->db);
    r->meter_number = meter;
    r->energy = energy;
    if (!take_from_sales(st, meter, r->id, &r->energy, &r->amount, &r->sales, error))
        return NULL;
    if (r->energy == 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                    _("meter %09u: the cleared credit came from no sale left to refund"), meter);
        return NULL;
    }
    if (!kv_db_run(st, "UPDATE refunds SET energy = ?, amount = ? WHERE id = ?",
                   _("recording the refund"), error,
                   KV_DB_VALUES(KV_INT(r->energy), KV_INT(r->amount), KV_INT(r->id))) ||
        !mark_refunded(st, meter, r->energy, error))
        return NULL;
    obj = g_strdup_printf("meter:%09u", meter);
    detail = g_strdup_printf("refund=%" G_GINT64_FORMAT " energy=%" G_GINT64_FORMAT
                             " amount=%" G_GINT64_FORMAT " sales=%u shift=%" G_GINT64_FORMAT
                             " reason=%s", r->id, r->energy, r->amount, r->sales, r->shift_id,
                             reason);
    if (!kv_audit_commit(&txn, "refund.cleared", obj, detail, error))
        return NULL;
    return g_steal_pointer(&r);
}

gboolean kv_refunds_sum(KvStation *st, gint64 shift_id, gint64 from, gint64 to, gint64 *count,
                        gint64 *amount, gint64 *energy, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT count(*), coalesce(sum(amount), 0), "
                                          "coalesce(sum(energy), 0) FROM refunds WHERE "
                                          "CASE WHEN ?1 > 0 THEN shift_id = ?1 ELSE "
                                          "created_at >= ?2 AND created_at < ?3 END", error,
                                      KV_DB_VALUES(KV_INT(shift_id), KV_INT(from), KV_INT(to)));
    if (!s || !kv_db_step_done(st, s, _("reading the refunds"), error))
        return FALSE;
    *count = sqlite3_column_int64(s, 0);
    *amount = sqlite3_column_int64(s, 1);
    *energy = sqlite3_column_int64(s, 2);
    return TRUE;
}

/* A refund as recorded (refund_fields, in the order of REFUND_SELECT). */
#define REFUND_SELECT                                                                          \
    "SELECT r.id, r.meter_number, r.shift_id, r.energy, r.amount, (SELECT count(*) FROM "     \
    "refund_parts p WHERE p.refund_id = r.id), r.created_at, r.reason, u.login FROM refunds r " \
    "JOIN users u ON u.id = r.created_by "
#define F(type, field) KV_FIELD(type, KvRefundEntry, field)
static const KvField refund_fields[] = {
    F(INT64, refund.id),      F(UINT32, refund.meter_number), F(INT64, refund.shift_id),
    F(INT64, refund.energy),  F(INT64, refund.amount),        F(INT, refund.sales),
    F(INT64, created_at),     F(TEXT, reason),                F(TEXT, by),
};
#undef F

static KvRefundEntry *entry_from_row(KvStmt *s)
{
    KvRefundEntry *e = g_new0(KvRefundEntry, 1);

    kv_db_read_fields(s, e, refund_fields, G_N_ELEMENTS(refund_fields));
    return e;
}

void kv_refund_entry_free(KvRefundEntry *e)
{
    if (e == NULL)
        return;
    g_free(e->reason);
    g_free(e->by);
    g_free(e);
}

KvRefund *kv_refund_get(KvStation *st, gint64 id, gint64 *created_at, char **reason, char **by,
                        GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, REFUND_SELECT "WHERE r.id = ?", error,
                                      KV_DB_VALUES(KV_INT(id)));
    g_autoptr(KvRefundEntry) e = NULL;

    if (!s || sqlite3_step(s) != SQLITE_ROW) {
        if (s) /* else the error is set */
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND, _("no refund %" PRId64),
                        id);
        return NULL;
    }
    e = entry_from_row(s);
    *created_at = e->created_at;
    *reason = g_steal_pointer(&e->reason);
    *by = g_steal_pointer(&e->by);
    return g_memdup2(&e->refund, sizeof e->refund);
}

GPtrArray *kv_refund_list_recent(KvStation *st, guint limit, GError **error)
{
    g_autoptr(KvStmt) s = NULL;
    GPtrArray *out;

    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error) ||
        !(s = kv_db_query(st, REFUND_SELECT "ORDER BY r.id DESC LIMIT ?", error,
                          KV_DB_VALUES(KV_INT(limit)))))
        return NULL;
    out = g_ptr_array_new_with_free_func((GDestroyNotify)kv_refund_entry_free);
    while (sqlite3_step(s) == SQLITE_ROW)
        g_ptr_array_add(out, entry_from_row(s));
    return out;
}

gboolean kv_refund_take_parts(KvStation *st, guint32 meter, gint64 refund_id, gint64 *energy,
                              gint64 *amount, guint *sales, GError **error)
{
    return take_from_sales(st, meter, refund_id, energy, amount, sales, error);
}
