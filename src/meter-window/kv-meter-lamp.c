/* kv-meter-lamp.c - an indicator lamp (see kv-meter-lamp.h). */
#define G_LOG_DOMAIN "kilovend-meter"

#include "kv-meter-lamp.h"

#include <glib/gi18n.h>

struct _KvMeterLamp {
    GtkWidget parent_instance;
    double r, g, b;
    gboolean on;
};

G_DEFINE_TYPE(KvMeterLamp, kv_meter_lamp, GTK_TYPE_WIDGET)

static void kv_meter_lamp_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
    KvMeterLamp *self = KV_METER_LAMP(widget);
    double w = gtk_widget_get_width(widget), h = gtk_widget_get_height(widget);
    double rad = MIN(w, h) / 2 - 2;
    cairo_t *cr = gtk_snapshot_append_cairo(snapshot, &GRAPHENE_RECT_INIT(0, 0, w, h));
    cairo_pattern_t *glow;

    cairo_arc(cr, w / 2, h / 2, rad, 0, 2 * G_PI);
    if (self->on) {
        /* A lit lamp: bright centre fading to its colour. */
        glow = cairo_pattern_create_radial(w / 2 - rad / 3, h / 2 - rad / 3, rad / 8, w / 2,
                                           h / 2, rad);
        cairo_pattern_add_color_stop_rgb(glow, 0, 1, 1, 0.9);
        cairo_pattern_add_color_stop_rgb(glow, 0.35, self->r, self->g, self->b);
        cairo_pattern_add_color_stop_rgb(glow, 1, self->r * 0.7, self->g * 0.7, self->b * 0.7);
        cairo_set_source(cr, glow);
        cairo_fill_preserve(cr);
        cairo_pattern_destroy(glow);
    } else {
        cairo_set_source_rgb(cr, self->r * 0.3 + 0.15, self->g * 0.3 + 0.15, self->b * 0.3 + 0.15);
        cairo_fill_preserve(cr);
    }
    cairo_set_source_rgb(cr, 0.2, 0.2, 0.2);
    cairo_set_line_width(cr, 2);
    cairo_stroke(cr);
    cairo_destroy(cr);
}

static void kv_meter_lamp_measure(GtkWidget *widget, GtkOrientation orientation, int for_size,
                                  int *minimum, int *natural, int *minimum_baseline,
                                  int *natural_baseline)
{
    *minimum = *natural = 36;
}

static void kv_meter_lamp_class_init(KvMeterLampClass *klass)
{
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    widget_class->snapshot = kv_meter_lamp_snapshot;
    widget_class->measure = kv_meter_lamp_measure;
    gtk_widget_class_set_accessible_role(widget_class, GTK_ACCESSIBLE_ROLE_IMG);
    gtk_widget_class_set_css_name(widget_class, "meterlamp");
}

static void kv_meter_lamp_init(KvMeterLamp *self)
{
}

GtkWidget *kv_meter_lamp_new(const char *name, guint32 rgb)
{
    KvMeterLamp *self = g_object_new(KV_TYPE_METER_LAMP, NULL);

    self->r = ((rgb >> 16) & 0xFF) / 255.0;
    self->g = ((rgb >> 8) & 0xFF) / 255.0;
    self->b = (rgb & 0xFF) / 255.0;
    gtk_widget_set_tooltip_text(GTK_WIDGET(self), name);
    gtk_accessible_update_property(GTK_ACCESSIBLE(self), GTK_ACCESSIBLE_PROPERTY_LABEL, name,
                                   GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, C_("lamp", "off"), -1);
    return GTK_WIDGET(self);
}

void kv_meter_lamp_set_on(KvMeterLamp *self, gboolean on)
{
    g_return_if_fail(KV_IS_METER_LAMP(self));
    on = !!on;
    if (on == self->on)
        return;
    self->on = on;
    gtk_accessible_update_property(GTK_ACCESSIBLE(self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                   on ? C_("lamp", "on") : C_("lamp", "off"), -1);
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

gboolean kv_meter_lamp_get_on(KvMeterLamp *self)
{
    g_return_val_if_fail(KV_IS_METER_LAMP(self), FALSE);
    return self->on;
}
