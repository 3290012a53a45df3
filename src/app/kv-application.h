/* kv-application.h - the cashier app: options, app actions, one window. */
#pragma once

#include <adwaita.h>

#include "kv-session.h"

G_BEGIN_DECLS

#define KV_APPLICATION_ID "org.kilovend.Station"

#define KV_TYPE_APPLICATION (kv_application_get_type())
G_DECLARE_FINAL_TYPE(KvApplication, kv_application, KV, APPLICATION, AdwApplication)

KvApplication *kv_application_new(void);
GSettings *kv_application_get_settings(KvApplication *self);
gboolean kv_application_get_demo(KvApplication *self);
const char *kv_application_get_demo_dir(KvApplication *self);
/* The station session (valid after startup). */
KvSession *kv_application_get_session(KvApplication *self);
/* The station database and key file to open (before the application is
 * registered; the command line's --db and --keys do the same). */
void kv_application_set_station(KvApplication *self, const char *db_path, const char *keys_path);

G_END_DECLS
