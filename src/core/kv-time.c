/* kv-time.c - the core's clock (with its test hook) and calendar. */
#include "config.h"

#include "kv-time.h"


gint64 kv_now(void)
{
#if KV_TEST_HOOKS
    const char *fake = g_getenv("KILOVEND_NOW");
    if (fake && *fake)
        return g_ascii_strtoll(fake, NULL, 10);
#endif
    return g_get_real_time() / G_USEC_PER_SEC;
}

gboolean kv_test_hooks_enabled(void)
{
    return KV_TEST_HOOKS;
}

gint64 kv_day_start(gint64 t)
{
    g_autoptr(GDateTime) d = g_date_time_new_from_unix_local(t);
    g_autoptr(GDateTime) s = g_date_time_new_local(g_date_time_get_year(d),
                                                   g_date_time_get_month(d),
                                                   g_date_time_get_day_of_month(d), 0, 0, 0);
    return g_date_time_to_unix(s);
}

gint64 kv_month_start(gint64 t)
{
    g_autoptr(GDateTime) d = g_date_time_new_from_unix_local(t);
    g_autoptr(GDateTime) s = g_date_time_new_local(g_date_time_get_year(d),
                                                   g_date_time_get_month(d), 1, 0, 0, 0);
    return g_date_time_to_unix(s);
}

gint kv_month_key(gint64 t)
{
    g_autoptr(GDateTime) d = g_date_time_new_from_unix_local(t);
    return g_date_time_get_year(d) * 100 + g_date_time_get_month(d);
}
