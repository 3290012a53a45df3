/* kv-session.c - who is signed in, and whether a shift is open. */
#define G_LOG_DOMAIN "kv-session"

#include "config.h"

#include <gio/gio.h>
#include <glib/gi18n.h>

#include "kv-session.h"

struct _KvSession {
    GObject parent_instance;
    char *user_name;
    KvSessionRole role;
    gboolean shift_open;
};

G_DEFINE_FINAL_TYPE(KvSession, kv_session, G_TYPE_OBJECT)

enum { PROP_0, PROP_USER_NAME, PROP_ROLE, PROP_SIGNED_IN, PROP_SHIFT_OPEN, N_PROPS };
static GParamSpec *properties[N_PROPS];

static void kv_session_finalize(GObject *object)
{
    KvSession *self = KV_SESSION(object);

    g_clear_pointer(&self->user_name, g_free);
    G_OBJECT_CLASS(kv_session_parent_class)->finalize(object);
}

static void kv_session_get_property(GObject *object, guint prop_id, GValue *value,
                                    GParamSpec *pspec)
{
    KvSession *self = KV_SESSION(object);

    switch (prop_id) {
    case PROP_USER_NAME:
        g_value_set_string(value, self->user_name);
        break;
    case PROP_ROLE:
        g_value_set_int(value, self->role);
        break;
    case PROP_SIGNED_IN:
        g_value_set_boolean(value, kv_session_get_signed_in(self));
        break;
    case PROP_SHIFT_OPEN:
        g_value_set_boolean(value, self->shift_open);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void kv_session_class_init(KvSessionClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);

    object_class->finalize = kv_session_finalize;
    object_class->get_property = kv_session_get_property;

    properties[PROP_USER_NAME] = g_param_spec_string(
        "user-name", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_ROLE] = g_param_spec_int("role", NULL, NULL, KV_SESSION_ROLE_NONE,
                                             KV_SESSION_ROLE_ADMIN, KV_SESSION_ROLE_NONE,
                                             G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_SIGNED_IN] = g_param_spec_boolean(
        "signed-in", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_SHIFT_OPEN] = g_param_spec_boolean(
        "shift-open", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, properties);
}

static void kv_session_init(KvSession *self)
{
}

KvSession *kv_session_new(void)
{
    return g_object_new(KV_TYPE_SESSION, NULL);
}

const char *kv_session_get_user_name(KvSession *self)
{
    g_return_val_if_fail(KV_IS_SESSION(self), NULL);
    return self->user_name;
}

KvSessionRole kv_session_get_role(KvSession *self)
{
    g_return_val_if_fail(KV_IS_SESSION(self), KV_SESSION_ROLE_NONE);
    return self->role;
}

gboolean kv_session_get_signed_in(KvSession *self)
{
    g_return_val_if_fail(KV_IS_SESSION(self), FALSE);
    return self->user_name != NULL;
}

gboolean kv_session_get_shift_open(KvSession *self)
{
    g_return_val_if_fail(KV_IS_SESSION(self), FALSE);
    return self->shift_open;
}

void kv_session_set_user(KvSession *self, const char *user_name, KvSessionRole role)
{
    g_return_if_fail(KV_IS_SESSION(self));

    g_object_freeze_notify(G_OBJECT(self));
    if (g_strcmp0(self->user_name, user_name) != 0) {
        g_free(self->user_name);
        self->user_name = g_strdup(user_name);
        g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_USER_NAME]);
        g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_SIGNED_IN]);
    }
    if (self->role != role) {
        self->role = role;
        g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_ROLE]);
    }
    g_object_thaw_notify(G_OBJECT(self));
}

void kv_session_set_shift_open(KvSession *self, gboolean open)
{
    g_return_if_fail(KV_IS_SESSION(self));

    open = !!open;
    if (self->shift_open == open)
        return;
    self->shift_open = open;
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_SHIFT_OPEN]);
}

void kv_session_clear(KvSession *self)
{
    g_object_freeze_notify(G_OBJECT(self));
    kv_session_set_user(self, NULL, KV_SESSION_ROLE_NONE);
    kv_session_set_shift_open(self, FALSE);
    g_object_thaw_notify(G_OBJECT(self));
}

const char *kv_session_role_label(KvSessionRole role)
{
    switch (role) {
    case KV_SESSION_ROLE_CASHIER:
        return _("Cashier");
    case KV_SESSION_ROLE_SUPERVISOR:
        return _("Supervisor");
    case KV_SESSION_ROLE_ADMIN:
        return _("Administrator");
    case KV_SESSION_ROLE_NONE:
    default:
        return "";
    }
}

guint kv_session_get_currency_digits(KvSession *self)
{
    g_return_val_if_fail(KV_IS_SESSION(self), 2);
    return 2;
}

/* Until the station core is linked, every operation says so plainly. */
static void report_no_core(KvSession *self, gpointer tag, GAsyncReadyCallback callback,
                           gpointer user_data)
{
    g_task_report_new_error(self, callback, user_data, tag, G_IO_ERROR,
                            G_IO_ERROR_NOT_SUPPORTED,
                            _("This build of the station has no core library."));
}

void kv_session_sign_in_async(KvSession *self, const char *user, const char *password,
                              GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data)
{
    report_no_core(self, kv_session_sign_in_async, callback, user_data);
}

gboolean kv_session_sign_in_finish(KvSession *self, GAsyncResult *result, GError **error)
{
    return g_task_propagate_boolean(G_TASK(result), error);
}

void kv_session_open_shift_async(KvSession *self, const char *supervisor, const char *password,
                                 const char *passphrase, gint64 float_minor,
                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data)
{
    report_no_core(self, kv_session_open_shift_async, callback, user_data);
}

gboolean kv_session_open_shift_finish(KvSession *self, GAsyncResult *result, GError **error)
{
    return g_task_propagate_boolean(G_TASK(result), error);
}

void kv_session_close_shift_async(KvSession *self, gint64 counted_minor,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data)
{
    report_no_core(self, kv_session_close_shift_async, callback, user_data);
}

char *kv_session_close_shift_finish(KvSession *self, GAsyncResult *result, GError **error)
{
    return g_task_propagate_pointer(G_TASK(result), error);
}

void kv_session_sign_out(KvSession *self)
{
    g_return_if_fail(KV_IS_SESSION(self));
    kv_session_set_user(self, NULL, KV_SESSION_ROLE_NONE);
}
