/* kv-widget-util.c - small helpers shared by the app's widgets. */
#include "config.h"

#include <glib/gi18n.h>

#include <adwaita.h>
#include <string.h>

#include "kv-widget-util.h"

void kv_widget_unparent_children(GtkWidget *widget)
{
    GtkWidget *child;

    while ((child = gtk_widget_get_first_child(widget)) != NULL)
        gtk_widget_unparent(child);
}

void kv_widget_dispose_children(GtkWidget *widget, GType type)
{
    gtk_widget_dispose_template(widget, type);
    kv_widget_unparent_children(widget);
}

void kv_widget_class_set_template(GtkWidgetClass *widget_class, void (*dispose)(GObject *),
                                  GType layout, const char *ui)
{
    g_autofree char *resource = g_strconcat("/org/kilovend/Station/", ui, NULL);

    G_OBJECT_CLASS(widget_class)->dispose = dispose;
    if (layout != G_TYPE_INVALID)
        gtk_widget_class_set_layout_manager_type(widget_class, layout);
    gtk_widget_class_set_template_from_resource(widget_class, resource);
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

GtkWidget *kv_message_label_new(const char *accessible, const char *style)
{
    GtkWidget *label = gtk_label_new(NULL);

    gtk_label_set_wrap(GTK_LABEL(label), TRUE);
    gtk_label_set_xalign(GTK_LABEL(label), 0);
    gtk_widget_set_margin_top(label, 6);
    gtk_widget_set_visible(label, FALSE);
    if (style != NULL)
        gtk_widget_add_css_class(label, style);
    gtk_accessible_update_property(GTK_ACCESSIBLE(label), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   accessible, -1);
    return label;
}

void kv_group_set_header(AdwPreferencesGroup *group, const char *title,
                         const char *description, const char *button_label,
                         const char *button_accessible, const char *action)
{
    GtkWidget *button = gtk_button_new_with_mnemonic(button_label);

    adw_preferences_group_set_title(group, title);
    adw_preferences_group_set_description(group, description);
    gtk_actionable_set_action_name(GTK_ACTIONABLE(button), action);
    gtk_widget_set_valign(button, GTK_ALIGN_CENTER);
    gtk_accessible_update_property(GTK_ACCESSIBLE(button), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   button_accessible, -1);
    adw_preferences_group_set_header_suffix(group, button);
}

GtkWidget *kv_group_add_message(AdwPreferencesGroup *group, const char *accessible,
                                const char *style, const char *text)
{
    GtkWidget *label = kv_message_label_new(accessible, style);

    if (text != NULL)
        gtk_label_set_label(GTK_LABEL(label), text);
    adw_preferences_group_add(group, label);
    return label;
}

GtkListBox *kv_boxed_list_new(const char *accessible)
{
    GtkWidget *list = gtk_list_box_new();

    gtk_list_box_set_selection_mode(GTK_LIST_BOX(list), GTK_SELECTION_NONE);
    gtk_widget_add_css_class(list, "boxed-list");
    gtk_accessible_update_property(GTK_ACCESSIBLE(list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   accessible, -1);
    return GTK_LIST_BOX(list);
}

void kv_widget_show_message(GtkWidget *label, const char *text, gboolean ok)
{
    gboolean shown = text != NULL && *text != '\0';

    if (shown)
        gtk_label_set_label(GTK_LABEL(label), text);
    gtk_widget_remove_css_class(label, ok ? "error" : "success");
    gtk_widget_add_css_class(label, ok ? "success" : "error");
    kv_widget_reveal(label, shown);
}

void kv_widget_reveal(GtkWidget *widget, gboolean reveal)
{
    GtkWidget *parent = gtk_widget_get_parent(widget);

    if (GTK_IS_REVEALER(parent))
        gtk_revealer_set_reveal_child(GTK_REVEALER(parent), reveal);
    else
        gtk_widget_set_visible(widget, reveal);
}

/* Frames to follow the widget at most (about 2 s at 60 Hz), and frames its
 * place must stay the same before it is left alone: text set after the
 * reveal can still make it grow. */
#define SCROLL_MAX_FRAMES 120
#define SCROLL_STABLE_FRAMES 5

typedef struct {
    guint frames;
    guint stable;
    double bottom;
} ScrollFollow;

static gboolean scroll_into_view_tick_cb(GtkWidget *widget, GdkFrameClock *clock,
                                         gpointer user_data)
{
    ScrollFollow *f = user_data;
    GtkWidget *parent = gtk_widget_get_parent(widget);
    GtkWidget *scrolled = gtk_widget_get_ancestor(widget, GTK_TYPE_SCROLLED_WINDOW);
    GtkWidget *content;
    graphene_rect_t bounds;
    GtkAdjustment *adj;
    double top, bottom, value, page;

    (void)clock;
    if (scrolled == NULL || ++f->frames > SCROLL_MAX_FRAMES)
        return G_SOURCE_REMOVE;
    if (GTK_IS_REVEALER(parent) && !gtk_revealer_get_child_revealed(GTK_REVEALER(parent)))
        return G_SOURCE_CONTINUE;
    content = gtk_scrolled_window_get_child(GTK_SCROLLED_WINDOW(scrolled));
    if (content == NULL || !gtk_widget_compute_bounds(widget, content, &bounds))
        return G_SOURCE_REMOVE;
    adj = gtk_scrolled_window_get_vadjustment(GTK_SCROLLED_WINDOW(scrolled));
    value = gtk_adjustment_get_value(adj);
    page = gtk_adjustment_get_page_size(adj);
    top = bounds.origin.y;
    bottom = top + bounds.size.height;
    /* The content of a viewport is laid out from its scrolled origin. */
    if (GTK_IS_VIEWPORT(content)) {
        top += value;
        bottom += value;
    }
    if (bottom > value + page)
        gtk_adjustment_set_value(adj, MIN(top, bottom - page));
    else if (top < value)
        gtk_adjustment_set_value(adj, top);
    f->stable = G_APPROX_VALUE(bottom, f->bottom, 0.5) ? f->stable + 1 : 0;
    f->bottom = bottom;
    return f->stable >= SCROLL_STABLE_FRAMES ? G_SOURCE_REMOVE : G_SOURCE_CONTINUE;
}

void kv_widget_scroll_into_view(GtkWidget *widget)
{
    gtk_widget_add_tick_callback(widget, scroll_into_view_tick_cb, g_new0(ScrollFollow, 1),
                                 g_free);
}

char *kv_capitalized(const char *text)
{
    g_autofree char *first = NULL;

    if (text == NULL || *text == '\0')
        return g_strdup("");
    first = g_utf8_strup(text, g_utf8_next_char(text) - text);
    return g_strconcat(first, g_utf8_next_char(text), NULL);
}

char *kv_sentence(const char *message)
{
    g_autofree char *text = kv_capitalized(message);
    GString *s = g_string_new(text);

    while (s->len > 0 && g_ascii_isspace(s->str[s->len - 1]))
        g_string_truncate(s, s->len - 1);
    if (s->len > 0 && strchr(".!?", s->str[s->len - 1]) == NULL &&
        !g_str_has_suffix(s->str, "…"))
        g_string_append_c(s, '.');
    return g_string_free(s, FALSE);
}

AdwMessageDialog *kv_form_dialog_new(GtkWindow *parent, const char *heading, const char *body,
                                     const char *const *fields, const char *cancel_id,
                                     const char *cancel_label, const char *ok_id,
                                     const char *ok_label, AdwResponseAppearance appearance,
                                     GtkWidget **entries)
{
    AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG(adw_message_dialog_new(parent, heading, body));
    /* One line is the extra child itself; more go in a box. */
    GtkWidget *child = fields[0] != NULL && fields[1] != NULL
                           ? gtk_box_new(GTK_ORIENTATION_VERTICAL, 6)
                           : NULL;

    for (guint i = 0; fields[i] != NULL; i++) {
        entries[i] = gtk_entry_new();
        gtk_entry_set_placeholder_text(GTK_ENTRY(entries[i]), fields[i]);
        gtk_entry_set_activates_default(GTK_ENTRY(entries[i]), TRUE);
        gtk_accessible_update_property(GTK_ACCESSIBLE(entries[i]),
                                       GTK_ACCESSIBLE_PROPERTY_LABEL, fields[i], -1);
        if (child != NULL)
            gtk_box_append(GTK_BOX(child), entries[i]);
        else
            child = entries[i];
    }
    adw_message_dialog_set_extra_child(dialog, child);
    adw_message_dialog_add_responses(dialog, cancel_id, cancel_label, ok_id, ok_label, NULL);
    adw_message_dialog_set_response_appearance(dialog, ok_id, appearance);
    adw_message_dialog_set_default_response(dialog, ok_id);
    adw_message_dialog_set_close_response(dialog, cancel_id);
    return dialog;
}

AdwMessageDialog *kv_entry_dialog_new(GtkWindow *parent, const char *heading, const char *body,
                                      const char *what, const char *cancel_id,
                                      const char *cancel_label, const char *ok_id,
                                      const char *ok_label, AdwResponseAppearance appearance,
                                      GtkWidget **entry)
{
    const char *fields[] = {what, NULL};

    return kv_form_dialog_new(parent, heading, body, fields, cancel_id, cancel_label, ok_id,
                              ok_label, appearance, entry);
}

void kv_widget_follow(gpointer page, gpointer slot, gpointer object, const char *signal,
                      GCallback callback)
{
    GObject **old = slot;

    if (*old != NULL)
        g_signal_handlers_disconnect_by_data(*old, page);
    g_set_object(old, object);
    if (object != NULL)
        g_signal_connect(object, signal, callback, page);
}

typedef struct {
    GtkWidget *widget;
    KvFileChosenFunc chosen;
} FileChoice;

static void on_file_response_cb(GtkNativeDialog *chooser, int response, FileChoice *choice)
{
    if (response == GTK_RESPONSE_ACCEPT) {
        g_autoptr(GFile) file = gtk_file_chooser_get_file(GTK_FILE_CHOOSER(chooser));
        g_autofree char *path = file ? g_file_get_path(file) : NULL;

        if (path != NULL)
            choice->chosen(choice->widget, path);
    }
    g_object_unref(choice->widget);
    g_free(choice);
    g_object_unref(chooser);
}

void kv_choose_file(GtkWidget *widget, const char *title, GtkFileChooserAction action,
                    const char *accept_label, gboolean csv, KvFileChosenFunc chosen)
{
    GtkRoot *root = gtk_widget_get_root(widget);
    GtkFileChooserNative *chooser = gtk_file_chooser_native_new(
        title, GTK_IS_WINDOW(root) ? GTK_WINDOW(root) : NULL, action, accept_label, NULL);
    FileChoice *choice = g_new0(FileChoice, 1);

    choice->widget = g_object_ref(widget);
    choice->chosen = chosen;
    if (csv) {
        g_autoptr(GtkFileFilter) filter = gtk_file_filter_new();

        gtk_file_filter_set_name(filter, _("CSV files"));
        gtk_file_filter_add_mime_type(filter, "text/csv");
        gtk_file_filter_add_pattern(filter, "*.csv");
        gtk_file_chooser_add_filter(GTK_FILE_CHOOSER(chooser), filter);
    }
    gtk_native_dialog_set_modal(GTK_NATIVE_DIALOG(chooser), TRUE);
    g_signal_connect(chooser, "response", G_CALLBACK(on_file_response_cb), choice);
    gtk_native_dialog_show(GTK_NATIVE_DIALOG(chooser));
}

void kv_widget_follow_session(gpointer widget, KvSession **slot, KvSession *session,
                              GCallback changed)
{
    kv_widget_follow(widget, slot, session, "notify::role", changed);
    g_signal_connect(session, "notify::signed-in", changed, widget);
    ((void (*)(KvSession *, GParamSpec *, gpointer))changed)(session, NULL, widget);
}

void kv_widget_unfollow_session(gpointer widget, KvSession **slot)
{
    if (*slot != NULL)
        g_signal_handlers_disconnect_by_data(*slot, widget);
    g_clear_object(slot);
}
