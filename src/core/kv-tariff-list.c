/* kv-tariff-list.c - every tariff code with its versions. */
#include "kv-registry.h"
#include "kv-station-private.h"
#include "kv-tariff-list.h"

static void version_free(KvTariffVersion *v)
{
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
    g_autoptr(GPtrArray) out = NULL;
    g_autoptr(GArray) ids = NULL;
    g_autoptr(GPtrArray) names = NULL;
    g_autoptr(GArray) created = NULL;
    KvTariffCode *code = NULL;
    g_autoptr(KvStmt) s = NULL;
    int rc;

    if (!kv_station_require(st, KV_ROLE_CASHIER, error))
        return NULL;
    s = kv_db_stmt(st, "SELECT id, name, created_at FROM tariffs "
                       "ORDER BY code, effective_from DESC", error);
    if (!s)
        return NULL;
    /* The rows first, the blocks after: kv_tariff_get runs its own
     * statements, which must not interleave with this one. */
    ids = g_array_new(FALSE, FALSE, sizeof(gint64));
    created = g_array_new(FALSE, FALSE, sizeof(gint64));
    names = g_ptr_array_new_with_free_func(g_free);
    while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
        gint64 id = sqlite3_column_int64(s, 0);
        gint64 when = sqlite3_column_int64(s, 2);
        g_array_append_val(ids, id);
        g_ptr_array_add(names, kv_db_col_text(s, 1));
        g_array_append_val(created, when);
    }
    if (rc != SQLITE_DONE) {
        kv_db_set_error(error, st->db, rc, "reading tariffs");
        return NULL;
    }
    out = g_ptr_array_new_with_free_func((GDestroyNotify)kv_tariff_code_free);
    for (guint i = 0; i < ids->len; i++) {
        KvTariffVersion *v = g_new0(KvTariffVersion, 1);

        if (!kv_tariff_get(st, g_array_index(ids, gint64, i), &v->tariff, error)) {
            version_free(v);
            return NULL;
        }
        v->name = g_strdup(g_ptr_array_index(names, i));
        v->created_at = g_array_index(created, gint64, i);
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
        g_ptr_array_add(code->versions, v);
    }
    return g_steal_pointer(&out);
}
