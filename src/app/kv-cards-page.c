#define G_LOG_DOMAIN "kv-cards-page"

#include "config.h"

#include <glib/gi18n.h>

#include "kv-widget-util.h"

#include "kv-cards-page.h"

struct _KvCardsPage {
    GtkWidget parent_instance;

    KvSession *session;
};

G_DEFINE_FINAL_TYPE(KvCardsPage, kv_cards_page, GTK_TYPE_WIDGET)

static void kv_cards_page_dispose(GObject *object)
{
    KvCardsPage *self = KV_CARDS_PAGE(object);

    gtk_widget_dispose_template(GTK_WIDGET(self), KV_TYPE_CARDS_PAGE);
    kv_widget_unparent_children(GTK_WIDGET(self));
    g_clear_object(&self->session);
    G_OBJECT_CLASS(kv_cards_page_parent_class)->dispose(object);
}

static void kv_cards_page_class_init(KvCardsPageClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->dispose = kv_cards_page_dispose;

    gtk_widget_class_set_layout_manager_type(widget_class, GTK_TYPE_BIN_LAYOUT);
    gtk_widget_class_set_template_from_resource(widget_class,
                                                "/org/kilovend/Station/kv-cards-page.ui");
}

static void kv_cards_page_init(KvCardsPage *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
}

void kv_cards_page_set_session(KvCardsPage *self, KvSession *session)
{
    g_return_if_fail(KV_IS_CARDS_PAGE(self));
    g_set_object(&self->session, session);
}
