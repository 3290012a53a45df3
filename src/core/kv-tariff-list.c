/* kv-tariff-list.c - every tariff code with its versions. */
#include "kv-i18n.h"
#include "kv-registry.h"
#include "kv-tariff-list.h"
#include "kv-db.h"
#include "kv-station-private.h"

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
