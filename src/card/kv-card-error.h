/* kv-card-error.h - the card service's errors, and what they mean for the
 * person at the station: the one place that decides whether an error
 * means the reader or pcscd was lost, or the card was taken away.
 */
#ifndef KV_CARD_ERROR_H
#define KV_CARD_ERROR_H

#include <glib.h>

G_BEGIN_DECLS

#define KV_CARD_ERROR (kv_card_error_quark())
GQuark kv_card_error_quark(void);

typedef enum {
    KV_CARD_ERROR_NO_PCSCD,       /* the PC/SC service is not running */
    KV_CARD_ERROR_NO_READER,      /* no reader connected (or none of that name) */
    KV_CARD_ERROR_READER_GONE,    /* the reader was unplugged */
    KV_CARD_ERROR_READER_BUSY,    /* another program holds the reader */
    KV_CARD_ERROR_NO_CARD,        /* no card in the reader */
    KV_CARD_ERROR_CARD_REMOVED,   /* card pulled during an operation */
    KV_CARD_ERROR_NOT_SLE4442,    /* some other card (ATR or answers) */
    KV_CARD_ERROR_BLANK,          /* a blank card where an issued one was expected */
    KV_CARD_ERROR_OTHER_UTILITY,  /* issued by another utility */
    KV_CARD_ERROR_OTHER_METER,    /* bound to another meter */
    KV_CARD_ERROR_DAMAGED,        /* identity checksum/format wrong */
    KV_CARD_ERROR_LOCKED,         /* error counter at 0: read-only for ever */
    KV_CARD_ERROR_PSC_WRONG,      /* PSC refused; message says tries left */
    KV_CARD_ERROR_PSC_TRIES_LOW,  /* fewer than 3 tries left: refused unless forced */
    KV_CARD_ERROR_TORN,           /* write interrupted; message says the card's state */
    KV_CARD_ERROR_VERIFY,         /* read back differs from what was written */
    KV_CARD_ERROR_PROTECTED,      /* tried to write a protected byte */
    KV_CARD_ERROR_IO              /* any other reader/transport failure */
} KvCardError;

/* pcscd stopped or is not running: a new service (kv_card_service_new)
 * is needed once it is back. */
gboolean kv_card_error_is_service_lost(const GError *error);
/* The reader is out of reach: pcscd lost, no reader, or it was unplugged.
 * Reconnecting the reader (or pcscd) is what helps. */
gboolean kv_card_error_is_reader_lost(const GError *error);
/* The card went away: taken out (maybe midway through a write), or not
 * there.  Putting the card back is what helps. */
gboolean kv_card_error_is_card_lost(const GError *error);

G_END_DECLS

#endif
