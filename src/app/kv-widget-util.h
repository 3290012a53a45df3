/* kv-widget-util.h - small helpers shared by the app's widgets. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* Unparent every child of a widget that lays out its template's children
 * itself (dispose of the composite widgets built on GtkWidget). */
void kv_widget_unparent_children(GtkWidget *widget);

/* Remove every row of a list box. */
void kv_list_box_remove_all(GtkListBox *box);

/* A row for a boxed list: title, subtitle (nullable) and a value at the end. */
GtkWidget *kv_value_row_new(const char *title, const char *subtitle, const char *value);

/* Show or hide a message.  Widgets that come and go sit in a GtkRevealer:
 * GTK 4.8 does not tell assistive technologies about a widget that was
 * hidden when the window appeared, so they stay "visible" inside it. */
void kv_widget_reveal(GtkWidget *widget, gboolean reveal);

/* Scroll the nearest GtkScrolledWindow around a widget so that the whole
 * widget shows, once it has its final size (after its revealer's
 * transition).  A result the cashier must read never stays below the fold
 * of a small screen. */
void kv_widget_scroll_into_view(GtkWidget *widget);

/* A message as a sentence for the screen: capital first letter, full stop
 * at the end (the core's messages are lower-case clauses). */
char *kv_sentence(const char *message);

/* A page follows another object (its session): the handlers it connected
 * to the old one (*slot) dropped, the new one kept in *slot (a reference)
 * and its `signal` connected to callback with the page as data. */
void kv_widget_follow(gpointer page, gpointer slot, gpointer object, const char *signal,
                      GCallback callback);

/* A message dialog asking for one line: an entry (placeholder and accessible
 * label `what`; Enter gives the default response) as its extra child, the
 * responses cancel_id (also on Escape) and ok_id (the default, with its
 * appearance).  The entry in *entry. */
AdwMessageDialog *kv_entry_dialog_new(GtkWindow *parent, const char *heading, const char *body,
                                      const char *what, const char *cancel_id,
                                      const char *cancel_label, const char *ok_id,
                                      const char *ok_label, AdwResponseAppearance appearance,
                                      GtkWidget **entry);

G_END_DECLS
