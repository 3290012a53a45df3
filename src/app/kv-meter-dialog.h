/* kv-meter-dialog.h - add a meter to a customer, or edit one. */
#pragma once

#include <adwaita.h>

#include "kv-session.h"

G_BEGIN_DECLS

#define KV_TYPE_METER_DIALOG (kv_meter_dialog_get_type())
G_DECLARE_FINAL_TYPE(KvMeterDialog, kv_meter_dialog, KV, METER_DIALOG, AdwWindow)

/* A dialog adding a meter to customer_id (meter NULL), or editing meter (a
 * copy is kept; its number cannot change).  It checks what is typed as it
 * is typed, saves through the session's worker, emits "saved" (the meter
 * number, guint) once the core has the meter, and closes.  Escape or Cancel
 * closes it without saving. */
KvMeterDialog *kv_meter_dialog_new(GtkWindow *parent, KvSession *session, gint64 customer_id,
                                   const KvMeter *meter);

G_END_DECLS
