/* kv-card.h - an SLE4442 card in a PC/SC reader.
 *
 * Drives ACS-style readers (ACR39U, ACR38U-CCID, ACR3901U) with their
 * pseudo-APDUs.  Every failure is a GError in KV_CARD_ERROR with a code a
 * cashier can act on (kv-card-error.h).
 */
#ifndef KV_CARD_SERVICE_CARD_H
#define KV_CARD_SERVICE_CARD_H

#include <glib.h>

#include "kv-card-service.h"
#include "kv_card.h"

G_BEGIN_DECLS

/* Counters of what a card session cost (benchmarks, receipts of a sale). */
typedef struct {
    guint apdus;
    guint bytes_read;
    guint bytes_written;
} KvCardStats;

typedef struct _KvCard KvCard;

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
