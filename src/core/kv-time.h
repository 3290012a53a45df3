/* kv-time.h - the core's clock and calendar (layer: base). */
#ifndef KV_TIME_H
#define KV_TIME_H

#include <glib.h>

G_BEGIN_DECLS

/* Time source: seconds since 1970 UTC.  In test builds (meson option
 * test_hooks, on by default) KILOVEND_NOW in the environment overrides it
 * (documented test hook for month/day boundaries and lockouts); shipped
 * builds (-Dtest_hooks=false) always use the real clock. */
gint64 kv_now(void);
/* Whether this build honours the test hooks (KILOVEND_NOW,
 * KILOVEND_TEST_STOP, KILOVEND_LOCALEDIR); `kilovendctl --version` says so
 * on a second line. */
gboolean kv_test_hooks_enabled(void);
/* Day and month boundaries (local time) around t. */
gint64 kv_day_start(gint64 t);
gint64 kv_month_start(gint64 t);
/* The calendar month (local time) holding t as year * 100 + month
 * (202612: December 2026). */
gint kv_month_key(gint64 t);

G_END_DECLS

#endif
