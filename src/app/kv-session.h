/* kv-session.h - the app's link to the station core.
 *
 * A KvSession owns the open KvStation and runs every core call on one
 * worker thread, one at a time (the core is not thread-safe), so the window
 * never freezes.  It also remembers, for the window, who is signed in and
 * whether a shift is open, as the core last said.  Pages pass their own
 * small functions to kv_session_run_async(); nothing in the app touches the
 * database or the reader otherwise. */
#pragma once

#include <gio/gio.h>

#include "kv-core.h"
#include "kv-card-service.h"
#include "kv-card-watcher.h"

G_BEGIN_DECLS

#define KV_TYPE_SESSION (kv_session_get_type())
G_DECLARE_FINAL_TYPE(KvSession, kv_session, KV, SESSION, GObject)

/* A core call, run on the session's worker thread.  Returns its result (or
 * NULL with error set; a function with no result returns GINT_TO_POINTER(1)). */
typedef gpointer (*KvSessionFunc)(KvSession *session, KvStation *station, gpointer data,
                                  GCancellable *cancellable, GError **error);

KvSession *kv_session_new(void);

/* Open the station (on the worker thread; the result says why not). */
void kv_session_open_async(KvSession *self, const char *db_path, const char *keys_path,
                           GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data);
gboolean kv_session_open_finish(KvSession *self, GAsyncResult *result, GError **error);
gboolean kv_session_is_open(KvSession *self);
const char *kv_session_get_db_path(KvSession *self);
const char *kv_session_get_keys_path(KvSession *self);

/* Run func(self, station, data) on the worker; data is freed with
 * data_free after the call, the result with result_free if nobody takes it.
 * kv_session_run_finish() returns the result (owned by the caller). */
void kv_session_run_async(KvSession *self, KvSessionFunc func, gpointer data,
                          GDestroyNotify data_free, GDestroyNotify result_free,
                          GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data);
gpointer kv_session_run_finish(KvSession *self, GAsyncResult *result, GError **error);

/* ---- what the window shows (main thread) ---- */
const char *kv_session_get_user_name(KvSession *self);
const char *kv_session_get_full_name(KvSession *self);
KvRole kv_session_get_role(KvSession *self);
gboolean kv_session_get_signed_in(KvSession *self);
gboolean kv_session_get_shift_open(KvSession *self);
gboolean kv_session_get_keys_unlocked(KvSession *self);

/* Record what the core accepted (also used by tests of the window). */
void kv_session_set_user(KvSession *self, const char *user_name, const char *full_name,
                         KvRole role);
void kv_session_set_shift_open(KvSession *self, gboolean open);
void kv_session_set_keys_unlocked(KvSession *self, gboolean unlocked);
void kv_session_clear(KvSession *self);

const char *kv_session_role_label(KvRole role);
/* A card or meter status as the core stores it ("active", "lost"...), in
 * the cashier's language. */
const char *kv_session_status_label(const char *status);
/* A readback's KV_RB_* status bits as the cashier reads them: supply on or
 * off, alarm, trip, tamper... */
char *kv_session_format_meter_state(guint8 status);

/* Zero a secret (password, passphrase) and free it (NULL: nothing). */
void kv_wipe_string(char *s);

/* ---- money and energy, as the station counts them ---- */
guint kv_session_get_currency_digits(KvSession *self);
const char *kv_session_get_currency(KvSession *self);
/* A decimal number of `digits` places with the locale's separator ("12,50"
 * in French). */
char *kv_session_format_decimal(gint64 value, guint digits);
/* "1 250.00 KES" style text; energy as "12.34 kWh". */
char *kv_session_format_money(KvSession *self, gint64 minor);
char *kv_session_format_energy(gint64 centi_kwh);
/* Parse a field: a comma is taken as the decimal mark. */
gboolean kv_session_parse_money(KvSession *self, const char *text, gint64 *out, GError **error);
gboolean kv_session_parse_energy(const char *text, gint64 *out, GError **error);

/* ---- the usual calls, wrapped ---- */
/* Check a password; on success the session holds the user and whether a
 * shift of theirs is open and the keys are unlocked. */
void kv_session_sign_in_async(KvSession *self, const char *user, const char *password,
                              GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data);
gboolean kv_session_sign_in_finish(KvSession *self, GAsyncResult *result, GError **error);

/* A supervisor unlocks the key file; then a shift is opened for the
 * signed-in user unless one is open already. */
void kv_session_open_shift_async(KvSession *self, const char *supervisor, const char *password,
                                 const char *passphrase, gint64 float_minor,
                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data);
gboolean kv_session_open_shift_finish(KvSession *self, GAsyncResult *result, GError **error);

/* Close the shift with the cash counted; returns its Z report. */
void kv_session_close_shift_async(KvSession *self, gint64 counted_minor,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data);
KvTable *kv_session_close_shift_finish(KvSession *self, GAsyncResult *result, GError **error);

/* Replace the database with a checked backup: the station is closed, the
 * core restores (keeping the old file beside it), the station reopens and
 * everybody is signed out. */
void kv_session_restore_async(KvSession *self, const char *backup_path,
                              GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data);
/* The same with progress, called on the worker (the progress data must
 * outlive the job: progress_destroy frees it on the main thread after).
 * Cancelled before the swap, the old database is untouched and reopened. */
void kv_session_restore_full_async(KvSession *self, const char *backup_path,
                                   KvProgressFunc progress, gpointer progress_data,
                                   GDestroyNotify progress_destroy, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data);
gboolean kv_session_restore_finish(KvSession *self, GAsyncResult *result, GError **error);

/* Forget the user (the shift stays open for their next sign-in). */
void kv_session_sign_out(KvSession *self);
/* Signed in, a shift of theirs exists but the keys are locked (the station
 * was restarted): a supervisor only has to unlock them. */
gboolean kv_session_get_has_shift(KvSession *self);

/* How long a supervisor's unlocking of the keys lasts: until the shift
 * opened with it closes, or until the end of the day (the next cashiers'
 * shifts then need a supervisor's approval, not the passphrase again). */
typedef enum {
    KV_KEYS_PER_SHIFT,
    KV_KEYS_PER_DAY
} KvKeysPolicy;
void kv_session_set_keys_policy(KvSession *self, KvKeysPolicy policy);
KvKeysPolicy kv_session_get_keys_policy(KvSession *self);

/* The watcher of the station's reader (set by the application). */
void kv_session_set_watcher(KvSession *self, KvCardWatcher *watcher);
KvCardWatcher *kv_session_get_watcher(KvSession *self);

/* ---- the card at the counter ---- */
typedef struct {
    char *reader;
    KvCardReadResult read;   /* the core's reading of the card */
    KvMeter *meter;          /* NULL if the meter is not in this station */
    KvCustomer *customer;    /* NULL if none */
    KvSale *last_sale;       /* the meter's newest completed sale, or NULL */
} KvCardInfo;
void kv_card_info_free(KvCardInfo *info);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvCardInfo, kv_card_info_free)

/* Connect to the card in reader (NULL: the first), read it through the core
 * (which imports the meter's readback and resolves interrupted sales), and
 * look up its meter and customer.  The card stays connected for the next
 * operations (kv_session_worker_card) until another card is read or
 * kv_session_forget_card is called. */
void kv_session_read_card_async(KvSession *self, const char *reader, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data);
KvCardInfo *kv_session_read_card_finish(KvSession *self, GAsyncResult *result, GError **error);
void kv_session_forget_card(KvSession *self);
/* Worker thread only: drop the card kept from the last read and connect to
 * the card in reader (NULL: the first) afresh; the caller owns the link
 * (issuing, replacing, batches). */
KvCardLink *kv_session_worker_take_card(KvSession *self, const char *reader, GError **error);
/* Worker thread only: the session's own PC/SC connection (card waits in
 * batches), connected on first use. */
KvCardService *kv_session_worker_card_service(KvSession *self, GError **error);
/* Worker thread only: the card connected by the last read, or NULL. */
KvCardLink *kv_session_worker_card(KvSession *self);

G_END_DECLS
