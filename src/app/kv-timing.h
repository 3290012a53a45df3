/* kv-timing.h - timing marks for the benchmarks (tools/bench-gui.sh).
 *
 * With KILOVEND_TIMING set, each mark prints one line on stderr:
 *   kilovend-timing: <what> <ms since the process started> <unix time, ms>
 * With KILOVEND_TIMING=exit the app quits once the sign-in window is drawn
 * (cold start measured again and again). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

gboolean kv_timing_enabled(void);
gboolean kv_timing_exit_after_draw(void);
void kv_timing_mark(const char *what);

G_END_DECLS
