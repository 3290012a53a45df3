/* kv-reports-page.h - Z report, sales chart, meter consumption, exports. */
#pragma once

#include <adwaita.h>

#include "kv-session.h"

G_BEGIN_DECLS

#define KV_TYPE_REPORTS_PAGE (kv_reports_page_get_type())
G_DECLARE_FINAL_TYPE(KvReportsPage, kv_reports_page, KV, REPORTS_PAGE, GtkWidget)

void kv_reports_page_set_session(KvReportsPage *self, KvSession *session);

G_END_DECLS
