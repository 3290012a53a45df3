/* kv-admin-page.c - the station's administration.
 *
 * Receipt and printer settings are this station's GSettings; tariffs,
 * users, keys and backups are the core's and go through the session. */
#define G_LOG_DOMAIN "kv-admin-page"

#include "config.h"

#include <glib/gi18n.h>

#include "kv-widget-util.h"

#include "kv-admin-page.h"

struct _KvAdminPage {
    GtkWidget parent_instance;

    KvSession *session;
    GSettings *settings;

    /* Template children */
    GtkListBox *tariffs_list;
    GtkListBox *users_list;
    AdwComboRow *reader_row;
    GtkStringList *reader_model;
    GtkLabel *reader_status_label;
    AdwEntryRow *receipt_header_row;
    AdwEntryRow *receipt_footer_row;
    AdwEntryRow *printer_row;
    GtkSwitch *auto_print_switch;
    GtkSpinButton *copies_spin;
    GtkProgressBar *backup_progress;
    GtkButton *backup_cancel_button;
    GtkLabel *backup_status_label;
};

G_DEFINE_FINAL_TYPE(KvAdminPage, kv_admin_page, GTK_TYPE_WIDGET)

static void kv_admin_page_dispose(GObject *object)
{
    KvAdminPage *self = KV_ADMIN_PAGE(object);

    gtk_widget_dispose_template(GTK_WIDGET(self), KV_TYPE_ADMIN_PAGE);
    kv_widget_unparent_children(GTK_WIDGET(self));
    g_clear_object(&self->session);
    g_clear_object(&self->settings);
    G_OBJECT_CLASS(kv_admin_page_parent_class)->dispose(object);
}

static void kv_admin_page_class_init(KvAdminPageClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->dispose = kv_admin_page_dispose;

    gtk_widget_class_set_layout_manager_type(widget_class, GTK_TYPE_BIN_LAYOUT);
    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/org/kilovend/Station/kv-admin-page.ui");
    gtk_widget_class_bind_template_child(widget_class, KvAdminPage, tariffs_list);
    gtk_widget_class_bind_template_child(widget_class, KvAdminPage, users_list);
    gtk_widget_class_bind_template_child(widget_class, KvAdminPage, reader_row);
    gtk_widget_class_bind_template_child(widget_class, KvAdminPage, reader_model);
    gtk_widget_class_bind_template_child(widget_class, KvAdminPage, reader_status_label);
    gtk_widget_class_bind_template_child(widget_class, KvAdminPage, receipt_header_row);
    gtk_widget_class_bind_template_child(widget_class, KvAdminPage, receipt_footer_row);
    gtk_widget_class_bind_template_child(widget_class, KvAdminPage, printer_row);
    gtk_widget_class_bind_template_child(widget_class, KvAdminPage, auto_print_switch);
    gtk_widget_class_bind_template_child(widget_class, KvAdminPage, copies_spin);
    gtk_widget_class_bind_template_child(widget_class, KvAdminPage, backup_progress);
    gtk_widget_class_bind_template_child(widget_class, KvAdminPage, backup_cancel_button);
    gtk_widget_class_bind_template_child(widget_class, KvAdminPage, backup_status_label);
}

static void kv_admin_page_init(KvAdminPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}

void kv_admin_page_set_session(KvAdminPage *self, KvSession *session, GSettings *settings)
{
    g_return_if_fail(KV_IS_ADMIN_PAGE(self));

    g_set_object(&self->session, session);
    if (!g_set_object(&self->settings, settings) || settings == NULL)
        return;
    g_settings_bind(settings, "receipt-header", self->receipt_header_row, "text",
                    G_SETTINGS_BIND_DEFAULT);
    g_settings_bind(settings, "receipt-footer", self->receipt_footer_row, "text",
                    G_SETTINGS_BIND_DEFAULT);
    g_settings_bind(settings, "printer-name", self->printer_row, "text",
                    G_SETTINGS_BIND_DEFAULT);
    g_settings_bind(settings, "receipt-auto-print", self->auto_print_switch, "active",
                    G_SETTINGS_BIND_DEFAULT);
    g_settings_bind(settings, "receipt-copies", self->copies_spin, "value",
                    G_SETTINGS_BIND_DEFAULT);
}
