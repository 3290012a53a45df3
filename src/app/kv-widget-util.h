/* kv-widget-util.h - small helpers shared by the app's widgets. */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

/* Unparent every child of a widget that lays out its template's children
 * itself (dispose of the composite widgets built on GtkWidget). */
void kv_widget_unparent_children(GtkWidget *widget);

/* Remove every row of a list box. */
void kv_list_box_remove_all(GtkListBox *box);

/* A row for a boxed list: title, subtitle (nullable) and a value at the end. */
GtkWidget *kv_value_row_new(const char *title, const char *subtitle, const char *value);

G_END_DECLS
