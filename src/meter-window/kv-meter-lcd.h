/* kv-meter-lcd.h - the meter's segment LCD, drawn as the glass looks.
 *
 * Ten seven-segment cells with a decimal point each, a kWh annunciator and
 * the status icons (relay open, tamper, card, lock), as the firmware drives
 * them (firmware/core/display.h).  The text is also the widget's accessible
 * description, so a screen reader reads what the glass shows.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define KV_METER_LCD_CELLS 10

#define KV_TYPE_METER_LCD (kv_meter_lcd_get_type())
G_DECLARE_FINAL_TYPE(KvMeterLcd, kv_meter_lcd, KV, METER_LCD, GtkWidget)

GtkWidget *kv_meter_lcd_new(void);
/* text as the firmware composes it ("0123.45kWh", "Err 14"); icons are
 * the firmware's METER_ICON_* bits. */
void kv_meter_lcd_set(KvMeterLcd *self, const char *text, guint icons);
const char *kv_meter_lcd_get_text(KvMeterLcd *self);

/* The segments (bit 0 = a ... bit 6 = g) a cell shows for c; 0 for a
 * character seven segments cannot show. */
guint8 kv_meter_lcd_segments(char c);

G_END_DECLS
