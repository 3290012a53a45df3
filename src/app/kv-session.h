/* kv-session.h - who is signed in at this station, and whether a shift is
 * open.  The window follows these properties to choose what it shows; the
 * rules behind them (passwords, roles, shifts) are the station core's. */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

typedef enum {
    KV_SESSION_ROLE_NONE,
    KV_SESSION_ROLE_CASHIER,
    KV_SESSION_ROLE_SUPERVISOR,
    KV_SESSION_ROLE_ADMIN
} KvSessionRole;

#define KV_TYPE_SESSION (kv_session_get_type())
G_DECLARE_FINAL_TYPE(KvSession, kv_session, KV, SESSION, GObject)

KvSession *kv_session_new(void);

const char *kv_session_get_user_name(KvSession *self);
KvSessionRole kv_session_get_role(KvSession *self);
gboolean kv_session_get_signed_in(KvSession *self);
gboolean kv_session_get_shift_open(KvSession *self);

/* Record what the core accepted. */
void kv_session_set_user(KvSession *self, const char *user_name, KvSessionRole role);
void kv_session_set_shift_open(KvSession *self, gboolean open);
void kv_session_clear(KvSession *self);

const char *kv_session_role_label(KvSessionRole role);

/* Decimals of the utility's currency (2 for most, 0 for XOF and XAF). */
guint kv_session_get_currency_digits(KvSession *self);

/* Check a user's password with the core; on success the session holds the
 * user and knows whether a shift is open at this station. */
void kv_session_sign_in_async(KvSession *self, const char *user, const char *password,
                              GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data);
gboolean kv_session_sign_in_finish(KvSession *self, GAsyncResult *result, GError **error);

/* Open a shift for the signed-in user: a supervisor signs and unlocks the
 * key file with its passphrase. */
void kv_session_open_shift_async(KvSession *self, const char *supervisor, const char *password,
                                 const char *passphrase, gint64 float_minor,
                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data);
gboolean kv_session_open_shift_finish(KvSession *self, GAsyncResult *result, GError **error);

/* Close the shift with the cash counted; returns the Z report as text. */
void kv_session_close_shift_async(KvSession *self, gint64 counted_minor,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data);
char *kv_session_close_shift_finish(KvSession *self, GAsyncResult *result, GError **error);

/* Forget the user (the shift stays open for the next sign-in). */
void kv_session_sign_out(KvSession *self);

G_END_DECLS
