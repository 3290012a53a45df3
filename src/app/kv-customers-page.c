#define G_LOG_DOMAIN "kv-customers-page"

#include "config.h"

#include <glib/gi18n.h>

#include "kv-widget-util.h"

#include "kv-customers-page.h"

struct _KvCustomersPage {
    GtkWidget parent_instance;

    KvSession *session;
};

G_DEFINE_FINAL_TYPE(KvCustomersPage, kv_customers_page, GTK_TYPE_WIDGET)

static void kv_customers_page_dispose(GObject *object)
{
    KvCustomersPage *self = KV_CUSTOMERS_PAGE(object);

    gtk_widget_dispose_template(GTK_WIDGET(self), KV_TYPE_CUSTOMERS_PAGE);
    kv_widget_unparent_children(GTK_WIDGET(self));
    g_clear_object(&self->session);
    G_OBJECT_CLASS(kv_customers_page_parent_class)->dispose(object);
}

static void kv_customers_page_class_init(KvCustomersPageClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->dispose = kv_customers_page_dispose;

    gtk_widget_class_set_layout_manager_type(widget_class, GTK_TYPE_BIN_LAYOUT);
    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/org/kilovend/Station/kv-customers-page.ui");
}

static void kv_customers_page_init(KvCustomersPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}

void kv_customers_page_set_session(KvCustomersPage *self, KvSession *session)
{
    g_return_if_fail(KV_IS_CUSTOMERS_PAGE(self));
    g_set_object(&self->session, session);
}

void kv_customers_page_focus_search(KvCustomersPage *self)
{
    g_return_if_fail(KV_IS_CUSTOMERS_PAGE(self));
}
