/* kv-card-service.h - the station's access to SLE4442 cards through PC/SC.
 *
 * Part of the station core (GLib, no GTK).  Talks to pcscd with libpcsclite
 * and drives ACS-style readers (ACR39U, ACR38U-CCID, ACR3901U) with their
 * pseudo-APDUs; in tests and the demo the reader is vpcd and the card is
 * kilovend-vcard.  Every failure is a GError in KV_CARD_ERROR with a code a
 * cashier can act on.
 */
#ifndef KV_CARD_SERVICE_H
#define KV_CARD_SERVICE_H

#include <glib.h>

#include "kv_card.h"

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

/* Counters of what a card session cost (benchmarks, receipts of a sale). */
typedef struct {
    guint apdus;
    guint bytes_read;
    guint bytes_written;
} KvCardStats;

typedef struct _KvCardService KvCardService;
typedef struct _KvCard KvCard;

/* Connect to pcscd.  Fails with NO_PCSCD. */
KvCardService *kv_card_service_new(GError **error);
void kv_card_service_free(KvCardService *svc);

/* Reader names, NULL-terminated (g_strfreev). Empty vector if none. */
char **kv_card_service_list_readers(KvCardService *svc, GError **error);

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

/* Connect to the card in the reader (NULL: first reader with a card),
 * check it is an SLE4442, select the card type and read all 256 bytes,
 * the protection bits and the error counter. */
KvCard *kv_card_connect(KvCardService *svc, const char *reader, GError **error);
void kv_card_free(KvCard *card);

const char *kv_card_reader_name(KvCard *card);
/* The main memory as last read or written (256 bytes). */
const guint8 *kv_card_image(KvCard *card);
/* Read the main memory again (after a write, or to check the card is still there). */
gboolean kv_card_refresh(KvCard *card, GError **error);
/* Protection bits as read: bit i of the 32-bit value = byte i writable. */
guint32 kv_card_protection(KvCard *card);
/* PSC tries left (0..3), as read from the error counter. */
guint kv_card_tries_left(KvCard *card);

/* Present the PSC.  Reads the error counter first; refuses (PSC_TRIES_LOW)
 * when fewer than 3 tries remain unless force is TRUE (a supervisor's
 * decision); never retries; on a wrong code the error says how many tries
 * are left.  LOCKED if the counter is 0. */
gboolean kv_card_present_psc(KvCard *card, const guint8 psc[3], gboolean force, GError **error);
/* Change the PSC (after a successful presentation). */
gboolean kv_card_change_psc(KvCard *card, const guint8 psc[3], GError **error);

/* Write data at offset: only the bytes that differ from the card, in
 * increasing address order, then read the range back and compare (VERIFY on
 * mismatch).  A card pulled midway gives CARD_REMOVED/TORN with the number
 * of bytes written in the message. */
gboolean kv_card_write(KvCard *card, guint offset, const guint8 *data, guint len,
                       GError **error);
/* Lock bytes 0..31 with the protection bits (compare-to-protect). */
gboolean kv_card_lock_identity(KvCard *card, GError **error);

KvCardStats kv_card_stats(KvCard *card);

/* Decode the card's identity (from the image as last read) and check it
 * belongs here: BLANK (never issued), DAMAGED (checksum, format, fields),
 * OTHER_UTILITY, OTHER_METER.  meter_number 0 accepts any meter of the
 * utility.  id (optional) gets the identity when it decodes. */
gboolean kv_card_identify(KvCard *card, guint32 utility_code, guint32 meter_number,
                          kv_identity *id, GError **error);

G_END_DECLS

#endif
