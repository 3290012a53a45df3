/* kv-session.c - the app's link to the station core.
 *
 * Every core call runs on one worker thread (a GThreadPool of one thread,
 * which takes jobs in order): the core is not thread-safe, and a card write
 * or an scrypt check must never freeze the window.  The station pointer is
 * only ever touched from that thread; the main thread keeps copies of what
 * the window shows (user, role, shift, currency). */
#define G_LOG_DOMAIN "kv-session"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <string.h>

#include "kv_util.h"
#include "kv-card-link-pcsc.h"
#include "kv-card-service.h"
#include "kv-session.h"
#include "kv-sync-client.h"

struct _KvSession {
    GObject parent_instance;

    /* worker thread only */
    KvStation *station;
    KvCardService *card_service;
    KvCardLink *card;
    /* Set by a restore that closed the station and opened it again (read on
     * the main thread once the job is done): nobody is signed in to it. */
    gboolean station_reopened;

    GThreadPool *pool;
    char *db_path;
    char *keys_path;
    gboolean open;

    char *user_name;
    char *full_name;
    KvRole role;
    gboolean shift_open;
    gboolean has_shift;
    gboolean keys_unlocked;
    gint keys_policy;          /* KvKeysPolicy: set on the main thread, read by the worker */
    gint unlocked_day;         /* worker: the day (yyyymmdd) the keys were unlocked */

    KvCardWatcher *watcher;
    char *currency;
    guint currency_digits;
    gint64 max_sale_amount;
    gint64 max_sale_energy;
};

G_DEFINE_FINAL_TYPE(KvSession, kv_session, G_TYPE_OBJECT)

enum {
    PROP_0,
    PROP_USER_NAME,
    PROP_ROLE,
    PROP_SIGNED_IN,
    PROP_SHIFT_OPEN,
    PROP_KEYS_UNLOCKED,
    PROP_OPEN,
    N_PROPS
};
static GParamSpec *properties[N_PROPS];

/* ---- the worker ------------------------------------------------------- */

typedef struct {
    KvSessionFunc func;
    gpointer data;
    GDestroyNotify data_free;
    GDestroyNotify result_free;
    gboolean needs_station;
} Job;

static void job_free(Job *job)
{
    if (job->data_free != NULL && job->data != NULL)
        job->data_free(job->data);
    g_free(job);
}

static void worker_run(gpointer task_ptr, gpointer pool_data)
{
    GTask *task = task_ptr;
    KvSession *self = g_task_get_source_object(task);
    Job *job = g_task_get_task_data(task);
    GError *error = NULL;
    gpointer result;

    if (g_task_return_error_if_cancelled(task)) {
        g_object_unref(task);
        return;
    }
    if (job->needs_station && self->station == NULL) {
        g_task_return_new_error(task, KV_CORE_ERROR, KV_CORE_ERROR_STATE, "%s",
                                _("The station database is not open."));
        g_object_unref(task);
        return;
    }
    result = job->func(self, self->station, job->data, g_task_get_cancellable(task), &error);
    if (result == NULL) {
        if (error == NULL)
            error = g_error_new_literal(KV_CORE_ERROR, KV_CORE_ERROR_FAILED,
                                        _("The station could not do this."));
        g_task_return_error(task, error);
    } else {
        g_task_return_pointer(task, result, job->result_free);
    }
    g_object_unref(task);
}

static void run_job(KvSession *self, KvSessionFunc func, gboolean needs_station, gpointer data,
                    GDestroyNotify data_free, GDestroyNotify result_free,
                    GCancellable *cancellable, GAsyncReadyCallback callback, gpointer user_data,
                    gpointer tag)
{
    GTask *task = g_task_new(self, cancellable, callback, user_data);
    Job *job = g_new0(Job, 1);

    job->func = func;
    job->data = data;
    job->data_free = data_free;
    job->result_free = result_free;
    job->needs_station = needs_station;
    g_task_set_source_tag(task, tag);
    g_task_set_task_data(task, job, (GDestroyNotify)job_free);
    /* The pool owns the task's reference until the job has run. */
    g_thread_pool_push(self->pool, task, NULL);
}

void kv_session_run_async(KvSession *self, KvSessionFunc func, gpointer data,
                          GDestroyNotify data_free, GDestroyNotify result_free,
                          GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data)
{
    g_return_if_fail(KV_IS_SESSION(self));
    g_return_if_fail(func != NULL);

    run_job(self, func, TRUE, data, data_free, result_free, cancellable, callback, user_data,
            kv_session_run_async);
}

gpointer kv_session_run_finish(KvSession *self, GAsyncResult *result, GError **error)
{
    g_return_val_if_fail(g_task_is_valid(result, self), NULL);
    return g_task_propagate_pointer(G_TASK(result), error);
}

/* ---- GObject ------------------------------------------------------------ */

static void kv_session_dispose(GObject *object)
{
    KvSession *self = KV_SESSION(object);

    /* Let a sale being written finish: never leave a card half-written
     * because the window closed. */
    if (self->pool != NULL) {
        g_thread_pool_free(self->pool, FALSE, TRUE);
        self->pool = NULL;
    }
    G_OBJECT_CLASS(kv_session_parent_class)->dispose(object);
}

static void kv_session_finalize(GObject *object)
{
    KvSession *self = KV_SESSION(object);

    g_clear_object(&self->watcher);
    g_clear_pointer(&self->card, kv_card_link_free);
    g_clear_pointer(&self->card_service, kv_card_service_free);
    g_clear_pointer(&self->station, kv_station_free);
    g_clear_pointer(&self->db_path, g_free);
    g_clear_pointer(&self->keys_path, g_free);
    g_clear_pointer(&self->user_name, g_free);
    g_clear_pointer(&self->full_name, g_free);
    g_clear_pointer(&self->currency, g_free);
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
    case PROP_KEYS_UNLOCKED:
        g_value_set_boolean(value, self->keys_unlocked);
        break;
    case PROP_OPEN:
        g_value_set_boolean(value, self->open);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void kv_session_class_init(KvSessionClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);

    object_class->dispose = kv_session_dispose;
    object_class->finalize = kv_session_finalize;
    object_class->get_property = kv_session_get_property;

    properties[PROP_USER_NAME] = g_param_spec_string(
        "user-name", NULL, NULL, NULL, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_ROLE] = g_param_spec_int("role", NULL, NULL, KV_ROLE_NONE, KV_ROLE_ADMIN,
                                             KV_ROLE_NONE,
                                             G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_SIGNED_IN] = g_param_spec_boolean(
        "signed-in", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_SHIFT_OPEN] = g_param_spec_boolean(
        "shift-open", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_KEYS_UNLOCKED] = g_param_spec_boolean(
        "keys-unlocked", NULL, NULL, FALSE, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    properties[PROP_OPEN] = g_param_spec_boolean("open", NULL, NULL, FALSE,
                                                 G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, properties);
}

static void kv_session_init(KvSession *self)
{
    self->pool = g_thread_pool_new(worker_run, self, 1, FALSE, NULL);
    self->currency = g_strdup("");
    self->currency_digits = 2;
}

KvSession *kv_session_new(void)
{
    return g_object_new(KV_TYPE_SESSION, NULL);
}

/* ---- opening -------------------------------------------------------------- */

typedef struct {
    char *db_path;
    char *keys_path;
} OpenData;

typedef struct {
    char *currency;
    guint digits;
    gint64 max_amount;
    gint64 max_energy;
} OpenResult;

static void open_data_free(OpenData *d)
{
    g_free(d->db_path);
    g_free(d->keys_path);
    g_free(d);
}

static void open_result_free(OpenResult *r)
{
    g_free(r->currency);
    g_free(r);
}

/* The station opened, its card replacements reserved at head office
 * through the sync client (as kilovendctl does; docs/multi-office.md, "Card
 * replacements"). */
static KvStation *open_station(const char *db_path, const char *keys_path, GError **error)
{
    return kv_sync_station_open(db_path, keys_path, NULL, error);
}

static gpointer open_in_worker(KvSession *self, KvStation *unused, gpointer data,
                               GCancellable *cancellable, GError **error)
{
    OpenData *d = data;
    const KvSettings *settings;
    OpenResult *r;

    g_clear_pointer(&self->station, kv_station_free);
    self->station = open_station(d->db_path, d->keys_path, error);
    if (self->station == NULL)
        return NULL;
    settings = kv_station_settings(self->station);
    r = g_new0(OpenResult, 1);
    r->currency = g_strdup(settings->currency);
    r->digits = settings->minor_digits;
    r->max_amount = settings->max_sale_amount;
    r->max_energy = settings->max_sale_energy;
    return r;
}

static void on_open_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    KvSession *self = KV_SESSION(source);
    GError *error = NULL;
    OpenResult *r = g_task_propagate_pointer(G_TASK(result), &error);

    if (r == NULL) {
        g_task_return_error(task, error);
        return;
    }
    g_free(self->currency);
    self->currency = g_steal_pointer(&r->currency);
    self->currency_digits = r->digits;
    self->max_sale_amount = r->max_amount;
    self->max_sale_energy = r->max_energy;
    open_result_free(r);
    self->open = TRUE;
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_OPEN]);
    g_task_return_boolean(task, TRUE);
}

void kv_session_open_async(KvSession *self, const char *db_path, const char *keys_path,
                           GCancellable *cancellable, GAsyncReadyCallback callback,
                           gpointer user_data)
{
    GTask *task = g_task_new(self, cancellable, callback, user_data);
    OpenData *d = g_new0(OpenData, 1);

    g_task_set_source_tag(task, kv_session_open_async);
    g_free(self->db_path);
    g_free(self->keys_path);
    self->db_path = g_strdup(db_path);
    self->keys_path = g_strdup(keys_path);
    d->db_path = g_strdup(db_path);
    d->keys_path = g_strdup(keys_path);
    run_job(self, open_in_worker, FALSE, d, (GDestroyNotify)open_data_free,
            (GDestroyNotify)open_result_free, cancellable, on_open_done_cb, task,
            kv_session_open_async);
}

gboolean kv_session_open_finish(KvSession *self, GAsyncResult *result, GError **error)
{
    return g_task_propagate_boolean(G_TASK(result), error);
}

gboolean kv_session_is_open(KvSession *self)
{
    g_return_val_if_fail(KV_IS_SESSION(self), FALSE);
    return self->open;
}

const char *kv_session_get_db_path(KvSession *self)
{
    return self->db_path;
}

const char *kv_session_get_keys_path(KvSession *self)
{
    return self->keys_path;
}

/* ---- state for the window -------------------------------------------------- */

const char *kv_session_get_user_name(KvSession *self)
{
    g_return_val_if_fail(KV_IS_SESSION(self), NULL);
    return self->user_name;
}

const char *kv_session_get_full_name(KvSession *self)
{
    g_return_val_if_fail(KV_IS_SESSION(self), NULL);
    return self->full_name != NULL && *self->full_name ? self->full_name : self->user_name;
}

KvRole kv_session_get_role(KvSession *self)
{
    g_return_val_if_fail(KV_IS_SESSION(self), KV_ROLE_NONE);
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

gboolean kv_session_get_keys_unlocked(KvSession *self)
{
    g_return_val_if_fail(KV_IS_SESSION(self), FALSE);
    return self->keys_unlocked;
}

static gboolean replace_str(char **field, const char *value)
{
    if (g_strcmp0(*field, value) == 0)
        return FALSE;
    g_free(*field);
    *field = g_strdup(value);
    return TRUE;
}

void kv_session_set_user(KvSession *self, const char *user_name, const char *full_name,
                         KvRole role)
{
    g_return_if_fail(KV_IS_SESSION(self));

    g_object_freeze_notify(G_OBJECT(self));
    replace_str(&self->full_name, full_name);
    if (replace_str(&self->user_name, user_name)) {
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

void kv_session_set_keys_unlocked(KvSession *self, gboolean unlocked)
{
    g_return_if_fail(KV_IS_SESSION(self));

    unlocked = !!unlocked;
    if (self->keys_unlocked == unlocked)
        return;
    self->keys_unlocked = unlocked;
    g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_KEYS_UNLOCKED]);
}

void kv_session_clear(KvSession *self)
{
    g_object_freeze_notify(G_OBJECT(self));
    kv_session_set_user(self, NULL, NULL, KV_ROLE_NONE);
    kv_session_set_shift_open(self, FALSE);
    g_object_thaw_notify(G_OBJECT(self));
}

const char *kv_session_role_label(KvRole role)
{
    switch (role) {
    case KV_ROLE_CASHIER:
        return _("Cashier");
    case KV_ROLE_SUPERVISOR:
        return _("Supervisor");
    case KV_ROLE_ADMIN:
        return _("Administrator");
    case KV_ROLE_NONE:
    default:
        return "";
    }
}

const char *kv_session_status_label(const char *status)
{
    /* By the stored words of kv-status.h (NULL: shown as stored). */
    static const char *const card_labels[] = {
        [KV_CARD_STATUS_ISSUING] = N_("being issued"), [KV_CARD_STATUS_ACTIVE] = N_("active"),
        [KV_CARD_STATUS_LOST] = N_("lost"),            [KV_CARD_STATUS_REPLACED] = N_("replaced"),
        [KV_CARD_STATUS_BLOCKED] = N_("blocked"),      [KV_CARD_STATUS_FAILED] = NULL,
    };
    static const char *const meter_labels[] = {
        [KV_METER_STATUS_ACTIVE] = N_("active"),
        [KV_METER_STATUS_INACTIVE] = N_("inactive"),
        [KV_METER_STATUS_REMOVED] = N_("removed"),
    };
    /* The reasons a card is replaced for, shown as its status. */
    static const char *const reasons[][2] = {
        {"damaged", N_("damaged")},
        {"stolen", N_("stolen")},
    };

    if (status == NULL)
        return _("unknown");
    for (guint i = 0; i < G_N_ELEMENTS(card_labels); i++)
        if (card_labels[i] != NULL && g_strcmp0(kv_card_status_name(i), status) == 0)
            return _(card_labels[i]);
    for (guint i = 0; i < G_N_ELEMENTS(meter_labels); i++)
        if (g_strcmp0(kv_meter_status_name(i), status) == 0)
            return _(meter_labels[i]);
    if (g_strcmp0(kv_card_issue_step_name(KV_CARD_STEP_PSC_CHANGING), status) == 0)
        return _("being issued");
    for (guint i = 0; i < G_N_ELEMENTS(reasons); i++)
        if (g_strcmp0(reasons[i][0], status) == 0)
            return _(reasons[i][1]);
    return status;
}

char *kv_session_format_meter_state(guint8 status)
{
    g_autoptr(GPtrArray) parts = g_ptr_array_new();

    g_ptr_array_add(parts, (gpointer)((status & KV_RB_RELAY_CLOSED) ? _("supply on")
                                                                     : _("supply off")));
    if (status & KV_RB_CUTOFF)
        g_ptr_array_add(parts, (gpointer)_("cut off at zero credit"));
    else if (status & KV_RB_TRIPPED)
        g_ptr_array_add(parts, (gpointer)_("tripped below the pre-trip level"));
    /* Both lamps can be on (credit below both levels): both are said. */
    if ((status & KV_RB_RED) && (status & KV_RB_YELLOW))
        g_ptr_array_add(parts, (gpointer)_("low-credit alarm and pre-trip warning lamps on"));
    else if (status & KV_RB_RED)
        g_ptr_array_add(parts, (gpointer)_("low-credit alarm"));
    else if (status & KV_RB_YELLOW)
        g_ptr_array_add(parts, (gpointer)_("pre-trip warning"));
    if (status & KV_RB_TAMPER)
        g_ptr_array_add(parts, (gpointer)_("TAMPER detected"));
    if (status & KV_RB_LOCKOUT)
        g_ptr_array_add(parts, (gpointer)_("refusing cards (lockout)"));
    if (status & KV_RB_OVERPOWER)
        g_ptr_array_add(parts, (gpointer)_("over-power trip"));
    g_ptr_array_add(parts, NULL);
    return g_strjoinv(", ", (char **)parts->pdata);
}

/* ---- money ---------------------------------------------------------------- */

guint kv_session_get_currency_digits(KvSession *self)
{
    g_return_val_if_fail(KV_IS_SESSION(self), 2);
    return self->currency_digits;
}

const char *kv_session_get_currency(KvSession *self)
{
    g_return_val_if_fail(KV_IS_SESSION(self), "");
    return self->currency;
}

char *kv_session_format_decimal(gint64 value, guint digits)
{
    char *text = kv_decimal_format(value, digits);
    const char *point = localeconv()->decimal_point;
    char *dot = strchr(text, '.');

    /* One decimal separator per locale: the one the locale writes (a
     * comma in French), on every amount and level the app shows. */
    if (dot != NULL && point != NULL && strlen(point) == 1)
        *dot = *point;
    return text;
}

char *kv_session_format_money(KvSession *self, gint64 minor)
{
    g_autofree char *number = kv_session_format_decimal(minor, self->currency_digits);

    if (self->currency == NULL || *self->currency == '\0')
        return g_steal_pointer(&number);
    /* Translators: an amount of money and its currency code, "12.50 KES" */
    return g_strdup_printf(_("%s %s"), number, self->currency);
}

char *kv_session_format_energy(gint64 centi_kwh)
{
    g_autofree char *number = kv_session_format_decimal(centi_kwh, 2);

    /* Translators: an amount of energy, "12.34 kWh" */
    return g_strdup_printf(_("%s kWh"), number);
}

/* Cashiers in francophone countries type a comma; the core reads a point.
 * Spaces between thousands go too. */
static char *normalise_decimal(const char *text)
{
    GString *s = g_string_new(NULL);

    for (const char *p = text; *p != '\0'; p++) {
        if (*p == ',')
            g_string_append_c(s, '.');
        else if (*p == ' ' && s->len > 0 && p[1] != '\0' && p[1] != ' ')
            continue;
        else
            g_string_append_c(s, *p);
    }
    g_strstrip(s->str);
    return g_string_free(s, FALSE);
}

gboolean kv_session_parse_money(KvSession *self, const char *text, gint64 *out, GError **error)
{
    g_autofree char *clean = normalise_decimal(text);
    gint64 max = self->max_sale_amount > 0 ? self->max_sale_amount : G_MAXINT32;

    return kv_decimal_parse(clean, self->currency_digits, max, out, error);
}

gboolean kv_session_parse_energy(const char *text, gint64 *out, GError **error)
{
    g_autofree char *clean = normalise_decimal(text);

    return kv_energy_parse(clean, G_MAXINT32, out, error);
}

/* ---- sign in, shifts ---------------------------------------------------------- */

typedef struct {
    char *login;
    char *password;
    char *passphrase;
    gint64 amount;
} Credentials;

void kv_wipe_string(char *s)
{
    if (s != NULL) {
        kv_wipe(s, strlen(s));
        g_free(s);
    }
}

static void credentials_free(Credentials *c)
{
    g_free(c->login);
    kv_wipe_string(c->password);
    kv_wipe_string(c->passphrase);
    g_free(c);
}

typedef struct {
    char *login;
    char *full_name;
    KvRole role;
    gboolean shift_open;
    gboolean keys_unlocked;
    KvTable *report; /* closing a shift: its Z report */
} SessionState;

static void session_state_free(SessionState *s)
{
    g_free(s->login);
    g_free(s->full_name);
    g_clear_pointer(&s->report, kv_table_free);
    g_free(s);
}

static SessionState *read_state(KvStation *st, GError **error)
{
    const KvUser *user = kv_station_user(st);
    g_autoptr(KvShift) shift = NULL;
    g_autoptr(GError) local = NULL;
    SessionState *s = g_new0(SessionState, 1);

    if (user != NULL) {
        s->login = g_strdup(user->login);
        s->full_name = g_strdup(user->full_name);
        s->role = user->role;
        shift = kv_shift_current(st, &local);
        if (local != NULL) {
            g_propagate_error(error, g_steal_pointer(&local));
            session_state_free(s);
            return NULL;
        }
        s->shift_open = shift != NULL;
    }
    s->keys_unlocked = kv_station_keys_unlocked(st);
    return s;
}

static void apply_state(KvSession *self, const SessionState *s)
{
    g_object_freeze_notify(G_OBJECT(self));
    kv_session_set_user(self, s->login, s->full_name, s->role);
    kv_session_set_keys_unlocked(self, s->keys_unlocked);
    self->has_shift = s->shift_open;
    /* Selling needs both an open shift and the keys. */
    kv_session_set_shift_open(self, s->shift_open && s->keys_unlocked);
    g_object_thaw_notify(G_OBJECT(self));
}

static gint today(void)
{
    g_autoptr(GDateTime) now = g_date_time_new_from_unix_local(kv_now());
    int y, m, d;

    g_date_time_get_ymd(now, &y, &m, &d);
    return y * 10000 + m * 100 + d;
}

static gpointer sign_in_in_worker(KvSession *self, KvStation *st, gpointer data,
                                  GCancellable *cancellable, GError **error)
{
    Credentials *c = data;

    if (!kv_station_login(st, c->login, c->password, error))
        return NULL;
    /* Unlocked for the day: the first sign-in of another day finds them
     * locked, whoever signed out last. */
    if (g_atomic_int_get(&self->keys_policy) == KV_KEYS_PER_DAY &&
        kv_station_keys_unlocked(st) && self->unlocked_day != today())
        kv_station_lock_keys(st);
    return read_state(st, error);
}

static void on_state_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    GError *error = NULL;
    SessionState *s = g_task_propagate_pointer(G_TASK(result), &error);

    if (s == NULL) {
        g_task_return_error(task, error);
        return;
    }
    if (!g_task_return_error_if_cancelled(task)) {
        apply_state(KV_SESSION(source), s);
        g_task_return_pointer(task, g_steal_pointer(&s->report),
                              (GDestroyNotify)kv_table_free);
    }
    session_state_free(s);
}

static void run_state_job(KvSession *self, KvSessionFunc func, Credentials *c,
                          GCancellable *cancellable, GAsyncReadyCallback callback,
                          gpointer user_data, gpointer tag)
{
    GTask *task = g_task_new(self, cancellable, callback, user_data);

    g_task_set_source_tag(task, tag);
    run_job(self, func, TRUE, c, (GDestroyNotify)credentials_free,
            (GDestroyNotify)session_state_free, NULL, on_state_done_cb, task, tag);
}

void kv_session_sign_in_async(KvSession *self, const char *user, const char *password,
                              GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data)
{
    Credentials *c = g_new0(Credentials, 1);

    g_return_if_fail(KV_IS_SESSION(self));
    c->login = g_strdup(user);
    c->password = g_strdup(password);
    run_state_job(self, sign_in_in_worker, c, cancellable, callback, user_data,
                  kv_session_sign_in_async);
}

gboolean kv_session_sign_in_finish(KvSession *self, GAsyncResult *result, GError **error)
{
    GError *local = NULL;
    g_free(g_task_propagate_pointer(G_TASK(result), &local));

    if (local != NULL) {
        g_propagate_error(error, local);
        return FALSE;
    }
    return TRUE;
}

static gpointer open_shift_in_worker(KvSession *self, KvStation *st, gpointer data,
                                     GCancellable *cancellable, GError **error)
{
    Credentials *c = data;
    g_autoptr(KvShift) shift = NULL;
    GError *local = NULL;

    if (!kv_station_keys_unlocked(st)) {
        if (!kv_station_unlock_keys(st, c->passphrase, c->login, c->password, error))
            return NULL;
        self->unlocked_day = today();
    } else if (!kv_station_approve(st, c->login, c->password, "shift.approve", error)) {
        return NULL;
    }
    shift = kv_shift_current(st, &local);
    if (local != NULL) {
        g_propagate_error(error, local);
        return NULL;
    }
    if (shift == NULL && kv_shift_open(st, c->amount, error) <= 0)
        return NULL;
    return read_state(st, error);
}

void kv_session_open_shift_async(KvSession *self, const char *supervisor, const char *password,
                                 const char *passphrase, gint64 float_minor,
                                 GCancellable *cancellable, GAsyncReadyCallback callback,
                                 gpointer user_data)
{
    Credentials *c = g_new0(Credentials, 1);

    g_return_if_fail(KV_IS_SESSION(self));
    c->login = g_strdup(supervisor);
    c->password = g_strdup(password);
    c->passphrase = g_strdup(passphrase);
    c->amount = float_minor;
    run_state_job(self, open_shift_in_worker, c, cancellable, callback, user_data,
                  kv_session_open_shift_async);
}

gboolean kv_session_open_shift_finish(KvSession *self, GAsyncResult *result, GError **error)
{
    return kv_session_sign_in_finish(self, result, error);
}

static gpointer close_shift_in_worker(KvSession *self, KvStation *st, gpointer data,
                                      GCancellable *cancellable, GError **error)
{
    Credentials *c = data;
    g_autoptr(KvShift) shift = kv_shift_close(st, c->amount, error);
    g_autoptr(KvTable) report = NULL;
    SessionState *s;

    if (shift == NULL)
        return NULL;
    report = kv_report_shift(st, shift->id, error);
    if (report == NULL)
        return NULL;
    /* Unlocked for this shift: the next one unlocks them again.  Unlocked
     * for the day: they stay for the next cashier's shift. */
    if (g_atomic_int_get(&self->keys_policy) == KV_KEYS_PER_SHIFT)
        kv_station_lock_keys(st);
    s = read_state(st, error);
    if (s != NULL)
        s->report = g_steal_pointer(&report);
    return s;
}

void kv_session_close_shift_async(KvSession *self, gint64 counted_minor,
                                  GCancellable *cancellable, GAsyncReadyCallback callback,
                                  gpointer user_data)
{
    Credentials *c = g_new0(Credentials, 1);

    g_return_if_fail(KV_IS_SESSION(self));
    c->amount = counted_minor;
    run_state_job(self, close_shift_in_worker, c, cancellable, callback, user_data,
                  kv_session_close_shift_async);
}

KvTable *kv_session_close_shift_finish(KvSession *self, GAsyncResult *result, GError **error)
{
    return g_task_propagate_pointer(G_TASK(result), error);
}

static gpointer sign_out_in_worker(KvSession *self, KvStation *st, gpointer data,
                                   GCancellable *cancellable, GError **error)
{
    kv_station_logout(st);
    return GINT_TO_POINTER(1);
}

void kv_session_sign_out(KvSession *self)
{
    g_return_if_fail(KV_IS_SESSION(self));

    if (self->open)
        run_job(self, sign_out_in_worker, TRUE, NULL, NULL, NULL, NULL, NULL, NULL,
                kv_session_sign_out);
    kv_session_clear(self);
}

void kv_session_set_keys_policy(KvSession *self, KvKeysPolicy policy)
{
    g_return_if_fail(KV_IS_SESSION(self));
    g_atomic_int_set(&self->keys_policy, policy);
}

KvKeysPolicy kv_session_get_keys_policy(KvSession *self)
{
    g_return_val_if_fail(KV_IS_SESSION(self), KV_KEYS_PER_SHIFT);
    return g_atomic_int_get(&self->keys_policy);
}

gboolean kv_session_get_has_shift(KvSession *self)
{
    g_return_val_if_fail(KV_IS_SESSION(self), FALSE);
    return kv_session_get_signed_in(self) && self->has_shift;
}

/* ---- the card at the counter ------------------------------------------------ */

void kv_card_info_free(KvCardInfo *info)
{
    if (info == NULL)
        return;
    g_free(info->reader);
    g_free(info->read.card_status);
    g_clear_pointer(&info->meter, kv_meter_free);
    g_clear_pointer(&info->customer, kv_customer_free);
    g_clear_pointer(&info->last_sale, kv_sale_free);
    g_free(info);
}

KvCardService *kv_session_worker_card_service(KvSession *self, GError **error)
{
    if (self->card_service == NULL)
        self->card_service = kv_card_service_new(error);
    return self->card_service;
}

KvCardLink *kv_session_worker_take_card(KvSession *self, const char *reader, GError **error)
{
    KvCardLink *link;

    g_clear_pointer(&self->card, kv_card_link_free);
    link = kv_card_link_pcsc_open(reader, error);
    /* pcscd may have restarted: a new context for the next wait. */
    if (link == NULL && error != NULL && kv_card_error_is_service_lost(*error))
        g_clear_pointer(&self->card_service, kv_card_service_free);
    return link;
}

KvCardLink *kv_session_worker_card(KvSession *self)
{
    return self->card;
}

static gpointer read_card_in_worker(KvSession *self, KvStation *st, gpointer data,
                                    GCancellable *cancellable, GError **error)
{
    const char *reader = data;
    g_autoptr(KvCardInfo) info = g_new0(KvCardInfo, 1);
    KvCardLink *link = kv_session_worker_take_card(self, reader, error);
    g_autoptr(GError) local = NULL;

    if (link == NULL)
        return NULL;
    /* Kept for the sale that follows. */
    self->card = link;
    info->reader = g_strdup(kv_card_link_name(link));
    if (!kv_card_read(st, link, &info->read, error))
        return NULL;
    info->meter = kv_meter_get(st, info->read.view.id.meter_number, &local);
    if (info->meter == NULL) {
        /* A card of a meter this station does not know: show what the card
         * says; selling is refused by the core anyway. */
        g_clear_error(&local);
        return g_steal_pointer(&info);
    }
    if (info->meter->customer_id != 0) {
        info->customer = kv_customer_get(st, info->meter->customer_id, &local);
        g_clear_error(&local);
    }
    info->last_sale = kv_sale_last_of_meter(st, info->meter->number, &local);
    g_clear_error(&local);
    return g_steal_pointer(&info);
}

void kv_session_read_card_async(KvSession *self, const char *reader, GCancellable *cancellable,
                                GAsyncReadyCallback callback, gpointer user_data)
{
    g_return_if_fail(KV_IS_SESSION(self));
    run_job(self, read_card_in_worker, TRUE, g_strdup(reader), g_free,
            (GDestroyNotify)kv_card_info_free, cancellable, callback, user_data,
            kv_session_read_card_async);
}

KvCardInfo *kv_session_read_card_finish(KvSession *self, GAsyncResult *result, GError **error)
{
    return g_task_propagate_pointer(G_TASK(result), error);
}

static gpointer forget_card_in_worker(KvSession *self, KvStation *st, gpointer data,
                                      GCancellable *cancellable, GError **error)
{
    g_clear_pointer(&self->card, kv_card_link_free);
    return GINT_TO_POINTER(1);
}

void kv_session_forget_card(KvSession *self)
{
    g_return_if_fail(KV_IS_SESSION(self));
    run_job(self, forget_card_in_worker, FALSE, NULL, NULL, NULL, NULL, NULL, NULL,
            kv_session_forget_card);
}

void kv_session_set_watcher(KvSession *self, KvCardWatcher *watcher)
{
    g_return_if_fail(KV_IS_SESSION(self));
    g_set_object(&self->watcher, watcher);
}

KvCardWatcher *kv_session_get_watcher(KvSession *self)
{
    g_return_val_if_fail(KV_IS_SESSION(self), NULL);
    return self->watcher;
}

typedef struct {
    char *backup;
    KvProgressFunc progress;
    gpointer progress_data;
    GDestroyNotify progress_destroy;
} RestoreJob;

static void restore_job_free(RestoreJob *r)
{
    if (r->progress_destroy != NULL)
        r->progress_destroy(r->progress_data);
    g_free(r->backup);
    g_free(r);
}

static gpointer restore_in_worker(KvSession *self, KvStation *st, gpointer data,
                                  GCancellable *cancellable, GError **error)
{
    RestoreJob *r = data;
    /* Only an administrator may replace the ledger: checked while the
     * station is still open, since kv_station_restore runs without one. */
    if (!kv_station_require(st, KV_ROLE_ADMIN, error))
        return NULL;
    g_clear_pointer(&self->card, kv_card_link_free);
    g_clear_pointer(&self->station, kv_station_free);
    self->station_reopened = TRUE;
    if (!kv_station_restore_full(self->db_path, r->backup, r->progress, r->progress_data,
                                 cancellable, error)) {
        /* The old database is untouched: open it again. */
        self->station = open_station(self->db_path, self->keys_path, NULL);
        return NULL;
    }
    self->station = open_station(self->db_path, self->keys_path, error);
    return self->station != NULL ? GINT_TO_POINTER(1) : NULL;
}

static void on_restore_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(GTask) task = user_data;
    KvSession *self = KV_SESSION(source);
    GError *error = NULL;

    gboolean restored = g_task_propagate_pointer(G_TASK(result), &error) != NULL;

    /* The station was closed and opened again, restored or not: it has
     * nobody signed in, so neither has the app (sign in again). */
    if (restored || self->station_reopened) {
        kv_session_set_keys_unlocked(self, FALSE);
        kv_session_clear(self);
    }
    self->station_reopened = FALSE;
    if (!restored) {
        g_task_return_error(task, error);
        return;
    }
    g_task_return_boolean(task, TRUE);
}

void kv_session_restore_full_async(KvSession *self, const char *backup_path,
                                   KvProgressFunc progress, gpointer progress_data,
                                   GDestroyNotify progress_destroy, GCancellable *cancellable,
                                   GAsyncReadyCallback callback, gpointer user_data)
{
    GTask *task = g_task_new(self, cancellable, callback, user_data);
    RestoreJob *r = g_new0(RestoreJob, 1);

    r->backup = g_strdup(backup_path);
    r->progress = progress;
    r->progress_data = progress_data;
    r->progress_destroy = progress_destroy;
    g_task_set_source_tag(task, kv_session_restore_async);
    run_job(self, restore_in_worker, TRUE, r, (GDestroyNotify)restore_job_free, NULL,
            cancellable, on_restore_done_cb, task, kv_session_restore_async);
}

void kv_session_restore_async(KvSession *self, const char *backup_path,
                              GCancellable *cancellable, GAsyncReadyCallback callback,
                              gpointer user_data)
{
    kv_session_restore_full_async(self, backup_path, NULL, NULL, NULL, cancellable, callback,
                                  user_data);
}

gboolean kv_session_restore_finish(KvSession *self, GAsyncResult *result, GError **error)
{
    return g_task_propagate_boolean(G_TASK(result), error);
}
