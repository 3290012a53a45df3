/* kv-card-report.h - what is on a card, for people (text) and tools (JSON).
 *
 * Used by `kilovendctl card read` and the app's card details.  Works from
 * a 256-byte image: without keys it shows what anyone can read (identity,
 * which slots are written); with the meter's keys it opens the token and
 * the meter's readback.  Never prints a key or a PSC.
 */
#ifndef KV_CARD_REPORT_H
#define KV_CARD_REPORT_H

#include <glib.h>

#include "kv-card.h"
#include "kv_card.h"

G_BEGIN_DECLS

/* What the reader knows beyond the image; all optional. */
typedef struct {
    const char *reader;   /* NULL: not shown */
    gint tries_left;      /* -1: not shown */
    gint64 protection;    /* -1: not shown; else bit i = byte i writable */
} KvCardReportExtra;

#define KV_CARD_REPORT_EXTRA_NONE ((KvCardReportExtra){NULL, -1, -1})

/* Fill extra from a connected card. */
void kv_card_report_extra_from_card(KvCard *card, KvCardReportExtra *extra);

/* keys: the keys of the meter the card is bound to, or NULL. */
GString *kv_card_report_text(const guint8 image[KV_CARD_SIZE], const kv_meter_keys *keys,
                             const KvCardReportExtra *extra);
/* One JSON object with up to four members, each an object: "card" (reader,
 * atr, psc_tries_left, identity_locked: what extra gives), "identity"
 * (state, and when issued card_type, utility, serial, meter, key_version,
 * format; error when not), "token" and "readback" (state, then the record's
 * fields as integers in 0.01 kWh, seconds since 1970 UTC, W; error when
 * none; slot_a_written/slot_b_written when opened without keys). */
GString *kv_card_report_json(const guint8 image[KV_CARD_SIZE], const kv_meter_keys *keys,
                             const KvCardReportExtra *extra);

const char *kv_card_type_name(unsigned card_type);

G_END_DECLS

#endif
