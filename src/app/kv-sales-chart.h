/* kv-sales-chart.h - a bar chart of sales per day or per month (cairo). */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define KV_TYPE_SALES_CHART (kv_sales_chart_get_type())
G_DECLARE_FINAL_TYPE(KvSalesChart, kv_sales_chart, KV, SALES_CHART, GtkWidget)

GtkWidget *kv_sales_chart_new(void);
/* n bars: labels[i] under bar i, values[i] in minor units (>= 0); digits of
 * the currency for the axis. */
void kv_sales_chart_set_data(KvSalesChart *self, const char *const *labels,
                             const gint64 *values, guint n, guint digits);
guint kv_sales_chart_get_n_bars(KvSalesChart *self);
gint64 kv_sales_chart_get_max(KvSalesChart *self);
/* Draw into any cairo context (the widget, a PDF page) in colour fg. */
void kv_sales_chart_render(KvSalesChart *self, cairo_t *cr, PangoLayout *layout, double width,
                           double height, const GdkRGBA *fg);

G_END_DECLS
