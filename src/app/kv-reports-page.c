#define G_LOG_DOMAIN "kv-reports-page"

#include "config.h"

#include <glib/gi18n.h>

#include "kv-widget-util.h"

#include "kv-reports-page.h"
#include "kv-sales-chart.h"

struct _KvReportsPage {
    GtkWidget parent_instance;

    KvSession *session;
};

G_DEFINE_FINAL_TYPE(KvReportsPage, kv_reports_page, GTK_TYPE_WIDGET)

static void kv_reports_page_dispose(GObject *object)
{
    KvReportsPage *self = KV_REPORTS_PAGE(object);

    gtk_widget_dispose_template(GTK_WIDGET(self), KV_TYPE_REPORTS_PAGE);
    kv_widget_unparent_children(GTK_WIDGET(self));
    g_clear_object(&self->session);
    G_OBJECT_CLASS(kv_reports_page_parent_class)->dispose(object);
}

static void kv_reports_page_class_init(KvReportsPageClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->dispose = kv_reports_page_dispose;

    g_type_ensure(KV_TYPE_SALES_CHART);
    gtk_widget_class_set_layout_manager_type(widget_class, GTK_TYPE_BIN_LAYOUT);
    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/org/kilovend/Station/kv-reports-page.ui");
}

static void kv_reports_page_init(KvReportsPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}

void kv_reports_page_set_session(KvReportsPage *self, KvSession *session)
{
    g_return_if_fail(KV_IS_REPORTS_PAGE(self));
    g_set_object(&self->session, session);
}
