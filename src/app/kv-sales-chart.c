/* kv-sales-chart.c - sales as bars, drawn with cairo.
 *
 * Colours come from the widget's style, so the chart follows the light and
 * dark schemes; the axis shows a round maximum so the bars can be read. */
#define G_LOG_DOMAIN "kv-sales-chart"

#include "config.h"

#include <glib/gi18n.h>

#include "kv-money.h"
#include "kv-sales-chart.h"

struct _KvSalesChart {
    GtkWidget parent_instance;
    GPtrArray *labels;
    GArray *values;
    guint digits;
};

G_DEFINE_FINAL_TYPE(KvSalesChart, kv_sales_chart, GTK_TYPE_WIDGET)

#define MARGIN_LEFT 72.0
#define MARGIN_BOTTOM 28.0
#define MARGIN_TOP 12.0
#define MARGIN_RIGHT 12.0

/* The smallest 1, 2 or 5 times a power of ten at or above v. */
static gint64 round_up_nice(gint64 v)
{
    gint64 p = 1;

    if (v <= 0)
        return 1;
    while (p * 10 <= v && p < G_MAXINT64 / 10)
        p *= 10;
    if (v <= p)
        return p;
    if (v <= 2 * p)
        return 2 * p;
    if (v <= 5 * p)
        return 5 * p;
    return 10 * p;
}

static void draw_text(cairo_t *cr, PangoLayout *layout, const char *text, double x, double y,
                      double xalign)
{
    int w, h;

    pango_layout_set_text(layout, text, -1);
    pango_layout_get_pixel_size(layout, &w, &h);
    cairo_move_to(cr, x - xalign * w, y - h / 2.0);
    pango_cairo_show_layout(cr, layout);
}

/* Draw the chart into any cairo context: the widget, or a PDF page. */
void kv_sales_chart_render(KvSalesChart *self, cairo_t *cr, PangoLayout *layout, double width,
                           double height, const GdkRGBA *fg)
{
    double plot_w = width - MARGIN_LEFT - MARGIN_RIGHT;
    double plot_h = height - MARGIN_TOP - MARGIN_BOTTOM;
    const GdkRGBA accent = {0.21, 0.52, 0.89, 1.0};
    gint64 max = kv_sales_chart_get_max(self);
    guint n = self->values->len;

    if (plot_w < 20 || plot_h < 20)
        return;
    if (n == 0) {
        cairo_set_source_rgba(cr, fg->red, fg->green, fg->blue, 0.55);
        draw_text(cr, layout, _("No sales in this period"), width / 2, height / 2, 0.5);
        return;
    }

    /* Grid: 0, half and full scale. */
    cairo_set_line_width(cr, 1.0);
    for (int i = 0; i <= 2; i++) {
        double y = MARGIN_TOP + plot_h - plot_h * i / 2.0;
        g_autofree char *text = kv_decimal_format(max * i / 2, self->digits);

        cairo_set_source_rgba(cr, fg->red, fg->green, fg->blue, 0.15);
        cairo_move_to(cr, MARGIN_LEFT, (int)y + 0.5);
        cairo_line_to(cr, MARGIN_LEFT + plot_w, (int)y + 0.5);
        cairo_stroke(cr);
        cairo_set_source_rgba(cr, fg->red, fg->green, fg->blue, 0.7);
        draw_text(cr, layout, text, MARGIN_LEFT - 6, y, 1.0);
    }

    {
        double slot = plot_w / n;
        double bar = MAX(1.0, slot * 0.7);
        guint label_every = MAX(1u, (guint)(56.0 / slot) + 1);
        guint last_label = 0;

        for (guint i = 0; i < n; i++) {
            gint64 v = g_array_index(self->values, gint64, i);
            double h = plot_h * (double)v / (double)max;
            double x = MARGIN_LEFT + slot * i + (slot - bar) / 2;

            cairo_set_source_rgba(cr, accent.red, accent.green, accent.blue, 0.85);
            cairo_rectangle(cr, x, MARGIN_TOP + plot_h - h, bar, h);
            cairo_fill(cr);
            /* Every few bars, and the last one if there is room for it. */
            if (i % label_every == 0 || (i == n - 1 && i - last_label >= label_every)) {
                last_label = i;
                cairo_set_source_rgba(cr, fg->red, fg->green, fg->blue, 0.7);
                draw_text(cr, layout, g_ptr_array_index(self->labels, i), x + bar / 2,
                          MARGIN_TOP + plot_h + MARGIN_BOTTOM / 2, 0.5);
            }
        }
    }
}

static void kv_sales_chart_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
    KvSalesChart *self = KV_SALES_CHART(widget);
    double width = gtk_widget_get_width(widget), height = gtk_widget_get_height(widget);
    g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout(widget, NULL);
    GdkRGBA fg;
    cairo_t *cr;

    /* On GTK 4.8 the foreground colour comes from the style context. */
    gtk_style_context_get_color(gtk_widget_get_style_context(widget), &fg);
    cr = gtk_snapshot_append_cairo(snapshot, &GRAPHENE_RECT_INIT(0, 0, width, height));
    kv_sales_chart_render(self, cr, layout, width, height, &fg);
    cairo_destroy(cr);
}

static void kv_sales_chart_measure(GtkWidget *widget, GtkOrientation orientation, int for_size,
                                   int *minimum, int *natural, int *minimum_baseline,
                                   int *natural_baseline)
{
    *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 200 : 120;
    *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 600 : 260;
}

static void kv_sales_chart_finalize(GObject *object)
{
    KvSalesChart *self = KV_SALES_CHART(object);

    g_clear_pointer(&self->labels, g_ptr_array_unref);
    g_clear_pointer(&self->values, g_array_unref);
    G_OBJECT_CLASS(kv_sales_chart_parent_class)->finalize(object);
}

static void kv_sales_chart_class_init(KvSalesChartClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->finalize = kv_sales_chart_finalize;
    widget_class->snapshot = kv_sales_chart_snapshot;
    widget_class->measure = kv_sales_chart_measure;
    gtk_widget_class_set_css_name(widget_class, "salechart");
    gtk_widget_class_set_accessible_role(widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void kv_sales_chart_init(KvSalesChart *self)
{
    self->labels = g_ptr_array_new_with_free_func(g_free);
    self->values = g_array_new(FALSE, FALSE, sizeof(gint64));
    self->digits = 2;
    gtk_accessible_update_property(GTK_ACCESSIBLE(self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   _("Sales chart"), -1);
}

GtkWidget *kv_sales_chart_new(void)
{
    return g_object_new(KV_TYPE_SALES_CHART, NULL);
}

void kv_sales_chart_set_data(KvSalesChart *self, const char *const *labels,
                             const gint64 *values, guint n, guint digits)
{
    g_autoptr(GString) description = g_string_new(NULL);

    g_return_if_fail(KV_IS_SALES_CHART(self));
    g_return_if_fail(n == 0 || (labels != NULL && values != NULL));

    g_ptr_array_set_size(self->labels, 0);
    g_array_set_size(self->values, 0);
    self->digits = digits;
    for (guint i = 0; i < n; i++) {
        gint64 v = MAX(values[i], 0);
        g_autofree char *text = kv_decimal_format(v, digits);

        g_ptr_array_add(self->labels, g_strdup(labels[i]));
        g_array_append_val(self->values, v);
        g_string_append_printf(description, "%s%s: %s", i ? "; " : "", labels[i], text);
    }
    /* A screen reader gets the figures the bars show. */
    gtk_accessible_update_property(GTK_ACCESSIBLE(self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                   description->str, -1);
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

guint kv_sales_chart_get_n_bars(KvSalesChart *self)
{
    g_return_val_if_fail(KV_IS_SALES_CHART(self), 0);
    return self->values->len;
}

/* The top of the axis: the largest bar rounded up to a readable value. */
gint64 kv_sales_chart_get_max(KvSalesChart *self)
{
    gint64 max = 0;

    g_return_val_if_fail(KV_IS_SALES_CHART(self), 0);
    for (guint i = 0; i < self->values->len; i++)
        max = MAX(max, g_array_index(self->values, gint64, i));
    return round_up_nice(max);
}
