/* kv-admin-page.h - tariffs, users, keys, reader, receipts, backup. */
#pragma once

#include <adwaita.h>

#include "kv-session.h"

G_BEGIN_DECLS

#define KV_TYPE_ADMIN_PAGE (kv_admin_page_get_type())
G_DECLARE_FINAL_TYPE(KvAdminPage, kv_admin_page, KV, ADMIN_PAGE, GtkWidget)

void kv_admin_page_set_session(KvAdminPage *self, KvSession *session, GSettings *settings);
/* Back up to path (off the main thread, with progress and Cancel). */
void kv_admin_page_backup(KvAdminPage *self, const char *path);
/* Restore the backup at path; everybody is signed out afterwards. */
void kv_admin_page_restore(KvAdminPage *self, const char *path);
const char *kv_admin_page_get_backup_status(KvAdminPage *self);

G_END_DECLS
