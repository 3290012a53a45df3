/* kv-categories.c - customer categories and their tariffs. */
#include <string.h>

#include "kv-i18n.h"
#include "kv-categories.h"
#include "kv-tariffs.h"
#include "kv-db.h"
#include "kv-audit-private.h"
#include "kv-station-private.h"
#include "kv-sale-state.h"
#include "kv-time.h"

gboolean kv_category_set(KvStation *st, const KvCategory *c, GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autoptr(KvStmt) s = NULL;
    g_autofree char *obj = g_strdup_printf("category:%s", c->code);
    g_autofree char *detail = g_strdup_printf("tariff=%s free=%" G_GINT64_FORMAT " name=%s",
                                              c->tariff_code, c->free_energy, c->name);
    KvTariff t;

    if (!kv_station_require(st, KV_ROLE_ADMIN, error))
        return FALSE;
    if (!*c->code || !*c->tariff_code) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("a category needs a code and a tariff code (1 to 16 characters)"));
        return FALSE;
    }
    if (c->free_energy < 0 || c->free_energy > 0x7FFFFFFF) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("a category's free allocation is 0 or more kWh a month"));
        return FALSE;
    }
    /* A version in force now or later: its code exists. */
    if (!kv_tariff_get_effective(st, c->tariff_code, G_MAXINT64, &t, error))
        return FALSE;
    if (!kv_txn_begin(&txn, st, error) ||
        !(s = kv_db_query(st, "INSERT INTO customer_categories(code, name, tariff_code, "
                              "created_at, free_energy) VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT "
                              "(code) DO UPDATE SET name = ?2, tariff_code = ?3, free_energy = ?5",
                          error,
                          KV_DB_VALUES(KV_TEXT(c->code), KV_TEXT(c->name),
                                       KV_TEXT(c->tariff_code), KV_INT(kv_now()),
                                       KV_INT(c->free_energy)))))
        return FALSE;
    return kv_db_step_done(st, s, _("recording the category"), error) &&
           kv_audit_commit(&txn, "category.set", obj, detail, error);
}

GPtrArray *kv_category_list(KvStation *st, GError **error)
{
    g_autoptr(KvStmt) s = NULL;
    GPtrArray *out;
    if (!kv_station_require(st, KV_ROLE_CASHIER, error) ||
        !(s = kv_db_stmt(st, "SELECT code, name, tariff_code, free_energy FROM "
                             "customer_categories ORDER BY code", error)))
        return NULL;
    out = g_ptr_array_new_with_free_func(g_free);
    while (sqlite3_step(s) == SQLITE_ROW) {
        KvCategory *c = g_new0(KvCategory, 1);
        g_strlcpy(c->code, (const char *)sqlite3_column_text(s, 0), sizeof c->code);
        g_strlcpy(c->name, (const char *)sqlite3_column_text(s, 1), sizeof c->name);
        g_strlcpy(c->tariff_code, (const char *)sqlite3_column_text(s, 2), sizeof c->tariff_code);
        c->free_energy = sqlite3_column_int64(s, 3);
        g_ptr_array_add(out, c);
    }
    return out;
}

gboolean kv_customer_set_category(KvStation *st, gint64 customer_id, const char *code,
                                  GError **error)
{
    g_auto(KvTxn) txn = KV_TXN_INIT;
    g_autoptr(KvStmt) s = NULL;
    g_autofree char *obj = g_strdup_printf("customer:%" G_GINT64_FORMAT, customer_id);
    g_autofree char *detail = g_strdup_printf("category=%s", code && *code ? code : "");

    if (!kv_station_require(st, KV_ROLE_SUPERVISOR, error) || !kv_txn_begin(&txn, st, error) ||
        !(s = kv_db_query(st, "UPDATE customers SET category = nullif(?, '') WHERE id = ?",
                          error, KV_DB_VALUES(KV_TEXT(code ? code : ""), KV_INT(customer_id)))))
        return FALSE;
    if (!kv_db_step_done(st, s, _("setting the category"), error)) {
        if (g_error_matches(*error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID)) {
            g_clear_error(error);
            g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND, _("no category '%s'"),
                        code);
        }
        return FALSE;
    }
    if (sqlite3_changes(st->db) == 0) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_NOT_FOUND, _("no customer %" PRId64),
                    customer_id);
        return FALSE;
    }
    return kv_audit_commit(&txn, "customer.category", obj, detail, error);
}

gboolean kv_category_tariff_of(KvStation *st, gint64 customer_id, char out[17], gboolean *has,
                               GError **error)
{
    g_autoptr(KvStmt) s = kv_db_query(st, "SELECT g.tariff_code FROM customers c JOIN "
                                         "customer_categories g ON g.code = c.category "
                                         "WHERE c.id = ?", error,
                                      KV_DB_VALUES(KV_INT(customer_id)));
    *has = FALSE;
    if (!s)
        return FALSE;
    if (sqlite3_step(s) == SQLITE_ROW) {
        g_strlcpy(out, (const char *)sqlite3_column_text(s, 0), 17);
        *has = TRUE;
    }
    return TRUE;
}

gboolean kv_free_allocation_due(KvStation *st, gint64 customer_id, gint64 at, gint64 *energy,
                                gint *month, gint64 *granted_by, GError **error)
{
    g_autoptr(KvStmt) s = NULL;
    gint key = kv_month_key(at);

    *energy = 0;
    *month = 0;
    *granted_by = 0;
    /* The live grant of the month, if any (the states that free it:
     * db/015-free-energy.sql, index sales_free_month). */
    if (!(s = kv_db_query(st, "SELECT g.free_energy, (SELECT s.id FROM sales s WHERE "
                              "s.customer_id = c.id AND s.free_month = ?2 AND s.state NOT IN "
                              "(?3, ?4, ?5)) FROM customers c JOIN customer_categories g ON "
                              "g.code = c.category WHERE c.id = ?1", error,
                          KV_DB_VALUES(KV_INT(customer_id), KV_INT(key),
                                       KV_STATE(KV_SALE_FAILED), KV_STATE(KV_SALE_VOID),
                                       KV_STATE(KV_SALE_CANCELLED)))))
        return FALSE;
    if (sqlite3_step(s) != SQLITE_ROW)
        return TRUE;
    *granted_by = sqlite3_column_int64(s, 1);
    if (!*granted_by && sqlite3_column_int64(s, 0) > 0) {
        *energy = sqlite3_column_int64(s, 0);
        *month = key;
    }
    return TRUE;
}
