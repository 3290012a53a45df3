/* kv-widget-util.c - small helpers shared by the app's widgets. */
#include "config.h"

#include <adwaita.h>

#include "kv-widget-util.h"

void kv_widget_unparent_children(GtkWidget *widget)
{
    GtkWidget *child;

    while ((child = gtk_widget_get_first_child(widget)) != NULL)
        gtk_widget_unparent(child);
}

void kv_list_box_remove_all(GtkListBox *box)
{
    GtkWidget *child;

    while ((child = gtk_widget_get_first_child(GTK_WIDGET(box))) != NULL)
        gtk_list_box_remove(box, child);
}

GtkWidget *kv_value_row_new(const char *title, const char *subtitle, const char *value)
{
    GtkWidget *row = adw_action_row_new();
    GtkWidget *label = gtk_label_new(value);

    adw_preferences_row_set_title(ADW_PREFERENCES_ROW(row), title);
    adw_preferences_row_set_use_markup(ADW_PREFERENCES_ROW(row), FALSE);
    if (subtitle != NULL)
        adw_action_row_set_subtitle(ADW_ACTION_ROW(row), subtitle);
    gtk_label_set_selectable(GTK_LABEL(label), TRUE);
    gtk_widget_add_css_class(label, "numeric");
    gtk_accessible_update_property(GTK_ACCESSIBLE(label), GTK_ACCESSIBLE_PROPERTY_LABEL, title,
                                   -1);
    adw_action_row_add_suffix(ADW_ACTION_ROW(row), label);
    return row;
}

void kv_widget_reveal(GtkWidget *widget, gboolean reveal)
{
    GtkWidget *parent = gtk_widget_get_parent(widget);

    if (GTK_IS_REVEALER(parent))
        gtk_revealer_set_reveal_child(GTK_REVEALER(parent), reveal);
    else
        gtk_widget_set_visible(widget, reveal);
}
