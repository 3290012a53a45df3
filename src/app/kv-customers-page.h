/* kv-customers-page.h - customers and meters: search as you type, edit, history. */
#pragma once

#include <adwaita.h>

#include "kv-session.h"

G_BEGIN_DECLS

#define KV_TYPE_CUSTOMERS_PAGE (kv_customers_page_get_type())
G_DECLARE_FINAL_TYPE(KvCustomersPage, kv_customers_page, KV, CUSTOMERS_PAGE, GtkWidget)

void kv_customers_page_set_session(KvCustomersPage *self, KvSession *session);
void kv_customers_page_focus_search(KvCustomersPage *self);
G_END_DECLS
