/* kv-window.c - the station window.
 *
 * One window per station.  Until someone signs in and a shift is open it
 * shows the sign-in page; then the five screens in a view stack, Sell first
 * because a cashier spends the day there. */
#define G_LOG_DOMAIN "kv-window"

#include "config.h"

#include <glib/gi18n.h>

#include "kv-timing.h"
#include "kv-window-private.h"
#include "kv-widget-util.h"

G_DEFINE_FINAL_TYPE(KvWindow, kv_window, ADW_TYPE_APPLICATION_WINDOW)

/* Only the screens the signed-in person may use are there: selling and
 * cards need a cash shift, administration a supervisor. */
static void show_pages_for_role(KvWindow *self)
{
    gboolean shift = kv_session_get_shift_open(self->session);
    gboolean supervisor = kv_session_get_role(self->session) >= KV_ROLE_SUPERVISOR;
    static const char *const shift_pages[] = {"sell", "cards"};
    static const char *const supervisor_pages[] = {"technician", "admin"};

    for (guint i = 0; i < G_N_ELEMENTS(shift_pages); i++)
        adw_view_stack_page_set_visible(
            adw_view_stack_get_page(self->view_stack,
                                    adw_view_stack_get_child_by_name(self->view_stack,
                                                                     shift_pages[i])),
            shift);
    for (guint i = 0; i < G_N_ELEMENTS(supervisor_pages); i++)
        adw_view_stack_page_set_visible(
            adw_view_stack_get_page(self->view_stack,
                                    adw_view_stack_get_child_by_name(self->view_stack,
                                                                     supervisor_pages[i])),
            supervisor);
}

static void update_mode(KvWindow *self)
{
    KvSession *session = self->session;
    gboolean shift = kv_session_get_shift_open(session);

    if (!kv_session_get_signed_in(session)) {
        self->without_shift = FALSE;
        kv_signin_page_show_credentials(self->signin_page);
        gtk_stack_set_visible_child_name(self->main_stack, "signin");
    } else if (!shift && !(self->without_shift &&
                           kv_session_get_role(session) >= KV_ROLE_SUPERVISOR)) {
        kv_signin_page_show_shift(self->signin_page);
        gtk_stack_set_visible_child_name(self->main_stack, "signin");
    } else {
        g_autofree char *text =
            shift ? g_strdup_printf(
                        /* Translators: user name · role, shown in the header bar */
                        _("%s · %s"), kv_session_get_user_name(session),
                        kv_session_role_label(kv_session_get_role(session)))
                  : g_strdup_printf(
                        /* Translators: user name · role, no cash shift open */
                        _("%s · %s · no shift"), kv_session_get_user_name(session),
                        kv_session_role_label(kv_session_get_role(session)));
        gboolean entering = g_strcmp0(gtk_stack_get_visible_child_name(self->main_stack),
                                      "station") != 0;

        gtk_label_set_label(self->session_label, text);
        show_pages_for_role(self);
        gtk_stack_set_visible_child_name(self->main_stack, "station");
        if (entering && shift) {
            adw_view_stack_set_visible_child_name(self->view_stack, "sell");
            kv_sell_page_refresh_card(self->sell_page);
            kv_sell_page_focus_amount(self->sell_page);
        } else if (entering || !shift) {
            adw_view_stack_set_visible_child_name(self->view_stack, "reports");
        }
    }
    _kv_window_actions_update(self);
}

void _kv_window_continue_without_shift(KvWindow *self)
{
    if (kv_session_get_role(self->session) < KV_ROLE_SUPERVISOR)
        return;
    self->without_shift = TRUE;
    update_mode(self);
}

static void on_session_notify_cb(KvSession *session, GParamSpec *pspec, KvWindow *self)
{
    update_mode(self);
}

static void on_visible_child_notify_cb(AdwViewStack *stack, GParamSpec *pspec, KvWindow *self)
{
    _kv_window_actions_update(self);
}

/* The benchmarks' mark: the first frame of the window is on screen. */
static void on_first_paint_cb(GdkFrameClock *clock, KvWindow *self)
{
    g_signal_handlers_disconnect_by_func(clock, on_first_paint_cb, self);
    kv_timing_mark("window-drawn");
    if (kv_timing_exit_after_draw())
        gtk_window_close(GTK_WINDOW(self));
}

static void on_map_cb(GtkWidget *widget, KvWindow *self)
{
    GdkFrameClock *clock = gtk_widget_get_frame_clock(widget);

    if (clock != NULL && kv_timing_enabled())
        g_signal_connect(clock, "after-paint", G_CALLBACK(on_first_paint_cb), self);
}

static void save_window_state(KvWindow *self)
{
    int width = 0, height = 0;

    if (self->settings == NULL)
        return;
    gtk_window_get_default_size(GTK_WINDOW(self), &width, &height);
    g_settings_set_int(self->settings, "window-width", width);
    g_settings_set_int(self->settings, "window-height", height);
    g_settings_set_boolean(self->settings, "window-maximized",
                           gtk_window_is_maximized(GTK_WINDOW(self)));
}

static gboolean close_confirmed_cb(gpointer data)
{
    gtk_window_close(GTK_WINDOW(data));
    return G_SOURCE_REMOVE;
}

static void on_quit_response_cb(AdwMessageDialog *dialog, const char *response, KvWindow *self)
{
    if (g_strcmp0(response, "quit") != 0)
        return;
    self->quit_confirmed = TRUE;
    /* After the dialog's own response handling: closing the window takes
     * the dialog with it. */
    g_idle_add_full(G_PRIORITY_DEFAULT_IDLE, close_confirmed_cb, g_object_ref(self),
                    g_object_unref);
}

/* Quitting with a cash shift open is asked first: the shift stays open
 * (closing it counts the cash), but the cashier meant to close it or not. */
static gboolean kv_window_close_request(GtkWindow *window)
{
    KvWindow *self = KV_WINDOW(window);

    if (!self->quit_confirmed && self->session != NULL &&
        kv_session_get_shift_open(self->session)) {
        AdwMessageDialog *dialog = ADW_MESSAGE_DIALOG(adw_message_dialog_new(
            window, _("Quit With the Shift Open?"),
            _("The shift stays open and the cash is not counted. Close the shift first at the "
              "end of the day; quit only for a break or a restart.")));

        adw_message_dialog_add_responses(dialog, "stay", _("_Stay"), "quit", _("_Quit"), NULL);
        adw_message_dialog_set_response_appearance(dialog, "quit", ADW_RESPONSE_DESTRUCTIVE);
        adw_message_dialog_set_default_response(dialog, "stay");
        adw_message_dialog_set_close_response(dialog, "stay");
        g_signal_connect_object(dialog, "response", G_CALLBACK(on_quit_response_cb), self, 0);
        gtk_window_present(GTK_WINDOW(dialog));
        return TRUE;
    }
    save_window_state(self);
    return GTK_WINDOW_CLASS(kv_window_parent_class)->close_request(window);
}

static void kv_window_dispose(GObject *object)
{
    KvWindow *self = KV_WINDOW(object);

    if (self->session != NULL)
        g_signal_handlers_disconnect_by_data(self->session, self);
    gtk_widget_dispose_template(GTK_WIDGET(self), KV_TYPE_WINDOW);
    g_clear_object(&self->session);
    g_clear_object(&self->settings);
    G_OBJECT_CLASS(kv_window_parent_class)->dispose(object);
}

static void kv_window_class_init(KvWindowClass *klass)
{
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);
    GtkWindowClass *window_class = GTK_WINDOW_CLASS(klass);

    window_class->close_request = kv_window_close_request;

    g_type_ensure(KV_TYPE_SIGNIN_PAGE);
    g_type_ensure(KV_TYPE_SELL_PAGE);
    g_type_ensure(KV_TYPE_CUSTOMERS_PAGE);
    g_type_ensure(KV_TYPE_CARDS_PAGE);
    g_type_ensure(KV_TYPE_REPORTS_PAGE);
    g_type_ensure(KV_TYPE_ADMIN_PAGE);
    g_type_ensure(KV_TYPE_TECHNICIAN_PAGE);
    g_type_ensure(KV_TYPE_LINK_STATE);

    kv_widget_class_set_template(widget_class, kv_window_dispose, G_TYPE_INVALID, "kv-window.ui");
    gtk_widget_class_bind_template_child(widget_class, KvWindow, toast_overlay);
    gtk_widget_class_bind_template_child(widget_class, KvWindow, main_stack);
    gtk_widget_class_bind_template_child(widget_class, KvWindow, view_stack);
    gtk_widget_class_bind_template_child(widget_class, KvWindow, session_label);
    gtk_widget_class_bind_template_child(widget_class, KvWindow, signin_page);
    gtk_widget_class_bind_template_child(widget_class, KvWindow, sell_page);
    gtk_widget_class_bind_template_child(widget_class, KvWindow, customers_page);
    gtk_widget_class_bind_template_child(widget_class, KvWindow, cards_page);
    gtk_widget_class_bind_template_child(widget_class, KvWindow, reports_page);
    gtk_widget_class_bind_template_child(widget_class, KvWindow, admin_page);
    gtk_widget_class_bind_template_child(widget_class, KvWindow, technician_page);
    gtk_widget_class_bind_template_child(widget_class, KvWindow, link_state);
    gtk_widget_class_bind_template_child(widget_class, KvWindow, primary_menu);

    _kv_window_class_actions_init(klass);
}

static void kv_window_init(KvWindow *self)
{
    gtk_widget_init_template(GTK_WIDGET(self));
    g_signal_connect(self->view_stack, "notify::visible-child",
                     G_CALLBACK(on_visible_child_notify_cb), self);
    g_signal_connect(self, "map", G_CALLBACK(on_map_cb), self);
}

/* The demo's virtual reader: put another demonstration card in it. */
static void add_demo_menu(KvWindow *self)
{
    g_autoptr(GMenu) section = g_menu_new();
    static const struct {
        guint card;
        const char *label;
    } cards[] = {
        {1, N_("Insert Ama Owusu’s Card")},
        {2, N_("Insert Yaw Mensah’s Card")},
        {4, N_("Insert Esi Addo’s Card")},
        {3, N_("Insert a Blocked Card")},
        {5, N_("Insert a Blank Card")},
        {0, N_("Remove the Card")},
    };

    for (guint i = 0; i < G_N_ELEMENTS(cards); i++) {
        g_autoptr(GMenuItem) item = g_menu_item_new(_(cards[i].label), NULL);
        g_menu_item_set_action_and_target(item, "win.demo-card", "u", cards[i].card);
        g_menu_append_item(section, item);
    }
    g_menu_prepend_section(self->primary_menu, _("Virtual Card Reader"),
                           G_MENU_MODEL(section));
}

KvWindow *kv_window_new(KvApplication *app, KvSession *session)
{
    KvWindow *self;
    GSettings *settings;

    g_return_val_if_fail(KV_IS_APPLICATION(app), NULL);
    g_return_val_if_fail(KV_IS_SESSION(session), NULL);

    self = g_object_new(KV_TYPE_WINDOW, "application", app, NULL);
    self->session = g_object_ref(session);
    settings = kv_application_get_settings(app);
    if (settings != NULL) {
        self->settings = g_object_ref(settings);
        gtk_window_set_default_size(GTK_WINDOW(self),
                                    g_settings_get_int(settings, "window-width"),
                                    g_settings_get_int(settings, "window-height"));
        if (g_settings_get_boolean(settings, "window-maximized"))
            gtk_window_maximize(GTK_WINDOW(self));
    }

    if (self->settings != NULL)
        kv_session_set_keys_policy(session, g_settings_get_enum(self->settings, "keys-unlock"));
    kv_signin_page_set_session(self->signin_page, session);
    kv_signin_page_set_demo(self->signin_page, kv_application_get_demo(app));
    if (kv_application_get_demo(app))
        add_demo_menu(self);
    kv_sell_page_set_session(self->sell_page, session, self->settings);
    kv_customers_page_set_session(self->customers_page, session);
    kv_cards_page_set_session(self->cards_page, session);
    kv_reports_page_set_session(self->reports_page, session);
    kv_admin_page_set_session(self->admin_page, session, self->settings);
    kv_link_state_set_session(self->link_state, session);
    kv_customers_page_set_link(self->customers_page, self->link_state);
    kv_technician_page_set_session(self->technician_page, session, self->link_state);

    g_signal_connect(session, "notify::signed-in", G_CALLBACK(on_session_notify_cb), self);
    g_signal_connect(session, "notify::shift-open", G_CALLBACK(on_session_notify_cb), self);
    g_signal_connect(session, "notify::role", G_CALLBACK(on_session_notify_cb), self);
    update_mode(self);
    return self;
}

KvSession *kv_window_get_session(KvWindow *self)
{
    g_return_val_if_fail(KV_IS_WINDOW(self), NULL);
    return self->session;
}

void kv_window_show_page(KvWindow *self, const char *name)
{
    g_return_if_fail(KV_IS_WINDOW(self));
    g_return_if_fail(name != NULL);

    GtkWidget *child;

    if (g_strcmp0(gtk_stack_get_visible_child_name(self->main_stack), "station") != 0)
        return;
    /* A screen hidden from this role (or without a shift) stays hidden. */
    child = adw_view_stack_get_child_by_name(self->view_stack, name);
    if (child == NULL ||
        !adw_view_stack_page_get_visible(adw_view_stack_get_page(self->view_stack, child)))
        return;
    adw_view_stack_set_visible_child_name(self->view_stack, name);
}

const char *kv_window_get_visible_page(KvWindow *self)
{
    g_return_val_if_fail(KV_IS_WINDOW(self), NULL);
    return adw_view_stack_get_visible_child_name(self->view_stack);
}

const char *kv_window_get_mode(KvWindow *self)
{
    g_return_val_if_fail(KV_IS_WINDOW(self), NULL);
    return gtk_stack_get_visible_child_name(self->main_stack);
}

void kv_window_add_toast(KvWindow *self, const char *text)
{
    g_return_if_fail(KV_IS_WINDOW(self));
    adw_toast_overlay_add_toast(self->toast_overlay, adw_toast_new(text));
}

void kv_window_show_problem(KvWindow *self, const char *message)
{
    g_return_if_fail(KV_IS_WINDOW(self));

    gtk_stack_set_visible_child_name(self->main_stack, "signin");
    kv_signin_page_show_problem(self->signin_page, message);
    _kv_window_actions_update(self);
}
