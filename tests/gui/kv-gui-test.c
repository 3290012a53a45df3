/* kv-gui-test.c - helpers for the app's in-process GTK tests. */
#include "config.h"

#include <gtk/gtk.h>

#include "kv-gui-test.h"

void kv_gui_test_init(int *argc, char ***argv)
{
    g_setenv("GSETTINGS_BACKEND", "memory", TRUE);
    g_setenv("GSK_RENDERER", "cairo", TRUE);
    gtk_test_init(argc, argv, NULL);
    adw_init();
    /* Screens are captured and asserted at once, not mid-transition. */
    g_object_set(gtk_settings_get_default(), "gtk-enable-animations", FALSE, NULL);
}

static gboolean on_timeout_cb(gpointer data)
{
    *(gboolean *)data = TRUE;
    return G_SOURCE_REMOVE;
}

gboolean kv_gui_test_wait(gboolean (*cond)(gpointer data), gpointer data, guint timeout_ms)
{
    gboolean timed_out = FALSE;
    guint id = g_timeout_add(timeout_ms, on_timeout_cb, &timed_out);

    while (!cond(data) && !timed_out)
        g_main_context_iteration(NULL, TRUE);
    if (!timed_out)
        g_source_remove(id);
    return cond(data);
}

void kv_gui_test_spin(guint ms)
{
    gboolean done = FALSE;

    g_timeout_add(ms, on_timeout_cb, &done);
    while (!done)
        g_main_context_iteration(NULL, TRUE);
}

void kv_gui_test_screenshot(GtkWidget *widget, const char *name)
{
    const char *dir = g_getenv("KV_SCREENSHOT_DIR");
    g_autoptr(GdkPaintable) paintable = NULL;
    g_autoptr(GtkSnapshot) snapshot = NULL;
    g_autoptr(GskRenderNode) node = NULL;
    g_autoptr(GdkTexture) texture = NULL;
    g_autofree char *file = NULL;
    GskRenderer *renderer;
    int w = gtk_widget_get_width(widget), h = gtk_widget_get_height(widget);

    if (dir == NULL || w <= 0 || h <= 0)
        return;
    g_mkdir_with_parents(dir, 0755);
    paintable = gtk_widget_paintable_new(widget);
    snapshot = gtk_snapshot_new();
    gdk_paintable_snapshot(paintable, snapshot, w, h);
    node = gtk_snapshot_free_to_node(g_steal_pointer(&snapshot));
    if (node == NULL)
        return;
    renderer = gtk_native_get_renderer(gtk_widget_get_native(widget));
    texture = gsk_renderer_render_texture(renderer, node, &GRAPHENE_RECT_INIT(0, 0, w, h));
    file = g_strdup_printf("%s/%s.png", dir, name);
    g_assert_true(gdk_texture_save_to_png(texture, file));
}

GtkWidget *kv_gui_test_find_by_label(GtkWidget *root, const char *label)
{
    for (GtkWidget *child = gtk_widget_get_first_child(root); child != NULL;
         child = gtk_widget_get_next_sibling(child)) {
        GtkWidget *found;

        if (gtk_test_accessible_has_property(GTK_ACCESSIBLE(child),
                                             GTK_ACCESSIBLE_PROPERTY_LABEL)) {
            g_autofree char *diff = gtk_test_accessible_check_property(
                GTK_ACCESSIBLE(child), GTK_ACCESSIBLE_PROPERTY_LABEL, label);
            if (diff == NULL)
                return child;
        }
        found = kv_gui_test_find_by_label(child, label);
        if (found != NULL)
            return found;
    }
    return NULL;
}
