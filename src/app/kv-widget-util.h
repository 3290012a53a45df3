/* kv-widget-util.h - small helpers shared by the app's widgets. */
#pragma once

#include <adwaita.h>

#include "kv-session.h"

G_BEGIN_DECLS

/* Unparent every child of a widget that lays out its template's children
 * itself (dispose of the composite widgets built on GtkWidget). */
void kv_widget_unparent_children(GtkWidget *widget);
/* The end of a screen's dispose (a GtkWidget built from its template, of
 * that type): the template's children let go, then any child it added
 * itself unparented. */
void kv_widget_dispose_children(GtkWidget *widget, GType type);
/* The class of a widget built from its template: its dispose, its layout
 * manager (GTK_TYPE_BIN_LAYOUT for a screen; G_TYPE_INVALID: its parent
 * class's) and its template, the file ui of the app's resources. */
void kv_widget_class_set_template(GtkWidgetClass *widget_class, void (*dispose)(GObject *),
                                  GType layout, const char *ui);

/* Remove every row of a list box. */
void kv_list_box_remove_all(GtkListBox *box);

/* A row for a boxed list: title, subtitle (nullable) and a value at the end. */
GtkWidget *kv_value_row_new(const char *title, const char *subtitle, const char *value);

/* Show or hide a message.  Widgets that come and go sit in a GtkRevealer:
 * GTK 4.8 does not tell assistive technologies about a widget that was
 * hidden when the window appeared, so they stay "visible" inside it. */
void kv_widget_reveal(GtkWidget *widget, gboolean reveal);

/* A wrapping label for a message under a form, hidden until shown, with its
 * accessible name and a style class (NULL: none). */
GtkWidget *kv_message_label_new(const char *accessible, const char *style);

/* A preferences group's title, description and header button (its
 * mnemonic label, accessible name and action). */
void kv_group_set_header(AdwPreferencesGroup *group, const char *title,
                         const char *description, const char *button_label,
                         const char *button_accessible, const char *action);
/* A message label (kv_message_label_new) added to a group, with its text
 * when the text stays (NULL: set later). */
GtkWidget *kv_group_add_message(AdwPreferencesGroup *group, const char *accessible,
                                const char *style, const char *text);

/* A boxed list without selection, with its accessible name. */
GtkListBox *kv_boxed_list_new(const char *accessible);

/* A result under a form: the text (NULL or "" hides it) in the success or
 * the error style, revealed (kv_widget_reveal). */
void kv_widget_show_message(GtkWidget *label, const char *text, gboolean ok);

/* Scroll the nearest GtkScrolledWindow around a widget so that the whole
 * widget shows, once it has its final size (after its revealer's
 * transition).  A result the cashier must read never stays below the fold
 * of a small screen. */
void kv_widget_scroll_into_view(GtkWidget *widget);

/* A message as a sentence for the screen: capital first letter, full stop
 * at the end (the core's messages are lower-case clauses). */
char *kv_sentence(const char *message);
/* The text with a capital first letter ("Mobile money"). */
char *kv_capitalized(const char *text);

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
/* The same with several lines: fields (NULL-terminated) are their
 * placeholders and accessible labels, top to bottom; the entries in
 * entries[0..], in a vertical box as the extra child (one field: the entry
 * itself, as above). */
AdwMessageDialog *kv_form_dialog_new(GtkWindow *parent, const char *heading, const char *body,
                                     const char *const *fields, const char *cancel_id,
                                     const char *cancel_label, const char *ok_id,
                                     const char *ok_label, AdwResponseAppearance appearance,
                                     GtkWidget **entries);
/* Ask for a file (GtkFileChooserNative, modal on widget's window; csv: CSV
 * files offered); when one is accepted, chosen(widget, path) runs.  The
 * widget is kept alive until the answer. */
typedef void (*KvFileChosenFunc)(GtkWidget *widget, const char *path);
void kv_choose_file(GtkWidget *widget, const char *title, GtkFileChooserAction action,
                    const char *accept_label, gboolean csv, KvFileChosenFunc chosen);

/* Keep session in *slot and call changed(session, pspec, widget) whenever
 * someone signs in or out or the role changes, and once now;
 * kv_widget_unfollow_session (in dispose) lets go. */
void kv_widget_follow_session(gpointer widget, KvSession **slot, KvSession *session,
                              GCallback changed);
void kv_widget_unfollow_session(gpointer widget, KvSession **slot);

G_END_DECLS
