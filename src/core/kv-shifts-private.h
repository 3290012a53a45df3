/* kv-shifts-private.h - shifts as the core's sales see them. */
#ifndef KV_SHIFTS_PRIVATE_H
#define KV_SHIFTS_PRIVATE_H

#include "kv-shifts.h"

G_BEGIN_DECLS

/* The current user's open shift: *id gets it, 0 if none. */
gboolean kv_shift_current_id(KvStation *st, gint64 *id, GError **error);

G_END_DECLS

#endif
