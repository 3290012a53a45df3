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

G_END_DECLS

#endif
