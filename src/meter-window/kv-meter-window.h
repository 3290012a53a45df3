/* kv-meter-window.h - the meter beside the station: a window over a
 * KvMeterModel showing the LCD, the lamps, the relay and the event log,
 * with the card, button and load controls a customer has. */
#pragma once

#include <adwaita.h>

#include "kv-meter-model.h"

G_BEGIN_DECLS

#define KV_TYPE_METER_WINDOW (kv_meter_window_get_type())
G_DECLARE_FINAL_TYPE(KvMeterWindow, kv_meter_window, KV, METER_WINDOW, AdwApplicationWindow)

/* The window takes a reference on model. */
KvMeterWindow *kv_meter_window_new(GtkApplication *app, KvMeterModel *model);
KvMeterModel *kv_meter_window_get_model(KvMeterWindow *self);

/* Speeds offered in the window (meter seconds per real second). */
extern const guint kv_meter_window_speeds[];
extern const guint kv_meter_window_n_speeds;

G_END_DECLS
