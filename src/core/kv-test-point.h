/* kv-test-point.h - stop points for crash tests (layer: base). */
#ifndef KV_TEST_POINT_H
#define KV_TEST_POINT_H

#include <glib.h>

G_BEGIN_DECLS

/* Documented test hook (docs/station.md, "Testing hooks"): in test builds
 * (meson option test_hooks), when the environment variable
 * KILOVEND_TEST_STOP=name[:n] names this point, the process stops itself
 * (SIGSTOP) at its n-th pass so a test can kill -9 it there.  Does nothing
 * otherwise, and nothing at all in shipped builds. */
void kv_test_point(const char *name);

G_END_DECLS

#endif
