/* kv-card-service.c - the connection to pcscd: readers, hot-plug events.
 *
 * Card sessions are in kv-card.c.  Events come from SCardGetStatusChange on
 * a context of their own, so that a thread waiting for a card never holds up
 * another thread's card session.  The service survives pcscd restarts (the
 * Debian socket-activated pcscd exits when idle): a lost context is
 * established again, and readers that did not come back are reported gone.
 */
#include "kv-card-private.h"

#include <string.h>

#define PNP_READER "\\\\?PnP?\\Notification"
/* While pcscd is away, how often a wait looks for it again. */
#define REVIVE_POLL_MS 100

static void seen_free(gpointer p)
{
    g_free(p);
}

KvCardService *kv_card_service_new(GError **error)
{
    KvCardService *svc = g_new0(KvCardService, 1);
    LONG rv;

    g_mutex_init(&svc->lock);
    svc->known = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, seen_free);
    rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &svc->ctx);
    if (rv == SCARD_S_SUCCESS)
        rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &svc->wait_ctx);
    if (rv != SCARD_S_SUCCESS) {
        /* Any failure to reach pcscd at all means it is not running. */
        g_set_error(error, KV_CARD_ERROR, KV_CARD_ERROR_NO_PCSCD,
                    "Cannot reach the PC/SC service: pcscd is not running; start it "
                    "(systemctl start pcscd.socket) and try again (%s)",
                    pcsc_stringify_error(rv));
        kv_card_service_free(svc);
        return NULL;
    }
    return svc;
}

void kv_card_service_free(KvCardService *svc)
{
    if (!svc)
        return;
    if (svc->ctx)
        SCardReleaseContext(svc->ctx);
    if (svc->wait_ctx)
        SCardReleaseContext(svc->wait_ctx);
    g_hash_table_destroy(svc->known);
    g_mutex_clear(&svc->lock);
    g_free(svc);
}

SCARDCONTEXT kv_card_service_context(KvCardService *svc)
{
    SCARDCONTEXT c;
    g_mutex_lock(&svc->lock);
    c = svc->ctx;
    g_mutex_unlock(&svc->lock);
    return c;
}

static gboolean revive_one(SCARDCONTEXT *slot, GMutex *lock, GError **error)
{
    SCARDCONTEXT fresh = 0, old;
    LONG rv = SCardEstablishContext(SCARD_SCOPE_SYSTEM, NULL, NULL, &fresh);
    if (rv != SCARD_S_SUCCESS) {
        g_set_error(error, KV_CARD_ERROR, KV_CARD_ERROR_NO_PCSCD,
                    "The PC/SC service (pcscd) stopped: start it "
                    "(systemctl start pcscd.socket) and try again (%s)",
                    pcsc_stringify_error(rv));
        return FALSE;
    }
    g_mutex_lock(lock);
    old = *slot;
    *slot = fresh;
    g_mutex_unlock(lock);
    if (old)
        SCardReleaseContext(old);
    return TRUE;
}

gboolean kv_card_service_revive(KvCardService *svc, GError **error)
{
    return revive_one(&svc->ctx, &svc->lock, error);
}

char **kv_card_service_list_readers_on(SCARDCONTEXT ctx, GError **error)
{
    DWORD len = 0;
    LONG rv;
    g_autofree char *buf = NULL;
    GPtrArray *names;

    rv = SCardListReaders(ctx, NULL, NULL, &len);
    if (rv == SCARD_E_NO_READERS_AVAILABLE)
        return g_new0(char *, 1);
    if (rv == SCARD_S_SUCCESS) {
        buf = g_malloc0(len + 1);
        rv = SCardListReaders(ctx, NULL, buf, &len);
    }
    if (rv == SCARD_E_NO_READERS_AVAILABLE)
        return g_new0(char *, 1);
    if (rv != SCARD_S_SUCCESS) {
        kv_card_error_set_pcsc(error, rv, "Cannot list the card readers");
        return NULL;
    }
    /* A multi-string: names separated by NUL, ended by an empty name. */
    names = g_ptr_array_new();
    for (const char *p = buf; p < buf + len && *p; p += strlen(p) + 1)
        g_ptr_array_add(names, g_strdup(p));
    g_ptr_array_add(names, NULL);
    return (char **)g_ptr_array_free(names, FALSE);
}

char **kv_card_service_list_readers(KvCardService *svc, GError **error)
{
    g_autoptr(GError) local = NULL;
    char **names;

    g_return_val_if_fail(svc, NULL);
    names = kv_card_service_list_readers_on(kv_card_service_context(svc), &local);
    if (!names && kv_card_error_is_service_lost(local)) {
        /* pcscd may have restarted since: one new context, no more. */
        g_clear_error(&local);
        if (kv_card_service_revive(svc, &local))
            names = kv_card_service_list_readers_on(kv_card_service_context(svc), &local);
    }
    if (!names)
        g_propagate_error(error, g_steal_pointer(&local));
    return names;
}

gboolean kv_card_service_has_reader(KvCardService *svc, const char *name)
{
    g_auto(GStrv) names = NULL;

    if (name == NULL)
        return FALSE;
    names = kv_card_service_list_readers(svc, NULL);
    return names != NULL && g_strv_contains((const char *const *)names, name);
}

void kv_card_service_cancel(KvCardService *svc)
{
    g_return_if_fail(svc);
    g_atomic_int_set(&svc->cancelled, 1);
    g_mutex_lock(&svc->lock);
    if (svc->wait_ctx)
        SCardCancel(svc->wait_ctx);
    g_mutex_unlock(&svc->lock);
}

static SCARDCONTEXT wait_context(KvCardService *svc)
{
    SCARDCONTEXT c;
    g_mutex_lock(&svc->lock);
    c = svc->wait_ctx;
    g_mutex_unlock(&svc->lock);
    return c;
}

static gboolean reader_watched(const char *reader, const char *name)
{
    return !reader || !strcmp(reader, name);
}

static KvCardEvent report(KvCardEvent ev, const char *name, char **reader_out)
{
    if (reader_out)
        *reader_out = g_strdup(name);
    return ev;
}

/* One difference between the readers pcscd lists and those last reported,
 * or NONE. */
static KvCardEvent reader_change(KvCardService *svc, const char *reader, char **names,
                                 char **reader_out)
{
    GHashTableIter it;
    gpointer key;

    g_hash_table_iter_init(&it, svc->known);
    while (g_hash_table_iter_next(&it, &key, NULL)) {
        if (!g_strv_contains((const char *const *)names, key)) {
            g_autofree char *name = g_strdup(key);
            g_hash_table_iter_remove(&it);
            return report(KV_CARD_EVENT_READER_REMOVED, name, reader_out);
        }
    }
    for (char **n = names; *n; n++) {
        if (reader_watched(reader, *n) && !g_hash_table_contains(svc->known, *n)) {
            g_hash_table_insert(svc->known, g_strdup(*n), g_new0(KvReaderSeen, 1));
            return report(KV_CARD_EVENT_READER_ADDED, *n, reader_out);
        }
    }
    return KV_CARD_EVENT_NONE;
}

KvCardEvent kv_card_service_wait(KvCardService *svc, const char *reader, guint timeout_ms,
                                 char **reader_out, GError **error)
{
    gint64 deadline;

    g_return_val_if_fail(svc, KV_CARD_EVENT_NONE);
    if (reader_out)
        *reader_out = NULL;
    g_atomic_int_set(&svc->cancelled, 0);
    deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;

    for (;;) {
        g_autoptr(GError) local = NULL;
        g_auto(GStrv) names = NULL;
        SCARD_READERSTATE st[2];
        const char *watch = NULL;
        KvReaderSeen *seen = NULL;
        KvCardEvent ev;
        DWORD n = 0;
        LONG rv;
        gint64 left_ms;

        if (g_atomic_int_get(&svc->cancelled))
            return KV_CARD_EVENT_NONE;
        left_ms = (deadline - g_get_monotonic_time()) / 1000;
        if (left_ms < 0)
            left_ms = 0;

        names = kv_card_service_list_readers_on(wait_context(svc), &local);
        if (!names) {
            if (!kv_card_error_is_service_lost(local)) {
                g_propagate_error(error, g_steal_pointer(&local));
                return KV_CARD_EVENT_NONE;
            }
            /* pcscd went away: its readers are gone with it.  Report them
             * one by one, then wait for pcscd to come back. */
            names = g_new0(char *, 1);
            ev = reader_change(svc, reader, names, reader_out);
            if (ev != KV_CARD_EVENT_NONE)
                return ev;
            g_clear_error(&local);
            if (revive_one(&svc->wait_ctx, &svc->lock, &local))
                continue;
            if (left_ms == 0) {
                g_propagate_error(error, g_steal_pointer(&local));
                return KV_CARD_EVENT_NONE;
            }
            g_usleep(MIN(left_ms, REVIVE_POLL_MS) * 1000);
            continue;
        }

        ev = reader_change(svc, reader, names, reader_out);
        if (ev != KV_CARD_EVENT_NONE)
            return ev;

        /* The reader whose card is watched: the named one, or the first. */
        for (char **p = names; *p && !watch; p++)
            if (reader_watched(reader, *p))
                watch = *p;
        memset(st, 0, sizeof st);
        if (watch) {
            seen = g_hash_table_lookup(svc->known, watch);
            st[n].szReader = watch;
            st[n].dwCurrentState = (seen->card ? SCARD_STATE_PRESENT : SCARD_STATE_EMPTY) |
                                   ((DWORD)seen->events << 16);
            n++;
        }
        st[n].szReader = PNP_READER;
        st[n].dwCurrentState = (DWORD)g_strv_length(names) << 16;
        n++;

        rv = SCardGetStatusChange(wait_context(svc), (DWORD)left_ms, st, n);
        if (rv == SCARD_E_TIMEOUT || rv == SCARD_E_CANCELLED)
            return KV_CARD_EVENT_NONE;
        if (kv_card_error_pcsc_lost(rv))
            continue; /* handled at the top: readers gone, pcscd revived */
        if (rv != SCARD_S_SUCCESS) {
            kv_card_error_set_pcsc(error, rv, "Cannot watch the card reader");
            return KV_CARD_EVENT_NONE;
        }
        if (watch && (st[0].dwEventState & SCARD_STATE_CHANGED) &&
            !(st[0].dwEventState & (SCARD_STATE_UNKNOWN | SCARD_STATE_UNAVAILABLE))) {
            gboolean card = (st[0].dwEventState & SCARD_STATE_PRESENT) != 0;
            guint events = (st[0].dwEventState >> 16) & 0xFFFF;
            gboolean swapped = card && seen->card && events != seen->events;

            seen->events = events;
            if (swapped) {
                /* Taken out and put back (maybe another card) between two
                 * waits: report the removal; the next wait reports the
                 * insertion. */
                seen->card = FALSE;
                return report(KV_CARD_EVENT_REMOVED, watch, reader_out);
            }
            if (card != seen->card) {
                seen->card = card;
                return report(card ? KV_CARD_EVENT_INSERTED : KV_CARD_EVENT_REMOVED, watch,
                              reader_out);
            }
        }
        if (left_ms == 0)
            return KV_CARD_EVENT_NONE;
        /* The reader list changed (or a change we do not report): look again. */
    }
}

/* Short waits, so that a cancellation not wired to kv_card_service_cancel
 * is still seen soon. */
#define WAIT_FOR_POLL_MS 300

gboolean kv_card_service_wait_for(KvCardService *svc, const char *reader, KvCardEvent want,
                                  gboolean wait_out_lost, GCancellable *cancellable,
                                  GError **error)
{
    for (;;) {
        g_autoptr(GError) local = NULL;
        KvCardEvent ev;

        if (g_cancellable_set_error_if_cancelled(cancellable, error))
            return FALSE;
        ev = kv_card_service_wait(svc, reader, WAIT_FOR_POLL_MS, NULL, &local);
        if (local && !(wait_out_lost && kv_card_error_is_reader_lost(local))) {
            g_propagate_error(error, g_steal_pointer(&local));
            return FALSE;
        }
        if (ev == want)
            return TRUE;
    }
}
