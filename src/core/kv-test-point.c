/* kv-test-point.c - stop points for crash tests (see kv-test-point.h).
 *
 * The test kills the stopped process with SIGKILL, so what it checks is what
 * a real crash at that point leaves behind; this file only makes the point
 * reachable, it changes nothing in the code path.  Built with
 * -Dtest_hooks=false (the Debian package), the point does nothing.
 */
#include "config.h"

#include <signal.h>
#include <stdlib.h>

#include "kv-test-point.h"


void kv_test_point(const char *name)
{
#if KV_TEST_HOOKS
    static guint hits;
    const char *spec = g_getenv("KILOVEND_TEST_STOP");
    const char *colon;
    guint want = 1;
    gsize len;

    if (!spec || !*spec)
        return;
    colon = strchr(spec, ':');
    len = colon ? (gsize)(colon - spec) : strlen(spec);
    if (strlen(name) != len || strncmp(spec, name, len) != 0)
        return;
    if (colon)
        want = (guint)strtoul(colon + 1, NULL, 10);
    if (++hits == want)
        raise(SIGSTOP);
#else
    (void)name; /* shipped build: no stop points */
#endif
}
