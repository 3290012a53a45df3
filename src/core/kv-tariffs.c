/* kv-tariffs.c - tariffs in the ledger: a version added (admin), the one in
 * force read, every code listed with its versions. */
#include "kv-i18n.h"
#include "kv-audit-private.h"
#include "kv-db.h"
#include "kv-sync-state.h"
#include "kv-tariffs.h"

#define TARIFF_COLS "id, code, effective_from, vat_bp, fixed_monthly, debt_bp"

static void version_free(KvTariffVersion *v)
{
    if (!v)
        return;
    g_free(v->name);
    g_free(v);
}

void kv_tariff_code_free(KvTariffCode *c)
{
    if (!c)
        return;
    g_free(c->code);
    g_clear_pointer(&c->versions, g_ptr_array_unref);
    g_free(c);
}

const KvTariffVersion *kv_tariff_code_in_force(const KvTariffCode *c)
{
    return c->in_force >= 0 ? g_ptr_array_index(c->versions, c->in_force) : NULL;
}

GPtrArray *kv_tariff_list(KvStation *st, gint64 at, GError **error)
{
    g_autoptr(GPtrArray) rows = NULL;
    g_autoptr(GPtrArray) out = NULL;
    g_autoptr(KvStmt) s = NULL;
    KvTariffCode *code = NULL;
    int rc;

    if (!kv_station_require(st, KV_ROLE_CASHIER, error))
        return NULL;
    s = kv_db_stmt(st, "SELECT id, name FROM tariffs ORDER BY code, effective_from DESC", error);
    if (!s)
        return NULL;
    /* The rows first, the blocks after: kv_tariff_get runs its own
     * statements, which must not interleave with this one. */
    rows = g_ptr_array_new_with_free_func((GDestroyNotify)version_free);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        KvTariffVersion *v = g_new0(KvTariffVersion, 1);
        v->tariff.id = sqlite3_column_int64(s, 0);
        v->name = kv_db_col_text(s, 1);
        g_ptr_array_add(rows, v);
    }
    if (rc != SQLITE_DONE) {
        kv_db_set_error(error, st->db, rc, _("reading tariffs"));
        return NULL;
    }
    out = g_ptr_array_new_with_free_func((GDestroyNotify)kv_tariff_code_free);
    for (guint i = 0; i < rows->len; i++) {
        KvTariffVersion *v = g_ptr_array_index(rows, i);

        if (!kv_tariff_get(st, v->tariff.id, &v->tariff, error))
            return NULL;
        if (code == NULL || g_strcmp0(code->code, v->tariff.code) != 0) {
            code = g_new0(KvTariffCode, 1);
            code->code = g_strdup(v->tariff.code);
            code->versions = g_ptr_array_new_with_free_func((GDestroyNotify)version_free);
            code->in_force = -1;
            g_ptr_array_add(out, code);
        }
        /* Newest first: the first one already started is in force. */
        if (code->in_force < 0 && v->tariff.effective_from <= at)
            code->in_force = (gint)code->versions->len;
        /* It belongs to its code now. */
        g_ptr_array_add(code->versions, g_steal_pointer(&rows->pdata[i]));
    }
    return g_steal_pointer(&out);
}

gint64 kv_tariff_add(KvStation *st, const KvTariff *t, const char *name, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autoptr(KvStmt) s = NULL;
    g_autoptr(GString) detail = g_string_new(NULL);
    g_autofree char *obj = NULL;
    gint64 id;
    if (!kv_station_require(st, KV_ROLE_ADMIN, error) || !kv_tariff_validate(t, error) ||
        !kv_sync_require_no_head_office(st, _("adding a tariff"), error))
        return 0;
    if (!t->code[0]) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID, _("a tariff needs a code"));
        return 0;
    }
    if (!kv_txn_begin(&txn, st, error))
        return 0;
    s = kv_db_query(st, "INSERT INTO tariffs(code, name, effective_from, vat_bp, fixed_monthly, "
                        "debt_bp, created_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", error,
                    KV_DB_VALUES(KV_TEXT(t->code), KV_TEXT(name ? name : ""),
                                 KV_INT(t->effective_from), KV_INT((int)t->vat_bp),
                                 KV_INT(t->fixed_monthly), KV_INT((int)t->debt_bp),
                                 KV_INT(kv_now()), KV_INT(kv_station_user_id(st))));
    if (!s)
        return 0;
    if (!kv_db_step_done(st, s, _("adding the tariff"), error)) {
        return kv_db_when_exists(error, KV_CORE_ERROR_EXISTS,
                                 _("tariff %s already has a version starting at that time"), t->code);
    }
    id = sqlite3_last_insert_rowid(st->db);
    g_string_printf(detail, "code=%s from=%" G_GINT64_FORMAT " vat_bp=%u fixed=%" G_GINT64_FORMAT
                    " debt_bp=%u blocks=", t->code, t->effective_from, t->vat_bp,
                    t->fixed_monthly, t->debt_bp);
    for (guint i = 0; i < t->n_blocks; i++) {
        g_autoptr(KvStmt) b = kv_db_stmt(st, "INSERT INTO tariff_blocks(tariff_id, n, upto, "
                                             "price_e4) VALUES (?, ?, ?, ?)", error);
        if (!b)
            return 0;
        sqlite3_bind_int64(b, 1, id);
        sqlite3_bind_int(b, 2, (int)i + 1);
        if (t->blocks[i].upto)
            sqlite3_bind_int64(b, 3, t->blocks[i].upto);
        sqlite3_bind_int64(b, 4, t->blocks[i].price_e4);
        if (!kv_db_step_done(st, b, _("adding a tariff block"), error))
            return 0;
        g_string_append_printf(detail, "%s%" G_GINT64_FORMAT "@%" G_GINT64_FORMAT, i ? "," : "",
                               t->blocks[i].upto, t->blocks[i].price_e4);
    }
    obj = g_strdup_printf("tariff:%" G_GINT64_FORMAT, id);
    if (!kv_audit_append(st, "tariff.add", obj, detail->str, error) || !kv_txn_commit(&txn, error))
        return 0;
    return id;
}

static gboolean tariff_load(KvStation *st, KvStmt *s, KvTariff *out, const char *what,
                            GError **error)
{
    int rc = sqlite3_step(s);
    g_autoptr(KvStmt) b = NULL;
    memset(out, 0, sizeof *out);
    if (rc != SQLITE_ROW) {
        if (rc == SQLITE_DONE)
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND,
                        _("no tariff %s: an admin must add one (`kilovendctl tariff add`)"), what);
        else
            kv_db_set_error(error, st->db, sqlite3_extended_errcode(st->db), _("reading tariffs"));
        return FALSE;
    }
    out->id = sqlite3_column_int64(s, 0);
    g_strlcpy(out->code, (const char *)sqlite3_column_text(s, 1), sizeof out->code);
    out->effective_from = sqlite3_column_int64(s, 2);
    out->vat_bp = (guint)sqlite3_column_int(s, 3);
    out->fixed_monthly = sqlite3_column_int64(s, 4);
    out->debt_bp = (guint)sqlite3_column_int(s, 5);
    b = kv_db_query(st, "SELECT coalesce(upto, 0), price_e4 FROM tariff_blocks WHERE tariff_id = ? "
                        "ORDER BY n", error,
                    KV_DB_VALUES(KV_INT(out->id)));
    if (!b)
        return FALSE;
    while (sqlite3_step(b) == SQLITE_ROW && out->n_blocks < KV_TARIFF_MAX_BLOCKS) {
        out->blocks[out->n_blocks].upto = sqlite3_column_int64(b, 0);
        out->blocks[out->n_blocks].price_e4 = sqlite3_column_int64(b, 1);
        out->n_blocks++;
    }
    return kv_tariff_validate(out, error);
}

gboolean kv_tariff_get_effective(KvStation *st, const char *code, gint64 at, KvTariff *out,
                                 GError **error)
{
    g_autoptr(KvStmt) s = kv_db_stmt(st, "SELECT " TARIFF_COLS " FROM tariffs WHERE code = ? AND "
                                         "effective_from <= ? ORDER BY effective_from DESC "
                                         "LIMIT 1", error);
    g_autofree char *what = g_strdup_printf(_("'%s' in force now"), code);
    if (!s)
        return FALSE;
    sqlite3_bind_text(s, 1, code, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(s, 2, at);
    return tariff_load(st, s, out, what, error);
}

gboolean kv_tariff_get(KvStation *st, gint64 id, KvTariff *out, GError **error)
{
    g_autoptr(KvStmt) s = kv_db_stmt(st, "SELECT " TARIFF_COLS " FROM tariffs WHERE id = ?",
                                     error);
    g_autofree char *what = g_strdup_printf("%" G_GINT64_FORMAT, id);
    if (!s)
        return FALSE;
    sqlite3_bind_int64(s, 1, id);
    return tariff_load(st, s, out, what, error);
}
