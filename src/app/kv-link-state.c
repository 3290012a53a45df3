/* kv-link-state.c - the link to the head office in the header bar (see
 * kv-link-state.h).  It sits in a thin line under the screens, right-aligned,
 * and only where a head office is.
 *
 * The state is read on the session's worker, like every core call, so a
 * slow disk never freezes the counter; one read at a time: a read still
 * queued behind a long job (a batch, a backup) is not asked for again. */
#define G_LOG_DOMAIN "kv-link-state"

#include "config.h"

#include <glib/gi18n.h>

#include "kv-link-state.h"
#include "kv-widget-util.h"

/* The sync process runs every minute: a look every 15 s is fresh enough
 * and costs one row's read. */
#define REFRESH_SECONDS 15

struct _KvLinkState {
    GtkWidget parent_instance;

    KvSession *session;
    GtkWidget *icon;
    GtkWidget *label;
    guint timer;
    gboolean reading;

    KvLinkMode mode;
    char *text;
    char *details;
    gint64 offline_since;
};

G_DEFINE_FINAL_TYPE(KvLinkState, kv_link_state, GTK_TYPE_WIDGET)

enum { PROP_0, PROP_MODE, N_PROPS };
static GParamSpec *props[N_PROPS];

/* "14:05" today, "2026-12-02 14:05" before: never an ambiguous date. */
static char *time_text(gint64 t)
{
    g_autoptr(GDateTime) when = g_date_time_new_from_unix_local(t);
    g_autoptr(GDateTime) now = g_date_time_new_now_local();

    if (when == NULL)
        return g_strdup("?");
    if (g_date_time_get_year(when) == g_date_time_get_year(now) &&
        g_date_time_get_day_of_year(when) == g_date_time_get_day_of_year(now))
        return g_date_time_format(when, "%H:%M");
    return g_date_time_format(when, "%Y-%m-%d %H:%M");
}

static void set_state(KvLinkState *self, KvLinkMode mode, const char *icon, const char *style,
                      char *text, char *details)
{
    static const char *const styles[] = {"dim-label", "warning", "error"};

    g_free(self->text);
    g_free(self->details);
    self->text = text;
    self->details = details;
    gtk_label_set_label(GTK_LABEL(self->label), text);
    gtk_image_set_from_icon_name(GTK_IMAGE(self->icon), icon);
    for (guint i = 0; i < G_N_ELEMENTS(styles); i++)
        gtk_widget_remove_css_class(GTK_WIDGET(self), styles[i]);
    gtk_widget_add_css_class(GTK_WIDGET(self), style);
    gtk_widget_set_tooltip_text(GTK_WIDGET(self), details);
    gtk_accessible_update_property(GTK_ACCESSIBLE(self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                   details, -1);
    gtk_widget_set_visible(GTK_WIDGET(self), mode != KV_LINK_NONE);
    if (self->mode != mode) {
        self->mode = mode;
        g_object_notify_by_pspec(G_OBJECT(self), props[PROP_MODE]);
    }
}

/* What the operations that need the head office are, for the details. */
static const char *online_only_text(void)
{
    return _("Cancelling a sale head office already holds, new customers, meters, users and "
             "tariffs, key rotation and key-change cards need the link.");
}

static void show_status(KvLinkState *self, const KvSyncStatus *s)
{
    g_autofree char *waiting = NULL;
    int count;

    self->offline_since = 0;
    if (s == NULL || !s->joined) {
        set_state(self, KV_LINK_NONE, "network-idle-symbolic", "dim-label", g_strdup(""),
                  g_strdup(""));
        return;
    }
    count = (int)MIN(s->waiting, G_MAXINT);
    waiting = g_strdup_printf(g_dngettext(NULL, "%d record waiting", "%d records waiting",
                                          (gulong)count),
                              count);
    if (s->conflict != NULL || s->recover != NULL) {
        set_state(self, KV_LINK_CONFLICT, "dialog-error-symbolic", "error",
                  g_strdup(s->conflict != NULL ? _("Sync stopped: conflict")
                                               : _("Sync stopped: recovery needed")),
                  g_strdup_printf(_("Head office refused this station’s records (%s). Selling "
                                    "may go on; call the head office. %s"),
                                  s->conflict != NULL ? s->conflict : s->recover,
                                  online_only_text()));
        return;
    }
    if (!kv_sync_status_online(s, g_get_real_time() / G_USEC_PER_SEC)) {
        gint64 since = s->offline_since ? s->offline_since : s->last_success_at;
        g_autofree char *at = time_text(since);

        self->offline_since = since;
        set_state(self, KV_LINK_OFFLINE, "network-offline-symbolic", "warning",
                  s->waiting > 0 ? g_strdup_printf(_("Offline since %s · %s"), at, waiting)
                                 : g_strdup_printf(_("Offline since %s"), at),
                  g_strdup_printf(_("No link to the head office since %s. Selling goes on; the "
                                    "records wait here and leave when the link is back. %s"),
                                  at, online_only_text()));
        return;
    }
    if (s->waiting > 0) {
        set_state(self, KV_LINK_WAITING, "network-transmit-symbolic", "dim-label",
                  g_strdup_printf(_("Online · %s"), waiting),
                  g_strdup_printf(_("Linked to the head office; %s to send."), waiting));
        return;
    }
    set_state(self, KV_LINK_ONLINE, "network-idle-symbolic", "dim-label", g_strdup(_("Online")),
              g_strdup(_("Linked to the head office; every record is there.")));
}

static gpointer status_in_worker(KvSession *session, KvStation *st, gpointer data,
                                 GCancellable *cancellable, GError **error)
{
    return kv_sync_status(st, error);
}

static void on_status_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvLinkState) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(KvSyncStatus) s = kv_session_run_finish(KV_SESSION(source), result, &error);

    self->reading = FALSE;
    /* An unreadable state (the station closed for a restore) keeps the last one. */
    if (s != NULL)
        show_status(self, s);
    else
        g_debug("sync state: %s", error->message);
}

void kv_link_state_refresh(KvLinkState *self)
{
    g_return_if_fail(KV_IS_LINK_STATE(self));

    if (self->session == NULL || self->reading || !kv_session_is_open(self->session))
        return;
    self->reading = TRUE;
    kv_session_run_async(self->session, status_in_worker, NULL, NULL,
                         (GDestroyNotify)kv_sync_status_free, NULL, on_status_cb,
                         g_object_ref(self));
}

static gboolean on_timer_cb(gpointer data)
{
    kv_link_state_refresh(data);
    return G_SOURCE_CONTINUE;
}

static void on_session_notify_cb(KvSession *session, GParamSpec *pspec, KvLinkState *self)
{
    kv_link_state_refresh(self);
}

static void kv_link_state_map(GtkWidget *widget)
{
    KvLinkState *self = KV_LINK_STATE(widget);

    GTK_WIDGET_CLASS(kv_link_state_parent_class)->map(widget);
    if (self->timer == 0)
        self->timer = g_timeout_add_seconds(REFRESH_SECONDS, on_timer_cb, self);
}

static void kv_link_state_get_property(GObject *object, guint id, GValue *value,
                                       GParamSpec *pspec)
{
    KvLinkState *self = KV_LINK_STATE(object);

    switch (id) {
    case PROP_MODE:
        g_value_set_int(value, self->mode);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, id, pspec);
    }
}

static void kv_link_state_dispose(GObject *object)
{
    KvLinkState *self = KV_LINK_STATE(object);

    g_clear_handle_id(&self->timer, g_source_remove);
    kv_widget_unfollow_session(self, &self->session);
    g_clear_pointer(&self->icon, gtk_widget_unparent);
    g_clear_pointer(&self->label, gtk_widget_unparent);
    G_OBJECT_CLASS(kv_link_state_parent_class)->dispose(object);
}

static void kv_link_state_finalize(GObject *object)
{
    KvLinkState *self = KV_LINK_STATE(object);

    g_free(self->text);
    g_free(self->details);
    G_OBJECT_CLASS(kv_link_state_parent_class)->finalize(object);
}

static void kv_link_state_class_init(KvLinkStateClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    object_class->get_property = kv_link_state_get_property;
    object_class->dispose = kv_link_state_dispose;
    object_class->finalize = kv_link_state_finalize;
    widget_class->map = kv_link_state_map;
    props[PROP_MODE] = g_param_spec_int("mode", NULL, NULL, KV_LINK_NONE, KV_LINK_CONFLICT,
                                        KV_LINK_NONE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, props);
    gtk_widget_class_set_layout_manager_type(widget_class, GTK_TYPE_BOX_LAYOUT);
    gtk_widget_class_set_css_name(widget_class, "linkstate");
    gtk_widget_class_set_accessible_role(widget_class, GTK_ACCESSIBLE_ROLE_STATUS);
}

static void kv_link_state_init(KvLinkState *self)
{
    gtk_box_layout_set_spacing(GTK_BOX_LAYOUT(gtk_widget_get_layout_manager(GTK_WIDGET(self))),
                               6);
    self->icon = gtk_image_new();
    gtk_widget_set_parent(self->icon, GTK_WIDGET(self));
    self->label = gtk_label_new(NULL);
    gtk_label_set_ellipsize(GTK_LABEL(self->label), PANGO_ELLIPSIZE_END);
    gtk_widget_add_css_class(self->label, "caption");
    gtk_widget_set_parent(self->label, GTK_WIDGET(self));
    gtk_accessible_update_property(GTK_ACCESSIBLE(self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                   _("Link to the head office"), -1);
    self->mode = KV_LINK_NONE;
    show_status(self, NULL);
}

KvLinkState *kv_link_state_new(void)
{
    return g_object_new(KV_TYPE_LINK_STATE, NULL);
}

void kv_link_state_set_session(KvLinkState *self, KvSession *session)
{
    g_return_if_fail(KV_IS_LINK_STATE(self));

    kv_widget_follow_session(self, &self->session, session, G_CALLBACK(on_session_notify_cb));
}

KvLinkMode kv_link_state_get_mode(KvLinkState *self)
{
    g_return_val_if_fail(KV_IS_LINK_STATE(self), KV_LINK_NONE);
    return self->mode;
}

const char *kv_link_state_get_text(KvLinkState *self)
{
    g_return_val_if_fail(KV_IS_LINK_STATE(self), NULL);
    return self->text;
}

const char *kv_link_state_get_details(KvLinkState *self)
{
    g_return_val_if_fail(KV_IS_LINK_STATE(self), NULL);
    return self->details;
}

gboolean kv_link_state_allows_online_only(KvLinkState *self)
{
    g_return_val_if_fail(KV_IS_LINK_STATE(self), FALSE);
    return self->mode == KV_LINK_NONE || self->mode == KV_LINK_ONLINE ||
           self->mode == KV_LINK_WAITING;
}

char *kv_link_state_refusal(KvLinkState *self, const char *what)
{
    g_autofree char *at = NULL;

    g_return_val_if_fail(KV_IS_LINK_STATE(self), NULL);
    if (kv_link_state_allows_online_only(self))
        return NULL;
    if (self->mode == KV_LINK_CONFLICT)
        /* Translators: %s is the operation ("A key-change card") */
        return g_strdup_printf(_("%s needs the head office, and sync with it is stopped by a "
                                 "conflict. Call the head office."), what);
    at = time_text(self->offline_since);
    /* Translators: %s is the operation, then a time */
    return g_strdup_printf(_("%s needs the head office, and this station is offline since %s. "
                             "It is possible again once the link is back."), what, at);
}
