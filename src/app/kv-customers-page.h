/* kv-customers-page.h - customers and meters: search as you type, edit, history. */
#pragma once

#include <adwaita.h>

#include "kv-link-state.h"
#include "kv-session.h"

G_BEGIN_DECLS

#define KV_TYPE_CUSTOMERS_PAGE (kv_customers_page_get_type())
G_DECLARE_FINAL_TYPE(KvCustomersPage, kv_customers_page, KV, CUSTOMERS_PAGE, GtkWidget)

void kv_customers_page_set_session(KvCustomersPage *self, KvSession *session);
/* The link to a head office: where there is one, customers and meters are
 * made there (kv_sync_require_no_head_office), and the page says so. */
void kv_customers_page_set_link(KvCustomersPage *self, KvLinkState *link);
void kv_customers_page_focus_search(KvCustomersPage *self);
G_END_DECLS
