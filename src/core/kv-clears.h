/* kv-clears.h - credit a clear-credit card emptied from a meter, as the
 * readback on that card proves it (layer: readback; core-private).
 *
 * The meter keeps the credit it ever cleared and writes it in the readback
 * on every clear-credit card (docs/card-format.md, readback format 2).  The
 * station records, per meter, what a report adds to the highest total it
 * recorded before: the same report read twice, the card inserted again
 * (the meter refuses it as a replay and writes the same total) or a dump
 * of the card record nothing more.  A total below the highest recorded (a
 * meter whose internal flash was erased and provisioned again) records
 * nothing and is left to a supervisor. */
#ifndef KV_CLEARS_H
#define KV_CLEARS_H

#include "kv-registry.h"
#include "kv-station.h"
#include "kv_card.h"

G_BEGIN_DECLS

/* Inside the readback import's transaction: view is a card whose readback
 * MAC-verified.  A clear-credit card's report above the meter's highest
 * recorded total is recorded (credit_clears, audit meter.credit-cleared,
 * the token marked applied) and *recorded set; anything else does
 * nothing. */
gboolean kv_clears_record(KvStation *st, const KvMeter *m, const kv_card_view *view,
                          gboolean *recorded, GError **error);

/* The highest credit-ever-cleared total recorded for the meter (0: none)
 * and, in *unrefunded when not NULL, the credit recorded cleared that no
 * refund paid back yet; -1 on error. */
gint64 kv_clears_total(KvStation *st, guint32 meter, gint64 *unrefunded, GError **error);

G_END_DECLS

#endif
