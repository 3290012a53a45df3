/* kv-card-service.h - the station's connection to pcscd: readers, and
 * waiting for cards to come and go.
 *
 * Part of the station core (GLib, no GTK).  Talks to pcscd with libpcsclite;
 * in tests and the demo the reader is vpcd and the card is kilovend-vcard.
 * The card in a reader is a KvCard (kv-card.h); every failure is a GError
 * in KV_CARD_ERROR (kv-card-error.h).
 */
#ifndef KV_CARD_SERVICE_H
#define KV_CARD_SERVICE_H

#include <gio/gio.h>

#include "kv-card-error.h"

G_BEGIN_DECLS

typedef struct _KvCardService KvCardService;

/* Connect to pcscd.  Fails with NO_PCSCD. */
KvCardService *kv_card_service_new(GError **error);
void kv_card_service_free(KvCardService *svc);

/* Reader names, NULL-terminated (g_strfreev). Empty vector if none. */
char **kv_card_service_list_readers(KvCardService *svc, GError **error);
/* Is the named reader still known to pcscd?  FALSE too when pcscd is not
 * there (after a failed write: reinsert the card, or reconnect the reader?). */
gboolean kv_card_service_has_reader(KvCardService *svc, const char *name);

typedef enum {
    KV_CARD_EVENT_NONE,
    KV_CARD_EVENT_INSERTED,
    KV_CARD_EVENT_REMOVED,
    KV_CARD_EVENT_READER_ADDED,
    KV_CARD_EVENT_READER_REMOVED
} KvCardEvent;

/* Wait up to timeout_ms for a change on the named reader (NULL: the first
 * reader, or any reader appearing).  Returns the event (NONE on timeout);
 * *reader_out (optional) gets the reader's name.  kv_card_service_cancel()
 * from another thread makes a pending wait return NONE at once. */
KvCardEvent kv_card_service_wait(KvCardService *svc, const char *reader, guint timeout_ms,
                                 char **reader_out, GError **error);
void kv_card_service_cancel(KvCardService *svc);

/* Wait until `want` happens on the named reader (NULL: the first), or the
 * cancellable is cancelled (G_IO_ERROR_CANCELLED).  wait_out_lost: a lost
 * reader or pcscd (kv_card_error_is_reader_lost) is waited out, for a
 * person at the station who plugs it back in or cancels; otherwise it
 * stops the wait with that error, like any other error. */
gboolean kv_card_service_wait_for(KvCardService *svc, const char *reader, KvCardEvent want,
                                  gboolean wait_out_lost, GCancellable *cancellable,
                                  GError **error);

G_END_DECLS

#endif
