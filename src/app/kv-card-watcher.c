/* kv-card-watcher.c - a thread waiting on the card service for changes.
 *
 * Signals (main thread):
 *   card-inserted (reader)   a card went in
 *   card-removed (reader)    it came out
 *   notify::state            the reader's state changed (see get_message)
 */
#define G_LOG_DOMAIN "kv-card-watcher"

#include "config.h"

#include <glib/gi18n.h>

#include "kv-card-service.h"
#include "kv-card-watcher.h"

struct _KvCardWatcher {
    GObject parent_instance;

    GThread *thread;
    GMutex lock;          /* guards reader, stop, svc */
    char *reader;         /* wanted reader, NULL = first */
    gboolean stop;
    KvCardService *svc;   /* the thread's, to cancel a wait */

    /* main thread */
    KvReaderState state;
    char *reader_name;
    char *message;
};

G_DEFINE_FINAL_TYPE(KvCardWatcher, kv_card_watcher, G_TYPE_OBJECT)

enum { SIGNAL_CARD_INSERTED, SIGNAL_CARD_REMOVED, N_SIGNALS };
static guint signals[N_SIGNALS];

enum { PROP_0, PROP_STATE, N_PROPS };
static GParamSpec *properties[N_PROPS];

/* One change, carried from the thread to the main loop. */
typedef struct {
    KvCardWatcher *self;
    KvReaderState state;
    char *reader;
    char *message;
    int signal; /* -1: none */
} Change;

static gboolean deliver_change(gpointer data)
{
    Change *c = data;
    KvCardWatcher *self = c->self;
    gboolean changed = self->state != c->state || g_strcmp0(self->message, c->message) != 0;

    g_free(self->reader_name);
    self->reader_name = g_strdup(c->reader);
    g_free(self->message);
    self->message = g_strdup(c->message);
    self->state = c->state;
    if (c->signal >= 0)
        g_signal_emit(self, signals[c->signal], 0, c->reader);
    if (changed)
        g_object_notify_by_pspec(G_OBJECT(self), properties[PROP_STATE]);

    g_object_unref(c->self);
    g_free(c->reader);
    g_free(c->message);
    g_free(c);
    return G_SOURCE_REMOVE;
}

static void post_change(KvCardWatcher *self, KvReaderState state, const char *reader,
                        const char *message, int signal)
{
    Change *c = g_new0(Change, 1);

    c->self = g_object_ref(self);
    c->state = state;
    c->reader = g_strdup(reader);
    c->message = g_strdup(message);
    c->signal = signal;
    g_idle_add_full(G_PRIORITY_DEFAULT, deliver_change, c, NULL);
}

static gboolean should_stop(KvCardWatcher *self)
{
    gboolean stop;

    g_mutex_lock(&self->lock);
    stop = self->stop;
    g_mutex_unlock(&self->lock);
    return stop;
}

/* Sleep in small steps so that stop is seen quickly. */
static void nap(KvCardWatcher *self, guint ms)
{
    for (guint t = 0; t < ms && !should_stop(self); t += 50)
        g_usleep(50 * 1000);
}

static gpointer watch_thread(gpointer data)
{
    KvCardWatcher *self = data;
    KvCardService *svc = NULL;
    gboolean card_in = FALSE;
    char *current = NULL;

    while (!should_stop(self)) {
        g_autoptr(GError) error = NULL;
        g_autofree char *wanted = NULL;
        g_autofree char *reader_out = NULL;
        KvCardEvent ev;

        if (svc == NULL) {
            svc = kv_card_service_new(&error);
            if (svc == NULL) {
                post_change(self, KV_READER_STATE_NO_SERVICE, NULL,
                            _("The smart card service (pcscd) is not running. Start it, "
                              "or ask the station's administrator."),
                            card_in ? SIGNAL_CARD_REMOVED : -1);
                card_in = FALSE;
                nap(self, 2000);
                continue;
            }
            g_mutex_lock(&self->lock);
            self->svc = svc;
            g_mutex_unlock(&self->lock);
        }

        g_mutex_lock(&self->lock);
        wanted = g_strdup(self->reader);
        g_mutex_unlock(&self->lock);

        ev = kv_card_service_wait(svc, wanted, 1000, &reader_out, &error);
        if (error != NULL) {
            gboolean service_gone = kv_card_error_is_service_lost(error);
            g_autofree char *msg = NULL;

            if (service_gone)
                msg = g_strdup(_("The smart card service (pcscd) stopped. The station "
                                 "reconnects when it is back."));
            else if (wanted != NULL)
                msg = g_strdup_printf(_("The card reader “%s” is not connected. Plug it "
                                        "in, or choose another reader in Administration."),
                                      wanted);
            else
                msg = g_strdup(_("No card reader is connected. Plug in the reader."));
            post_change(self, service_gone ? KV_READER_STATE_NO_SERVICE
                                           : KV_READER_STATE_NO_READER,
                        NULL, msg, card_in ? SIGNAL_CARD_REMOVED : -1);
            card_in = FALSE;
            g_clear_pointer(&current, g_free);
            if (service_gone) {
                g_mutex_lock(&self->lock);
                self->svc = NULL;
                g_mutex_unlock(&self->lock);
                kv_card_service_free(svc);
                svc = NULL;
            }
            nap(self, 1000);
            continue;
        }
        switch (ev) {
        case KV_CARD_EVENT_INSERTED:
            card_in = TRUE;
            g_free(current);
            current = g_strdup(reader_out);
            post_change(self, KV_READER_STATE_CARD, reader_out,
                        _("A card is in the reader."), SIGNAL_CARD_INSERTED);
            break;
        case KV_CARD_EVENT_REMOVED:
            card_in = FALSE;
            post_change(self, KV_READER_STATE_EMPTY, reader_out,
                        _("The reader is ready: insert a card."), SIGNAL_CARD_REMOVED);
            break;
        case KV_CARD_EVENT_READER_ADDED:
            post_change(self, KV_READER_STATE_EMPTY, reader_out,
                        _("The reader is ready: insert a card."), -1);
            break;
        case KV_CARD_EVENT_READER_REMOVED:
            post_change(self, KV_READER_STATE_NO_READER, NULL,
                        _("The card reader was unplugged. Plug it in again."),
                        card_in ? SIGNAL_CARD_REMOVED : -1);
            card_in = FALSE;
            break;
        case KV_CARD_EVENT_NONE:
        default:
            /* A timeout: state unchanged.  The first one tells us the
             * reader is there and empty. */
            if (!card_in && reader_out != NULL)
                post_change(self, KV_READER_STATE_EMPTY, reader_out,
                            _("The reader is ready: insert a card."), -1);
            break;
        }
    }

    g_mutex_lock(&self->lock);
    self->svc = NULL;
    g_mutex_unlock(&self->lock);
    if (svc != NULL)
        kv_card_service_free(svc);
    g_free(current);
    return NULL;
}

static void kv_card_watcher_dispose(GObject *object)
{
    kv_card_watcher_stop(KV_CARD_WATCHER(object));
    G_OBJECT_CLASS(kv_card_watcher_parent_class)->dispose(object);
}

static void kv_card_watcher_finalize(GObject *object)
{
    KvCardWatcher *self = KV_CARD_WATCHER(object);

    g_mutex_clear(&self->lock);
    g_free(self->reader);
    g_free(self->reader_name);
    g_free(self->message);
    G_OBJECT_CLASS(kv_card_watcher_parent_class)->finalize(object);
}

static void kv_card_watcher_get_property(GObject *object, guint prop_id, GValue *value,
                                         GParamSpec *pspec)
{
    KvCardWatcher *self = KV_CARD_WATCHER(object);

    switch (prop_id) {
    case PROP_STATE:
        g_value_set_int(value, self->state);
        break;
    default:
        G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
    }
}

static void kv_card_watcher_class_init(KvCardWatcherClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);

    object_class->dispose = kv_card_watcher_dispose;
    object_class->finalize = kv_card_watcher_finalize;
    object_class->get_property = kv_card_watcher_get_property;

    properties[PROP_STATE] =
        g_param_spec_int("state", NULL, NULL, KV_READER_STATE_STARTING, KV_READER_STATE_CARD,
                         KV_READER_STATE_STARTING, G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
    g_object_class_install_properties(object_class, N_PROPS, properties);

    signals[SIGNAL_CARD_INSERTED] =
        g_signal_new("card-inserted", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
                     NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
    signals[SIGNAL_CARD_REMOVED] =
        g_signal_new("card-removed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
                     NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void kv_card_watcher_init(KvCardWatcher *self)
{
    g_mutex_init(&self->lock);
    self->message = g_strdup(_("Looking for the card reader…"));
}

KvCardWatcher *kv_card_watcher_new(const char *reader)
{
    KvCardWatcher *self = g_object_new(KV_TYPE_CARD_WATCHER, NULL);

    self->reader = reader != NULL && *reader != '\0' ? g_strdup(reader) : NULL;
    return self;
}

void kv_card_watcher_start(KvCardWatcher *self)
{
    g_return_if_fail(KV_IS_CARD_WATCHER(self));

    if (self->thread != NULL)
        return;
    self->stop = FALSE;
    /* The thread holds no reference: stop() joins it before the object goes. */
    self->thread = g_thread_new("kv-card-watcher", watch_thread, self);
}

void kv_card_watcher_stop(KvCardWatcher *self)
{
    g_return_if_fail(KV_IS_CARD_WATCHER(self));

    if (self->thread == NULL)
        return;
    g_mutex_lock(&self->lock);
    self->stop = TRUE;
    if (self->svc != NULL)
        kv_card_service_cancel(self->svc);
    g_mutex_unlock(&self->lock);
    g_thread_join(self->thread);
    self->thread = NULL;
}

void kv_card_watcher_set_reader(KvCardWatcher *self, const char *reader)
{
    g_return_if_fail(KV_IS_CARD_WATCHER(self));

    g_mutex_lock(&self->lock);
    g_free(self->reader);
    self->reader = reader != NULL && *reader != '\0' ? g_strdup(reader) : NULL;
    if (self->svc != NULL)
        kv_card_service_cancel(self->svc);
    g_mutex_unlock(&self->lock);
}

KvReaderState kv_card_watcher_get_state(KvCardWatcher *self)
{
    g_return_val_if_fail(KV_IS_CARD_WATCHER(self), KV_READER_STATE_STARTING);
    return self->state;
}

const char *kv_card_watcher_get_reader_name(KvCardWatcher *self)
{
    g_return_val_if_fail(KV_IS_CARD_WATCHER(self), NULL);
    return self->reader_name;
}

const char *kv_card_watcher_get_message(KvCardWatcher *self)
{
    g_return_val_if_fail(KV_IS_CARD_WATCHER(self), NULL);
    return self->message;
}
