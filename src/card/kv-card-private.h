/* kv-card-private.h - what the card service's files share (not installed). */
#ifndef KV_CARD_PRIVATE_H
#define KV_CARD_PRIVATE_H

#include <PCSC/winscard.h>
#include <PCSC/wintypes.h>

#include "kv-card.h"

struct _KvCardService {
    GMutex lock;           /* guards the two context handles */
    SCARDCONTEXT ctx;      /* reader list and card sessions */
    SCARDCONTEXT wait_ctx; /* kv_card_service_wait only: it blocks in pcscd,
                            * and a context serialises its calls */
    GHashTable *known;     /* reader name -> KvReaderSeen, as last reported */
    gint cancelled;
};

/* What kv_card_service_wait last reported for a reader. */
typedef struct {
    gboolean card;
    guint events; /* pcscd's event counter for the reader */
} KvReaderSeen;

/* Set error from a PC/SC return code; `what` says what was being done. */
void kv_card_error_set_pcsc(GError **error, LONG rv, const char *what);
/* Is rv the sign that pcscd went away (stopped or restarted)? */
gboolean kv_card_error_pcsc_lost(LONG rv);
/* Establish the service's context again after pcscd restarted.  NO_PCSCD
 * if it is still not there. */
gboolean kv_card_service_revive(KvCardService *svc, GError **error);
/* Reader names (NULL-terminated) on the given context; an empty vector if
 * none; NULL with error on failure. */
char **kv_card_service_list_readers_on(SCARDCONTEXT ctx, GError **error);
SCARDCONTEXT kv_card_service_context(KvCardService *svc);

#endif
