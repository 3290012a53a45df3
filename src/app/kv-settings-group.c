/* kv-settings-group.c - the station's settings (see kv-settings-group.h),
 * read and written on the session's worker.  Only the fields changed are
 * written, each checked by the core (a station number, for one, changes
 * only while the ledger has no card and no sale). */
#define G_LOG_DOMAIN "kv-settings-group"

#include "config.h"

#include <glib/gi18n.h>

#include "kv-settings-group.h"
#include "kv-widget-util.h"

/* The settings shown, in order: the core's key and the row's title. */
static const struct {
    const char *key;
    const char *title;
} fields[] = {
    {"utility_name", N_("Utility name")},
    {"currency", N_("Currency (3 letters)")},
    {"office_id", N_("Office number")},
    {"max_sale_amount", N_("Largest sale (money)")},
    {"max_sale_energy", N_("Largest sale (kWh)")},
    {"token_issuer", N_("Token issuer (0: none)")},
};
#define N_FIELDS G_N_ELEMENTS(fields)

struct _KvSettingsGroup {
    AdwPreferencesGroup parent_instance;

    KvSession *session;
    AdwEntryRow *rows[N_FIELDS];
    char *shown[N_FIELDS];  /* the values as read, to write only the changed ones */
    GtkWidget *gate_label;
    GtkWidget *result_label;
};

G_DEFINE_FINAL_TYPE(KvSettingsGroup, kv_settings_group, ADW_TYPE_PREFERENCES_GROUP)

static gboolean is_admin(KvSettingsGroup *self)
{
    return self->session != NULL && kv_session_get_role(self->session) >= KV_ROLE_ADMIN;
}

static void update_actions(KvSettingsGroup *self)
{
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "settings.save", is_admin(self));
    for (guint i = 0; i < N_FIELDS; i++)
        gtk_editable_set_editable(GTK_EDITABLE(self->rows[i]), is_admin(self));
    gtk_widget_set_visible(self->gate_label, !is_admin(self));
}

/* The settings as text, in the order of fields[]: a NULL-terminated strv. */
static gpointer read_in_worker(KvSession *session, KvStation *st, gpointer data,
                               GCancellable *cancellable, GError **error)
{
    const KvSettings *s = kv_station_settings(st);
    char **out = g_new0(char *, N_FIELDS + 1);

    out[0] = g_strdup(s->utility_name);
    out[1] = g_strdup(s->currency);
    out[2] = g_strdup_printf("%u", s->office_id);
    out[3] = kv_decimal_format(s->max_sale_amount, s->minor_digits);
    out[4] = kv_energy_format(s->max_sale_energy);
    out[5] = g_strdup_printf("%u", s->token_issuer);
    return out;
}

static void on_read_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvSettingsGroup) self = user_data;
    g_autoptr(GError) error = NULL;
    g_auto(GStrv) values = kv_session_run_finish(KV_SESSION(source), result, &error);

    if (values == NULL) {
        g_autofree char *sentence = kv_sentence(error->message);
        kv_widget_show_message(self->result_label, sentence, FALSE);
        return;
    }
    for (guint i = 0; i < N_FIELDS; i++) {
        g_free(self->shown[i]);
        self->shown[i] = g_strdup(values[i]);
        gtk_editable_set_text(GTK_EDITABLE(self->rows[i]), values[i]);
    }
}

void kv_settings_group_reload(KvSettingsGroup *self)
{
    g_return_if_fail(KV_IS_SETTINGS_GROUP(self));
    if (self->session == NULL || !kv_session_is_open(self->session))
        return;
    kv_session_run_async(self->session, read_in_worker, NULL, NULL, (GDestroyNotify)g_strfreev,
                         NULL, on_read_done_cb, g_object_ref(self));
}

/* key=value pairs to write, in order. */
static gpointer write_in_worker(KvSession *session, KvStation *st, gpointer data,
                                GCancellable *cancellable, GError **error)
{
    char **pairs = data;

    for (guint i = 0; pairs[i] != NULL && pairs[i + 1] != NULL; i += 2)
        if (!kv_station_set_setting(st, pairs[i], pairs[i + 1], error))
            return NULL;
    return GINT_TO_POINTER(1);
}

static void on_write_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvSettingsGroup) self = user_data;
    g_autoptr(GError) error = NULL;

    if (kv_session_run_finish(KV_SESSION(source), result, &error) == NULL) {
        g_autofree char *sentence = kv_sentence(error->message);
        g_autofree char *text = g_strdup_printf(_("The settings were not all saved. %s"),
                                                sentence);
        kv_widget_show_message(self->result_label, text, FALSE);
    } else {
        kv_widget_show_message(self->result_label, _("Settings saved."), TRUE);
    }
    kv_settings_group_reload(self);
}

static void kv_settings_group_save(GtkWidget *widget, const char *action_name, GVariant *param)
{
    KvSettingsGroup *self = KV_SETTINGS_GROUP(widget);
    GPtrArray *pairs = g_ptr_array_new();

    for (guint i = 0; i < N_FIELDS; i++) {
        g_autofree char *text =
            g_strstrip(g_strdup(gtk_editable_get_text(GTK_EDITABLE(self->rows[i]))));

        if (g_strcmp0(text, self->shown[i]) == 0)
            continue;
        /* A comma is a decimal mark here too. */
        g_strdelimit(text, ",", '.');
        g_ptr_array_add(pairs, g_strdup(fields[i].key));
        g_ptr_array_add(pairs, g_steal_pointer(&text));
    }
    g_ptr_array_add(pairs, NULL);
    if (pairs->len == 1) {
        g_ptr_array_free(pairs, TRUE);
        kv_widget_show_message(self->result_label, _("Nothing was changed."), TRUE);
        return;
    }
    kv_session_run_async(self->session, write_in_worker, g_ptr_array_free(pairs, FALSE),
                         (GDestroyNotify)g_strfreev, NULL, NULL, on_write_done_cb,
                         g_object_ref(self));
}

static void on_role_cb(GObject *object, GParamSpec *pspec, KvSettingsGroup *self)
{
    update_actions(self);
    kv_widget_show_message(self->result_label, NULL, TRUE);
    if (kv_session_get_signed_in(self->session))
        kv_settings_group_reload(self);
}

static void kv_settings_group_dispose(GObject *object)
{
    KvSettingsGroup *self = KV_SETTINGS_GROUP(object);

    kv_widget_unfollow_session(self, &self->session);
    for (guint i = 0; i < N_FIELDS; i++)
        g_clear_pointer(&self->shown[i], g_free);
    G_OBJECT_CLASS(kv_settings_group_parent_class)->dispose(object);
}

static void kv_settings_group_class_init(KvSettingsGroupClass *klass)
{
    G_OBJECT_CLASS(klass)->dispose = kv_settings_group_dispose;
    gtk_widget_class_install_action(GTK_WIDGET_CLASS(klass), "settings.save", NULL,
                                    kv_settings_group_save);
}

static void kv_settings_group_init(KvSettingsGroup *self)
{
    AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP(self);

    kv_group_set_header(
        group, _("Station Settings"),
        _("The utility’s name and currency on receipts and reports, the office, the largest "
          "sale a cashier may make, and the token issuer number."),
        _("Save _Settings"), _("Save station settings"), "settings.save");
    for (guint i = 0; i < N_FIELDS; i++) {
        GtkWidget *row = adw_entry_row_new();

        adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), _(fields[i].title));
        gtk_accessible_update_property(GTK_ACCESSIBLE(row), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       _(fields[i].title), -1);
        self->rows[i] = ADW_ENTRY_ROW(row);
        adw_preferences_group_add(group, row);
    }
    self->gate_label = kv_group_add_message(group, _("Why the settings cannot be changed"),
                                            "dim-label",
                                            _("Only an admin changes the station’s settings."));
    self->result_label = kv_group_add_message(group, _("Settings result"), NULL, NULL);
    update_actions(self);
}

void kv_settings_group_set_session(KvSettingsGroup *self, KvSession *session)
{
    g_return_if_fail(KV_IS_SETTINGS_GROUP(self));

    kv_widget_follow_session(self, &self->session, session, G_CALLBACK(on_role_cb));
    kv_settings_group_reload(self);
}
