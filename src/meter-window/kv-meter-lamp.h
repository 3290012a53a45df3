/* kv-meter-lamp.h - one of the meter's indicator lamps (red alarm, yellow
 * trip).  Its accessible label names the lamp, its description says "on"
 * or "off". */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define KV_TYPE_METER_LAMP (kv_meter_lamp_get_type())
G_DECLARE_FINAL_TYPE(KvMeterLamp, kv_meter_lamp, KV, METER_LAMP, GtkWidget)

/* rgb: the colour of the lit lamp, 0xRRGGBB; name: "Red lamp". */
GtkWidget *kv_meter_lamp_new(const char *name, guint32 rgb);
void kv_meter_lamp_set_on(KvMeterLamp *self, gboolean on);
gboolean kv_meter_lamp_get_on(KvMeterLamp *self);

G_END_DECLS
