/* kv-import-group.h - customers and meters imported from a CSV file
 * (kv_registry_import_csv): a supervisor's, on the Administration screen.
 * Each line is its own transaction; the lines refused are listed with the
 * reason, the others are in. */
#pragma once

#include <adwaita.h>

#include "kv-session.h"

G_BEGIN_DECLS

#define KV_TYPE_IMPORT_GROUP (kv_import_group_get_type())
G_DECLARE_FINAL_TYPE(KvImportGroup, kv_import_group, KV, IMPORT_GROUP, AdwPreferencesGroup)

void kv_import_group_set_session(KvImportGroup *self, KvSession *session);
/* Import path as customers (meters FALSE) or meters: what the file
 * chooser's answer does. */
void kv_import_group_import(KvImportGroup *self, gboolean meters, const char *path);

G_END_DECLS
