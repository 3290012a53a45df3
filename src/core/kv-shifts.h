/* kv-shifts.h - cashier shifts: open, current, close with the cash count
 * (layer: registry). */
#ifndef KV_SHIFTS_H
#define KV_SHIFTS_H

#include "kv-station.h"

G_BEGIN_DECLS

typedef struct {
    gint64 id;
    gint64 cashier_id;
    char *cashier_login;
    gint64 opened_at;
    gint64 closed_at;      /* 0 = open */
    gint64 opening_float;
    gint64 expected_cash;  /* float + completed sales (computed if open) */
    gint64 counted_cash;   /* -1 = not counted */
} KvShift;
void kv_shift_free(KvShift *s);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvShift, kv_shift_free)

gint64 kv_shift_open(KvStation *st, gint64 opening_float, GError **error);
/* The current user's open shift, or NULL (no error) if none. */
KvShift *kv_shift_current(KvStation *st, GError **error);
/* Close with the cash counted; refuses while a sale of the shift is unresolved. */
KvShift *kv_shift_close(KvStation *st, gint64 counted_cash, GError **error);
KvShift *kv_shift_get(KvStation *st, gint64 id, GError **error);
/* Supervisor: the newest shifts of every cashier (KvShift *), at most limit. */
GPtrArray *kv_shift_list(KvStation *st, guint limit, GError **error);

G_END_DECLS

#endif
