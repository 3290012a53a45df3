/* kv-revenue.h - revenue protection: the meters that cost money, found in
 * the readbacks their cards bring back (docs/station.md, "Revenue
 * protection"). */
#ifndef KV_REVENUE_H
#define KV_REVENUE_H

#include "kv-reports.h"

G_BEGIN_DECLS

typedef struct {
    guint absent_days;  /* a card not back for this many days (0: 60) */
    guint drop_pct;     /* consumption falling by at least this much (0: 50) */
} KvRevenueParams;

/* Supervisor: a row per meter and finding, each naming the meter (its
 * history: kv_report_meter) and what was seen, events decoded by name:
 *   tamper             a readback's tamper bit or a tamper event (cover
 *                      opened, reverse energy, phase loss, relay fault,
 *                      memory tampered)
 *   loaded-above-sold  a readback loaded more than the station had sold
 *   card-absent        an active meter with sales whose card has not come
 *                      back for absent_days (or never)
 *   consumption-drop   the daily consumption between the last two
 *                      readbacks fell by drop_pct % or more against the
 *                      interval before
 *   over-zero          a readback with the remaining credit below zero
 * The counts per finding in the summary. */
KvTable *kv_report_revenue(KvStation *st, gint64 now, const KvRevenueParams *p, GError **error);

G_END_DECLS

#endif
