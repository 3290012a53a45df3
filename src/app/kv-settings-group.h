/* kv-settings-group.h - the station's settings (kv_station_set_setting):
 * the utility's name, the currency, the office, the largest sale and the
 * token issuer.  An admin's; others see them, disabled with the reason. */
#pragma once

#include <adwaita.h>

#include "kv-session.h"

G_BEGIN_DECLS

#define KV_TYPE_SETTINGS_GROUP (kv_settings_group_get_type())
G_DECLARE_FINAL_TYPE(KvSettingsGroup, kv_settings_group, KV, SETTINGS_GROUP, AdwPreferencesGroup)

void kv_settings_group_set_session(KvSettingsGroup *self, KvSession *session);
/* Read the settings into the fields again. */
void kv_settings_group_reload(KvSettingsGroup *self);

G_END_DECLS
