/* kv-categories.h - customer categories (residential, lifeline,
 * commercial...), each with its tariff (docs/station.md, "Customer
 * categories"). */
#ifndef KV_CATEGORIES_H
#define KV_CATEGORIES_H

#include "kv-station.h"

G_BEGIN_DECLS

typedef struct {
    char code[17];
    char name[201];
    char tariff_code[17];
    /* Free basic electricity: 0.01 kWh granted to each customer of the
     * category once a calendar month (local time); 0: none. */
    gint64 free_energy;
} KvCategory;

/* Admin: add or change a category; its tariff code must have a version.
 * Audited (category.set). */
gboolean kv_category_set(KvStation *st, const KvCategory *c, GError **error);
/* The categories (KvCategory, g_free), by code. */
GPtrArray *kv_category_list(KvStation *st, GError **error);
/* Supervisor: put a customer in a category (code NULL or "": none, the
 * meter's tariff again).  Audited (customer.category).  The next sale is
 * priced at the new category's tariff. */
gboolean kv_customer_set_category(KvStation *st, gint64 customer_id, const char *code,
                                  GError **error);
/* The tariff code a sale to this customer uses: its category's, copied to
 * out (17 bytes); *has FALSE (out untouched) when the customer has none. */
gboolean kv_category_tariff_of(KvStation *st, gint64 customer_id, char out[17], gboolean *has,
                               GError **error);

/* The free allocation due to a customer with a token written at `at`:
 * *energy the category's allocation and *month the month's key
 * (kv_month_key) when no live grant of that month exists; otherwise
 * *energy 0 and *granted_by the sale that carries the month's grant
 * (0 when the customer has no category or the category grants nothing).
 * A grant is never carried to another month: what is due is the month's
 * allocation or nothing. */
gboolean kv_free_allocation_due(KvStation *st, gint64 customer_id, gint64 at, gint64 *energy,
                                gint *month, gint64 *granted_by, GError **error);

G_END_DECLS

#endif
