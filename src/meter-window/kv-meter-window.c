/* kv-meter-window.c - the meter beside the station (see kv-meter-window.h). */
#define G_LOG_DOMAIN "kilovend-meter"

#include "kv-meter-window.h"

#include <glib/gi18n.h>

#include "kv-meter-lamp.h"
#include "kv-meter-lcd.h"

#define LOG_ROWS 300

struct _KvMeterWindow {
    AdwApplicationWindow parent_instance;

    KvMeterModel *model;
    AdwToastOverlay *toasts;
    AdwWindowTitle *title;
    KvMeterLcd *lcd;
    KvMeterLamp *red;
    KvMeterLamp *yellow;
    GtkLabel *relay;
    GtkLabel *remaining;
    GtkLabel *energy;
    GtkLabel *power;
    GtkLabel *clock;
    GtkLabel *card_place;
    GtkButton *card_button;
    GtkButton *press_button;
    GtkSpinButton *load[3];
    GtkDropDown *speed;
    GtkSwitch *welded;
    GtkListBox *log;
    guint log_rows;
};

G_DEFINE_TYPE(KvMeterWindow, kv_meter_window, ADW_TYPE_APPLICATION_WINDOW)

const guint kv_meter_window_speeds[] = {0, 1, 60, 600, 3600};
const guint kv_meter_window_n_speeds = G_N_ELEMENTS(kv_meter_window_speeds);
static const char *const speed_names[] = {N_("Stopped"), N_("Real time"),
                                          N_("1 minute per second"), N_("10 minutes per second"),
                                          N_("1 hour per second")};

/* ---- helpers ------------------------------------------------------------ */

static void set_label_printf(GtkLabel *label, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void set_label_printf(GtkLabel *label, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *s = NULL;

    va_start(ap, fmt);
    s = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    gtk_label_set_text(label, s);
}

/* A reading in 0.01 kWh with the locale's decimal mark, as the spin
 * buttons show theirs (the display keeps the meter's own). */
static char *format_kwh(gint64 centi)
{
    g_autofree char *n = kv_meter_format_decimal(centi, 2);
    return g_strdup_printf("%s kWh", n);
}

/* Everything shown follows the model. */
static void refresh(KvMeterWindow *self)
{
    KvMeterModel *m = self->model;
    g_autofree char *remaining = format_kwh(kv_meter_model_get_remaining(m));
    g_autofree char *energy = format_kwh(kv_meter_model_get_total_energy(m));
    g_autofree char *kw = NULL;
    g_autofree char *hours = NULL;
    guint32 w = kv_meter_model_get_power(m);
    guint64 s = kv_meter_model_get_clock(m);
    gboolean closed = kv_meter_model_get_relay_closed(m);
    KvCardPlace place = kv_meter_model_get_card_place(m);
    const char *supply = kv_meter_supply_words(kv_meter_model_get_supply(m));

    kv_meter_lcd_set(self->lcd, kv_meter_model_get_text(m), kv_meter_model_get_icons(m));
    kv_meter_lamp_set_on(self->red, kv_meter_model_get_red(m));
    kv_meter_lamp_set_on(self->yellow, kv_meter_model_get_yellow(m));
    if (closed)
        set_label_printf(self->relay, _("Relay closed (%s)"), supply);
    else
        set_label_printf(self->relay, _("Relay open (%s)"), supply);
    gtk_widget_remove_css_class(GTK_WIDGET(self->relay), closed ? "error" : "success");
    gtk_widget_add_css_class(GTK_WIDGET(self->relay), closed ? "success" : "error");
    set_label_printf(self->remaining, "%s", remaining);
    set_label_printf(self->energy, "%s", energy);
    kw = kv_meter_format_decimal(w, 3);
    set_label_printf(self->power, _("%s kW"), kw);
    hours = g_strdup_printf("%" G_GUINT64_FORMAT, s / 3600);
    set_label_printf(self->clock, _("%s h %02u min"), hours,
                     (unsigned)(s / 60 % 60));

    switch (place) {
    case KV_CARD_AT_STATION:
        gtk_label_set_text(self->card_place, _("Card at the station"));
        gtk_button_set_label(self->card_button, _("Insert card"));
        gtk_widget_set_sensitive(GTK_WIDGET(self->card_button), TRUE);
        gtk_accessible_update_property(GTK_ACCESSIBLE(self->card_button),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, _("Insert card"), -1);
        break;
    case KV_CARD_MOVING:
        gtk_label_set_text(self->card_place, _("Card on its way to the meter"));
        gtk_widget_set_sensitive(GTK_WIDGET(self->card_button), FALSE);
        break;
    case KV_CARD_IN_METER:
        gtk_label_set_text(self->card_place, _("Card in the meter"));
        gtk_button_set_label(self->card_button, _("Take card out"));
        gtk_widget_set_sensitive(GTK_WIDGET(self->card_button), TRUE);
        gtk_accessible_update_property(GTK_ACCESSIBLE(self->card_button),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, _("Take card out"), -1);
        break;
    }
}

static void toast(KvMeterWindow *self, const char *text)
{
    AdwToast *t = adw_toast_new(text);

    adw_toast_set_timeout(t, 4);
    adw_toast_overlay_add_toast(self->toasts, t);
}

/* ---- callbacks ---------------------------------------------------------- */

static void on_changed_cb(KvMeterModel *model, KvMeterWindow *self)
{
    refresh(self);
}

static void on_card_result_cb(KvMeterModel *model, int code, const char *text, KvMeterWindow *self)
{
    toast(self, text);
}

static void on_log_cb(KvMeterModel *model, const char *line, KvMeterWindow *self)
{
    GtkWidget *label = gtk_label_new(line);

    gtk_label_set_xalign(GTK_LABEL(label), 0);
    gtk_label_set_wrap(GTK_LABEL(label), TRUE);
    gtk_widget_add_css_class(label, "monospace");
    gtk_list_box_prepend(self->log, label);
    if (++self->log_rows > LOG_ROWS) {
        GtkListBoxRow *last = gtk_list_box_get_row_at_index(self->log, LOG_ROWS);
        if (last)
            gtk_list_box_remove(self->log, GTK_WIDGET(last));
        self->log_rows--;
    }
}

static void on_card_clicked_cb(GtkButton *button, KvMeterWindow *self)
{
    g_autoptr(GError) error = NULL;
    gboolean ok;

    if (kv_meter_model_get_card_place(self->model) == KV_CARD_IN_METER)
        ok = kv_meter_model_remove_card(self->model, &error);
    else
        ok = kv_meter_model_insert_card(self->model, &error);
    if (!ok)
        toast(self, error->message);
    refresh(self);
}

static void on_press_clicked_cb(GtkButton *button, KvMeterWindow *self)
{
    kv_meter_model_press_button(self->model);
}

static void on_hold_clicked_cb(GtkButton *button, KvMeterWindow *self)
{
    if (kv_meter_model_hold_button(self->model))
        toast(self, _("Emergency credit taken: the relay closes; the next load repays it first"));
    else
        toast(self, _("No emergency credit: none set by a parameter card, not cut off, or "
                      "taken and not yet repaid"));
}

static void on_load_changed_cb(GtkSpinButton *spin, KvMeterWindow *self)
{
    for (guint p = 0; p < 3; p++) {
        if (spin == self->load[p]) {
            /* kW with one decimal from the spin button, as whole watts. */
            double kw = gtk_spin_button_get_value(spin);
            kv_meter_model_set_load(self->model, p, (gint32)(kw * 1000.0 + (kw < 0 ? -0.5 : 0.5)));
        }
    }
}

static void on_speed_selected_cb(GtkDropDown *dd, GParamSpec *pspec, KvMeterWindow *self)
{
    guint i = gtk_drop_down_get_selected(dd);

    if (i < kv_meter_window_n_speeds)
        kv_meter_model_set_speed(self->model, kv_meter_window_speeds[i]);
}

static void on_welded_active_cb(GtkSwitch *sw, GParamSpec *pspec, KvMeterWindow *self)
{
    if (gtk_switch_get_active(sw) != kv_meter_model_get_relay_welded(self->model))
        kv_meter_model_set_relay_welded(self->model, gtk_switch_get_active(sw));
}

/* ---- construction ------------------------------------------------------- */

static void set_label(GtkWidget *w, const char *label)
{
    gtk_accessible_update_property(GTK_ACCESSIBLE(w), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
}

/* A title on the left, a value widget on the right. */
static GtkWidget *row(const char *title, GtkWidget *value)
{
    GtkWidget *r = adw_action_row_new();

    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(r), title);
    gtk_widget_set_valign(value, GTK_ALIGN_CENTER);
    adw_action_row_add_suffix(ADW_ACTION_ROW(r), value);
    return r;
}

/* A reading: its row's title names it for a screen reader, which then
 * reads the value itself; the widget name is for tests and CSS. */
static GtkLabel *value_label(const char *name)
{
    GtkWidget *l = gtk_label_new("");

    gtk_widget_add_css_class(l, "numeric");
    gtk_widget_set_name(l, name);
    return GTK_LABEL(l);
}

static GtkWidget *build_face(KvMeterWindow *self)
{
    GtkWidget *face = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
    GtkWidget *lamps = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12), *hold;
    GtkWidget *red_box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
    GtkWidget *yellow_box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 4);
    GtkWidget *spacer = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 0);
    GtkWidget *caption;

    gtk_widget_add_css_class(face, "card");
    gtk_widget_add_css_class(face, "meter-face");
    self->lcd = KV_METER_LCD(kv_meter_lcd_new());
    gtk_widget_set_size_request(GTK_WIDGET(self->lcd), -1, 110);
    gtk_box_append(GTK_BOX(face), GTK_WIDGET(self->lcd));

    self->red = KV_METER_LAMP(kv_meter_lamp_new(_("Red lamp"), 0xE01B24));
    self->yellow = KV_METER_LAMP(kv_meter_lamp_new(_("Yellow lamp"), 0xF6D32D));
    gtk_box_append(GTK_BOX(red_box), GTK_WIDGET(self->red));
    caption = gtk_label_new(_("Alarm"));
    gtk_widget_add_css_class(caption, "caption");
    gtk_box_append(GTK_BOX(red_box), caption);
    gtk_box_append(GTK_BOX(yellow_box), GTK_WIDGET(self->yellow));
    caption = gtk_label_new(_("Trip"));
    gtk_widget_add_css_class(caption, "caption");
    gtk_box_append(GTK_BOX(yellow_box), caption);
    gtk_box_append(GTK_BOX(lamps), red_box);
    gtk_box_append(GTK_BOX(lamps), yellow_box);

    self->relay = GTK_LABEL(gtk_label_new(""));
    gtk_widget_add_css_class(GTK_WIDGET(self->relay), "heading");
    gtk_widget_set_name(GTK_WIDGET(self->relay), "relay");
    gtk_widget_set_valign(GTK_WIDGET(self->relay), GTK_ALIGN_CENTER);
    gtk_box_append(GTK_BOX(lamps), GTK_WIDGET(self->relay));
    gtk_widget_set_hexpand(spacer, TRUE);
    gtk_box_append(GTK_BOX(lamps), spacer);

    self->press_button = GTK_BUTTON(gtk_button_new_with_mnemonic(_("_Press button")));
    set_label(GTK_WIDGET(self->press_button), _("Press button"));
    gtk_widget_set_tooltip_text(GTK_WIDGET(self->press_button),
                                _("The meter's push button: next display page"));
    gtk_widget_set_valign(GTK_WIDGET(self->press_button), GTK_ALIGN_CENTER);
    g_signal_connect(self->press_button, "clicked", G_CALLBACK(on_press_clicked_cb), self);
    gtk_box_append(GTK_BOX(lamps), GTK_WIDGET(self->press_button));
    hold = gtk_button_new_with_mnemonic(_("_Hold button"));
    set_label(hold, _("Hold button"));
    gtk_widget_set_tooltip_text(hold, _("The push button held 3 s: at a cut-off, takes the "
                                        "emergency credit once"));
    gtk_widget_set_valign(hold, GTK_ALIGN_CENTER);
    g_signal_connect(hold, "clicked", G_CALLBACK(on_hold_clicked_cb), self);
    gtk_box_append(GTK_BOX(lamps), hold);
    gtk_box_append(GTK_BOX(face), lamps);
    return face;
}

static GtkWidget *build_card(KvMeterWindow *self)
{
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_HORIZONTAL, 12);

    self->card_place = GTK_LABEL(gtk_label_new(""));
    gtk_widget_set_name(GTK_WIDGET(self->card_place), "card-place");
    gtk_widget_set_hexpand(GTK_WIDGET(self->card_place), TRUE);
    gtk_label_set_xalign(self->card_place, 0);
    self->card_button = GTK_BUTTON(gtk_button_new_with_label(_("Insert card")));
    gtk_widget_add_css_class(GTK_WIDGET(self->card_button), "suggested-action");
    gtk_widget_add_css_class(GTK_WIDGET(self->card_button), "pill");
    set_label(GTK_WIDGET(self->card_button), _("Insert card"));
    gtk_widget_set_tooltip_text(GTK_WIDGET(self->card_button),
                                _("Move the card between the station's reader and the meter"));
    g_signal_connect(self->card_button, "clicked", G_CALLBACK(on_card_clicked_cb), self);
    gtk_box_append(GTK_BOX(box), GTK_WIDGET(self->card_place));
    gtk_box_append(GTK_BOX(box), GTK_WIDGET(self->card_button));
    return box;
}

static GtkWidget *build_readings(KvMeterWindow *self)
{
    GtkWidget *group = adw_preferences_group_new();

    adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(group), _("Readings"));
    self->remaining = value_label("remaining");
    self->energy = value_label("energy");
    self->power = value_label("power");
    self->clock = value_label("clock");
    adw_preferences_group_add(ADW_PREFERENCES_GROUP(group),
                              row(_("Remaining credit"), GTK_WIDGET(self->remaining)));
    adw_preferences_group_add(ADW_PREFERENCES_GROUP(group),
                              row(_("Total energy"), GTK_WIDGET(self->energy)));
    adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), row(_("Power"), GTK_WIDGET(self->power)));
    adw_preferences_group_add(ADW_PREFERENCES_GROUP(group),
                              row(_("Meter clock"), GTK_WIDGET(self->clock)));
    return group;
}

static GtkWidget *build_controls(KvMeterWindow *self)
{
    GtkWidget *group = adw_preferences_group_new();
    static const char *const names[3] = {N_("Load L1 (kW)"), N_("Load L2 (kW)"),
                                         N_("Load L3 (kW)")};
    const char *speeds[G_N_ELEMENTS(speed_names) + 1] = {NULL};
    guint speed = kv_meter_model_get_speed(self->model), selected = GTK_INVALID_LIST_POSITION;

    adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(group), _("Load and time"));
    for (guint p = 0; p < 3; p++) {
        self->load[p] = GTK_SPIN_BUTTON(gtk_spin_button_new_with_range(0, 30, 0.1));
        gtk_spin_button_set_digits(self->load[p], 1);
        gtk_spin_button_set_value(self->load[p], kv_meter_model_get_load(self->model, p) / 1000.0);
        set_label(GTK_WIDGET(self->load[p]), _(names[p]));
        g_signal_connect(self->load[p], "value-changed", G_CALLBACK(on_load_changed_cb), self);
        adw_preferences_group_add(ADW_PREFERENCES_GROUP(group),
                                  row(_(names[p]), GTK_WIDGET(self->load[p])));
    }

    for (guint i = 0; i < G_N_ELEMENTS(speed_names); i++)
        speeds[i] = _(speed_names[i]);
    self->speed = GTK_DROP_DOWN(gtk_drop_down_new_from_strings(speeds));
    for (guint i = 0; i < kv_meter_window_n_speeds; i++)
        if (kv_meter_window_speeds[i] == speed)
            selected = i;
    if (selected != GTK_INVALID_LIST_POSITION)
        gtk_drop_down_set_selected(self->speed, selected);
    set_label(GTK_WIDGET(self->speed), _("Time speed"));
    g_signal_connect(self->speed, "notify::selected", G_CALLBACK(on_speed_selected_cb), self);
    adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), row(_("Time"), GTK_WIDGET(self->speed)));

    self->welded = GTK_SWITCH(gtk_switch_new());
    gtk_switch_set_active(self->welded, kv_meter_model_get_relay_welded(self->model));
    set_label(GTK_WIDGET(self->welded), _("Relay contacts welded"));
    g_signal_connect(self->welded, "notify::active", G_CALLBACK(on_welded_active_cb), self);
    adw_preferences_group_add(ADW_PREFERENCES_GROUP(group),
                              row(_("Relay contacts welded (fault)"), GTK_WIDGET(self->welded)));
    return group;
}

static GtkWidget *build_log(KvMeterWindow *self)
{
    GtkWidget *group = adw_preferences_group_new();
    GtkWidget *scroll = gtk_scrolled_window_new();

    adw_preferences_group_set_title(ADW_PREFERENCES_GROUP(group), _("Event log"));
    self->log = GTK_LIST_BOX(gtk_list_box_new());
    gtk_list_box_set_selection_mode(self->log, GTK_SELECTION_NONE);
    gtk_widget_add_css_class(GTK_WIDGET(self->log), "boxed-list");
    set_label(GTK_WIDGET(self->log), _("Event log"));
    gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), GTK_WIDGET(self->log));
    gtk_scrolled_window_set_min_content_height(GTK_SCROLLED_WINDOW(scroll), 160);
    gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scroll), GTK_POLICY_NEVER,
                                   GTK_POLICY_AUTOMATIC);
    gtk_widget_set_vexpand(scroll, TRUE);
    adw_preferences_group_add(ADW_PREFERENCES_GROUP(group), scroll);
    return group;
}

static void kv_meter_window_dispose(GObject *object)
{
    KvMeterWindow *self = KV_METER_WINDOW(object);

    if (self->model)
        g_signal_handlers_disconnect_by_data(self->model, self);
    g_clear_object(&self->model);
    G_OBJECT_CLASS(kv_meter_window_parent_class)->dispose(object);
}

static void kv_meter_window_class_init(KvMeterWindowClass *klass)
{
    G_OBJECT_CLASS(klass)->dispose = kv_meter_window_dispose;
}

static void kv_meter_window_init(KvMeterWindow *self)
{
}

KvMeterWindow *kv_meter_window_new(GtkApplication *app, KvMeterModel *model)
{
    KvMeterWindow *self = g_object_new(KV_TYPE_METER_WINDOW, "application", app, NULL);
    GtkWidget *outer = gtk_box_new(GTK_ORIENTATION_VERTICAL, 0);
    GtkWidget *header = adw_header_bar_new();
    GtkWidget *scroll = gtk_scrolled_window_new();
    GtkWidget *clamp = adw_clamp_new();
    GtkWidget *columns = gtk_box_new(GTK_ORIENTATION_VERTICAL, 18);

    self->model = g_object_ref(model);
    gtk_window_set_title(GTK_WINDOW(self), _("Kilovend meter"));
    gtk_window_set_default_size(GTK_WINDOW(self), 560, 900);

    if (kv_meter_model_get_provisioned(model)) {
        g_autofree char *sub = g_strdup_printf(_("Meter %09u"), kv_meter_model_get_meter_number(model));
        self->title = ADW_WINDOW_TITLE(adw_window_title_new(_("Kilovend meter"), sub));
    } else {
        self->title = ADW_WINDOW_TITLE(adw_window_title_new(_("Kilovend meter"), _("Not provisioned")));
    }
    adw_header_bar_set_title_widget(ADW_HEADER_BAR(header), GTK_WIDGET(self->title));
    gtk_box_append(GTK_BOX(outer), header);

    gtk_widget_set_margin_top(columns, 12);
    gtk_widget_set_margin_bottom(columns, 12);
    gtk_widget_set_margin_start(columns, 12);
    gtk_widget_set_margin_end(columns, 12);
    gtk_box_append(GTK_BOX(columns), build_face(self));
    gtk_box_append(GTK_BOX(columns), build_card(self));
    gtk_box_append(GTK_BOX(columns), build_readings(self));
    gtk_box_append(GTK_BOX(columns), build_controls(self));
    gtk_box_append(GTK_BOX(columns), build_log(self));
    adw_clamp_set_child(ADW_CLAMP(clamp), columns);
    adw_clamp_set_maximum_size(ADW_CLAMP(clamp), 640);
    gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), clamp);
    gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scroll), GTK_POLICY_NEVER,
                                   GTK_POLICY_AUTOMATIC);
    gtk_widget_set_vexpand(scroll, TRUE);

    self->toasts = ADW_TOAST_OVERLAY(adw_toast_overlay_new());
    adw_toast_overlay_set_child(self->toasts, scroll);
    gtk_box_append(GTK_BOX(outer), GTK_WIDGET(self->toasts));
    adw_application_window_set_content(ADW_APPLICATION_WINDOW(self), outer);

    g_signal_connect(model, "changed", G_CALLBACK(on_changed_cb), self);
    g_signal_connect(model, "card-result", G_CALLBACK(on_card_result_cb), self);
    g_signal_connect(model, "log", G_CALLBACK(on_log_cb), self);
    refresh(self);
    return self;
}

KvMeterModel *kv_meter_window_get_model(KvMeterWindow *self)
{
    g_return_val_if_fail(KV_IS_METER_WINDOW(self), NULL);
    return self->model;
}
