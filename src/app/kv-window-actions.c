/* kv-window-actions.c - the window's actions and their shortcuts.
 *
 * Every window action is installed here, its shortcut next to it, and
 * enabled or disabled in one place: _kv_window_actions_update(). */
#define G_LOG_DOMAIN "kv-window-actions"

#include "config.h"

#include <glib/gi18n.h>

#include "kv-demo.h"
#include "kv-window-private.h"

static gboolean in_station(KvWindow *self)
{
    return g_strcmp0(gtk_stack_get_visible_child_name(self->main_stack), "station") == 0;
}

static void kv_window_actions_page(GtkWidget *widget, const char *action_name, GVariant *param)
{
    KvWindow *self = KV_WINDOW(widget);

    kv_window_show_page(self, g_variant_get_string(param, NULL));
}

static void kv_window_actions_find_customer(GtkWidget *widget, const char *action_name,
                                            GVariant *param)
{
    KvWindow *self = KV_WINDOW(widget);

    kv_window_show_page(self, "customers");
    kv_customers_page_focus_search(self->customers_page);
}

static void kv_window_actions_sign_out(GtkWidget *widget, const char *action_name,
                                       GVariant *param)
{
    KvWindow *self = KV_WINDOW(widget);

    kv_signin_page_sign_out(self->signin_page);
}

static void kv_window_actions_close_shift(GtkWidget *widget, const char *action_name,
                                          GVariant *param)
{
    KvWindow *self = KV_WINDOW(widget);

    kv_signin_page_close_shift(self->signin_page, GTK_WINDOW(self));
}

static void kv_window_actions_without_shift(GtkWidget *widget, const char *action_name,
                                            GVariant *param)
{
    _kv_window_continue_without_shift(KV_WINDOW(widget));
}

static void kv_window_actions_demo_card(GtkWidget *widget, const char *action_name,
                                        GVariant *param)
{
    KvWindow *self = KV_WINDOW(widget);
    g_autoptr(GError) error = NULL;

    if (!kv_demo_insert_card(g_variant_get_uint32(param), &error))
        kv_window_add_toast(self, error->message);
}

void _kv_window_class_actions_init(KvWindowClass *klass)
{
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
    static const char *const pages[] = {"sell", "customers", "cards", "reports", "admin",
                                         "technician"};

    gtk_widget_class_install_action(widget_class, "win.page", "s", kv_window_actions_page);
    for (guint i = 0; i < G_N_ELEMENTS(pages); i++)
        gtk_widget_class_add_binding_action(widget_class, GDK_KEY_1 + i, GDK_ALT_MASK,
                                            "win.page", "s", pages[i]);

    gtk_widget_class_install_action(widget_class, "win.find-customer", NULL,
                                    kv_window_actions_find_customer);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_f, GDK_CONTROL_MASK,
                                        "win.find-customer", NULL);

    gtk_widget_class_install_action(widget_class, "win.sign-out", NULL,
                                    kv_window_actions_sign_out);
    gtk_widget_class_add_binding_action(widget_class, GDK_KEY_l,
                                        GDK_CONTROL_MASK | GDK_SHIFT_MASK, "win.sign-out", NULL);

    gtk_widget_class_install_action(widget_class, "win.close-shift", NULL,
                                    kv_window_actions_close_shift);

    gtk_widget_class_install_action(widget_class, "win.without-shift", NULL,
                                    kv_window_actions_without_shift);

    gtk_widget_class_install_action(widget_class, "win.demo-card", "u",
                                    kv_window_actions_demo_card);
}

void _kv_window_actions_update(KvWindow *self)
{
    gboolean station = in_station(self);

    gtk_widget_action_set_enabled(GTK_WIDGET(self), "win.page", station);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "win.find-customer", station);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "win.sign-out",
                                  kv_session_get_signed_in(self->session));
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "win.close-shift",
                                  station && kv_session_get_shift_open(self->session));
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "win.without-shift",
                                  kv_session_get_role(self->session) >= KV_ROLE_SUPERVISOR);
}
