/* kv-meter-lcd.c - the meter's segment LCD (see kv-meter-lcd.h). */
#define G_LOG_DOMAIN "kilovend-meter"

#include "kv-meter-lcd.h"

#include <glib/gi18n.h>

#include <string.h>

#include "meter_io.h"

struct _KvMeterLcd {
    GtkWidget parent_instance;
    char *text;
    guint icons;
    guint8 seg[KV_METER_LCD_CELLS];
    gboolean dp[KV_METER_LCD_CELLS];
    gboolean kwh;
};

G_DEFINE_TYPE(KvMeterLcd, kv_meter_lcd, GTK_TYPE_WIDGET)

/* Segment bits: a top, b upper right, c lower right, d bottom, e lower
 * left, f upper left, g middle. */
enum { SA = 1, SB = 2, SC = 4, SD = 8, SE = 16, SF = 32, SG = 64 };

guint8 kv_meter_lcd_segments(char c)
{
    static const guint8 digits[10] = {
        SA | SB | SC | SD | SE | SF, SB | SC, SA | SB | SD | SE | SG, SA | SB | SC | SD | SG,
        SB | SC | SF | SG, SA | SC | SD | SF | SG, SA | SC | SD | SE | SF | SG, SA | SB | SC,
        SA | SB | SC | SD | SE | SF | SG, SA | SB | SC | SD | SF | SG};

    if (c >= '0' && c <= '9')
        return digits[c - '0'];
    switch (c) {
    case 'A': case 'a': return SA | SB | SC | SE | SF | SG;
    case 'B': case 'b': return SC | SD | SE | SF | SG;
    case 'C': return SA | SD | SE | SF;
    case 'c': return SD | SE | SG;
    case 'D': case 'd': return SB | SC | SD | SE | SG;
    case 'E': case 'e': return SA | SD | SE | SF | SG;
    case 'F': case 'f': return SA | SE | SF | SG;
    case 'G': case 'g': return SA | SC | SD | SE | SF;
    case 'H': return SB | SC | SE | SF | SG;
    case 'h': return SC | SE | SF | SG;
    case 'I': return SE | SF;
    case 'i': return SE;
    case 'J': case 'j': return SB | SC | SD | SE;
    case 'L': case 'l': return SD | SE | SF;
    /* M has no seven-segment form; meters show it as an open frame. */
    case 'M': case 'm': return SA | SB | SC | SE | SF;
    case 'N': case 'n': return SC | SE | SG;
    case 'O': return SA | SB | SC | SD | SE | SF;
    case 'o': return SC | SD | SE | SG;
    case 'P': case 'p': return SA | SB | SE | SF | SG;
    case 'q': return SA | SB | SC | SF | SG;
    case 'R': case 'r': return SE | SG;
    case 'S': case 's': return SA | SC | SD | SF | SG;
    case 'T': case 't': return SD | SE | SF | SG;
    case 'U': return SB | SC | SD | SE | SF;
    case 'u': return SC | SD | SE;
    case 'Y': case 'y': return SB | SC | SD | SF | SG;
    case '-': return SG;
    case '_': return SD;
    default: return 0;
    }
}

/* Lays the text out on the cells, right-aligned as meters show numbers;
 * '.' lights the point of the cell before it, a trailing kWh the
 * annunciator. */
static void layout(KvMeterLcd *self)
{
    guint8 seg[64];
    gboolean dp[64];
    size_t n = 0, len = strlen(self->text);

    memset(self->seg, 0, sizeof self->seg);
    memset(self->dp, 0, sizeof self->dp);
    self->kwh = len >= 3 && strcmp(self->text + len - 3, "kWh") == 0;
    if (self->kwh)
        len -= 3;
    for (size_t i = 0; i < len && n < G_N_ELEMENTS(seg); i++) {
        if (self->text[i] == '.' && n > 0 && !dp[n - 1]) {
            dp[n - 1] = TRUE;
            continue;
        }
        seg[n] = kv_meter_lcd_segments(self->text[i]);
        dp[n] = self->text[i] == '.';
        n++;
    }
    /* More than the glass holds: the meter never sends that; keep the end. */
    for (size_t i = 0; i < n && i < KV_METER_LCD_CELLS; i++) {
        size_t from = n - 1 - i, to = KV_METER_LCD_CELLS - 1 - i;
        self->seg[to] = seg[from];
        self->dp[to] = dp[from];
    }
}

/* ---- drawing ------------------------------------------------------------ */

static void set_ink(cairo_t *cr, gboolean lit)
{
    if (lit)
        cairo_set_source_rgb(cr, 0.10, 0.13, 0.09);
    else
        cairo_set_source_rgba(cr, 0.10, 0.13, 0.09, 0.08);
}

/* One segment as a hexagon from (x0,y0) to (x1,y1), thickness t. */
static void segment(cairo_t *cr, double x0, double y0, double x1, double y1, double t, gboolean lit)
{
    double h = t / 2;
    gboolean horizontal = y0 == y1;

    if (horizontal) {
        cairo_move_to(cr, x0, y0);
        cairo_line_to(cr, x0 + h, y0 - h);
        cairo_line_to(cr, x1 - h, y1 - h);
        cairo_line_to(cr, x1, y1);
        cairo_line_to(cr, x1 - h, y1 + h);
        cairo_line_to(cr, x0 + h, y0 + h);
    } else {
        cairo_move_to(cr, x0, y0);
        cairo_line_to(cr, x0 + h, y0 + h);
        cairo_line_to(cr, x1 + h, y1 - h);
        cairo_line_to(cr, x1, y1);
        cairo_line_to(cr, x1 - h, y1 - h);
        cairo_line_to(cr, x0 - h, y0 + h);
    }
    cairo_close_path(cr);
    set_ink(cr, lit);
    cairo_fill(cr);
}

static void draw_cell(cairo_t *cr, double x, double y, double w, double h, guint8 s, gboolean dp)
{
    double t = w * 0.16, g = t * 0.18, mid = y + h / 2;
    /* A slight slant, as on the glass. */
    cairo_matrix_t slant;

    cairo_save(cr);
    cairo_matrix_init(&slant, 1, 0, -0.08, 1, 0.08 * mid, 0);
    cairo_transform(cr, &slant);
    segment(cr, x + g, y, x + w - g, y, t, s & SA);
    segment(cr, x + w, y + g, x + w, mid - g, t, s & SB);
    segment(cr, x + w, mid + g, x + w, y + h - g, t, s & SC);
    segment(cr, x + g, y + h, x + w - g, y + h, t, s & SD);
    segment(cr, x, mid + g, x, y + h - g, t, s & SE);
    segment(cr, x, y + g, x, mid - g, t, s & SF);
    segment(cr, x + g, mid, x + w - g, mid, t, s & SG);
    set_ink(cr, dp);
    cairo_arc(cr, x + w + t * 1.4, y + h, t * 0.6, 0, 2 * G_PI);
    cairo_fill(cr);
    cairo_restore(cr);
}

static void draw_label(cairo_t *cr, double x, double y, double size, const char *s, gboolean lit)
{
    cairo_select_font_face(cr, "Sans", CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, size);
    set_ink(cr, lit);
    cairo_move_to(cr, x, y);
    cairo_show_text(cr, s);
}

static void kv_meter_lcd_snapshot(GtkWidget *widget, GtkSnapshot *snapshot)
{
    KvMeterLcd *self = KV_METER_LCD(widget);
    double W = gtk_widget_get_width(widget), H = gtk_widget_get_height(widget);
    cairo_t *cr = gtk_snapshot_append_cairo(snapshot, &GRAPHENE_RECT_INIT(0, 0, W, H));
    /* Cells take the width left of the kWh annunciator. */
    double pad = H * 0.12, cell_h = H * 0.52, cell_w = cell_h * 0.5;
    double step = (W - 2 * pad - H * 0.9) / KV_METER_LCD_CELLS;
    static const struct {
        guint bit;
        const char *name;
    } icons[] = {{METER_ICON_RELAY_OPEN, "RELAY OPEN"}, {METER_ICON_TAMPER, "TAMPER"},
                 {METER_ICON_CARD, "CARD"}, {METER_ICON_LOCK, "LOCK"}};
    double ix = pad;

    if (cell_w > step * 0.72)
        cell_w = step * 0.72;
    /* the glass */
    cairo_set_source_rgb(cr, 0.66, 0.72, 0.58);
    cairo_new_sub_path(cr);
    cairo_arc(cr, W - 8, 8, 8, -G_PI / 2, 0);
    cairo_arc(cr, W - 8, H - 8, 8, 0, G_PI / 2);
    cairo_arc(cr, 8, H - 8, 8, G_PI / 2, G_PI);
    cairo_arc(cr, 8, 8, 8, G_PI, 3 * G_PI / 2);
    cairo_close_path(cr);
    cairo_fill(cr);

    for (int i = 0; i < KV_METER_LCD_CELLS; i++)
        draw_cell(cr, pad + i * step + (step - cell_w) / 2, pad, cell_w, cell_h, self->seg[i],
                  self->dp[i]);
    draw_label(cr, W - pad - H * 0.8, pad + cell_h, H * 0.22, "kWh", self->kwh);
    for (size_t i = 0; i < G_N_ELEMENTS(icons); i++) {
        cairo_text_extents_t ext;
        draw_label(cr, ix, H - pad * 0.9, H * 0.11, icons[i].name,
                   (self->icons & icons[i].bit) != 0);
        cairo_text_extents(cr, icons[i].name, &ext);
        ix += ext.x_advance + H * 0.2;
    }
    cairo_destroy(cr);
}

static void kv_meter_lcd_measure(GtkWidget *widget, GtkOrientation orientation, int for_size,
                                 int *minimum, int *natural, int *minimum_baseline,
                                 int *natural_baseline)
{
    if (orientation == GTK_ORIENTATION_HORIZONTAL) {
        *minimum = 320;
        *natural = 480;
    } else {
        *minimum = 90;
        *natural = 120;
    }
}

static void kv_meter_lcd_finalize(GObject *object)
{
    g_free(KV_METER_LCD(object)->text);
    G_OBJECT_CLASS(kv_meter_lcd_parent_class)->finalize(object);
}

static void kv_meter_lcd_class_init(KvMeterLcdClass *klass)
{
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    G_OBJECT_CLASS(klass)->finalize = kv_meter_lcd_finalize;
    widget_class->snapshot = kv_meter_lcd_snapshot;
    widget_class->measure = kv_meter_lcd_measure;
    gtk_widget_class_set_accessible_role(widget_class, GTK_ACCESSIBLE_ROLE_IMG);
    gtk_widget_class_set_css_name(widget_class, "meterlcd");
}

static void kv_meter_lcd_init(KvMeterLcd *self)
{
    self->text = g_strdup("");
    gtk_accessible_update_property(GTK_ACCESSIBLE(self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   _("Meter display"), -1);
}

GtkWidget *kv_meter_lcd_new(void)
{
    return g_object_new(KV_TYPE_METER_LCD, NULL);
}

void kv_meter_lcd_set(KvMeterLcd *self, const char *text, guint icons)
{
    g_return_if_fail(KV_IS_METER_LCD(self));
    if (g_strcmp0(text, self->text) == 0 && icons == self->icons)
        return;
    g_free(self->text);
    self->text = g_strdup(text ? text : "");
    self->icons = icons;
    layout(self);
    gtk_accessible_update_property(GTK_ACCESSIBLE(self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                   self->text, -1);
    gtk_widget_queue_draw(GTK_WIDGET(self));
}

const char *kv_meter_lcd_get_text(KvMeterLcd *self)
{
    g_return_val_if_fail(KV_IS_METER_LCD(self), "");
    return self->text;
}
