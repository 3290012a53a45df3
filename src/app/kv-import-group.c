/* kv-import-group.c - CSV import of customers and meters (see
 * kv-import-group.h), on the session's worker. */
#define G_LOG_DOMAIN "kv-import-group"

#include "config.h"

#include <glib/gi18n.h>

#include "kv-import-group.h"
#include "kv-widget-util.h"

struct _KvImportGroup {
    AdwPreferencesGroup parent_instance;

    KvSession *session;
    gboolean busy;
    AdwComboRow *kind_row;
    GtkWidget *result_label;
    GtkListBox *rows;
};

G_DEFINE_FINAL_TYPE(KvImportGroup, kv_import_group, ADW_TYPE_PREFERENCES_GROUP)

static void update_actions(KvImportGroup *self)
{
    gboolean supervisor =
        self->session != NULL && kv_session_get_role(self->session) >= KV_ROLE_SUPERVISOR;

    gtk_widget_action_set_enabled(GTK_WIDGET(self), "import.choose", supervisor && !self->busy);
}

/* data: (meters, path) */
static gpointer import_in_worker(KvSession *session, KvStation *st, gpointer data,
                                 GCancellable *cancellable, GError **error)
{
    gboolean meters = FALSE;
    const char *path = NULL;

    g_variant_get(data, "(b&s)", &meters, &path);
    return kv_registry_import_csv(st, meters ? "meters" : "customers", path, NULL, NULL,
                                  cancellable, error);
}

static void on_import_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvImportGroup) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) rows = kv_session_run_finish(KV_SESSION(source), result, &error);
    g_autofree char *text = NULL;
    guint done = 0;

    self->busy = FALSE;
    update_actions(self);
    kv_list_box_remove_all(self->rows);
    if (rows == NULL) {
        g_autofree char *sentence = kv_sentence(error->message);
        text = g_strdup_printf(_("Nothing was imported. %s"), sentence);
        kv_widget_show_message(self->result_label, text, FALSE);
        gtk_widget_set_visible(GTK_WIDGET(self->rows), FALSE);
        return;
    }
    for (guint i = 0; i < rows->len; i++) {
        const KvImportRow *r = g_ptr_array_index(rows, i);
        g_autofree char *line = NULL;
        g_autofree char *message = NULL;

        if (r->ok) {
            done++;
            continue;
        }
        line = g_strdup_printf(_("Line %u"), r->line);
        message = kv_sentence(r->message);
        gtk_list_box_append(self->rows, kv_value_row_new(line, message, _("Refused")));
    }
    text = g_strdup_printf(_("%u of %u lines imported."), done, rows->len);
    kv_widget_show_message(self->result_label, text, done == rows->len);
    gtk_widget_set_visible(GTK_WIDGET(self->rows), done < rows->len);
}

void kv_import_group_import(KvImportGroup *self, gboolean meters, const char *path)
{
    GVariant *job;

    g_return_if_fail(KV_IS_IMPORT_GROUP(self));
    if (self->busy || self->session == NULL)
        return;
    job = g_variant_ref_sink(g_variant_new("(bs)", meters, path));
    self->busy = TRUE;
    update_actions(self);
    kv_widget_show_message(self->result_label, _("Importing…"), TRUE);
    kv_session_run_async(self->session, import_in_worker, job, (GDestroyNotify)g_variant_unref,
                         (GDestroyNotify)g_ptr_array_unref, NULL, on_import_done_cb,
                         g_object_ref(self));
}

static void on_file_chosen(GtkWidget *widget, const char *path)
{
    KvImportGroup *self = KV_IMPORT_GROUP(widget);

    kv_import_group_import(self, adw_combo_row_get_selected(self->kind_row) == 1, path);
}

static void kv_import_group_choose(GtkWidget *widget, const char *action_name, GVariant *param)
{
    kv_choose_file(widget, _("Choose the File to Import"), GTK_FILE_CHOOSER_ACTION_OPEN,
                   _("_Import"), TRUE, on_file_chosen);
}

static void on_role_cb(GObject *object, GParamSpec *pspec, KvImportGroup *self)
{
    update_actions(self);
    kv_list_box_remove_all(self->rows);
    gtk_widget_set_visible(GTK_WIDGET(self->rows), FALSE);
    kv_widget_show_message(self->result_label, NULL, TRUE);
}

static void kv_import_group_dispose(GObject *object)
{
    KvImportGroup *self = KV_IMPORT_GROUP(object);

    kv_widget_unfollow_session(self, &self->session);
    G_OBJECT_CLASS(kv_import_group_parent_class)->dispose(object);
}

static void kv_import_group_class_init(KvImportGroupClass *klass)
{
    G_OBJECT_CLASS(klass)->dispose = kv_import_group_dispose;
    gtk_widget_class_install_action(GTK_WIDGET_CLASS(klass), "import.choose", NULL,
                                    kv_import_group_choose);
}

static void kv_import_group_init(KvImportGroup *self)
{
    AdwPreferencesGroup *group = ADW_PREFERENCES_GROUP(self);
    const char *kinds[] = {_("Customers"), _("Meters"), NULL};

    kv_group_set_header(
        group, _("Import Customers and Meters"),
        _("A CSV file whose first line names the columns. Customers: account, name, address, "
          "phone, and optionally debt. Meters: number, account, model, phases, address, tariff, "
          "alarm, pretrip, hoarding, and optionally max_power. Each line is kept or refused on "
          "its own."),
        _("_Import…"), _("Import a CSV file"), "import.choose");
    self->kind_row = ADW_COMBO_ROW(adw_combo_row_new());
    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(self->kind_row), _("The file holds"));
    adw_combo_row_set_model(self->kind_row, G_LIST_MODEL(gtk_string_list_new(kinds)));
    gtk_accessible_update_property(GTK_ACCESSIBLE(self->kind_row), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   _("What the file holds"), -1);
    adw_preferences_group_add(group, GTK_WIDGET(self->kind_row));
    self->result_label = kv_group_add_message(group, _("Import result"), NULL, NULL);
    self->rows = kv_boxed_list_new(_("Lines refused"));
    gtk_widget_set_margin_top(GTK_WIDGET(self->rows), 6);
    gtk_widget_set_visible(GTK_WIDGET(self->rows), FALSE);
    adw_preferences_group_add(group, GTK_WIDGET(self->rows));
    update_actions(self);
}

void kv_import_group_set_session(KvImportGroup *self, KvSession *session)
{
    g_return_if_fail(KV_IS_IMPORT_GROUP(self));

    kv_widget_follow_session(self, &self->session, session, G_CALLBACK(on_role_cb));
}
