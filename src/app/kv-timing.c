/* kv-timing.c - timing marks for the benchmarks. */
#include "config.h"

#include <stdio.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

#include "kv-timing.h"

gboolean kv_timing_enabled(void)
{
    return g_getenv("KILOVEND_TIMING") != NULL;
}

gboolean kv_timing_exit_after_draw(void)
{
    return g_strcmp0(g_getenv("KILOVEND_TIMING"), "exit") == 0;
}

/* Milliseconds since the kernel started this process (its start time in
 * /proc, against the boot clock), so that loading the program counts. */
static double ms_since_process_start(void)
{
    g_autofree char *stat = NULL;
    struct timespec now;
    const char *p;
    unsigned long long start_ticks = 0;
    int field = 2;

    if (!g_file_get_contents("/proc/self/stat", &stat, NULL, NULL))
        return -1;
    p = strrchr(stat, ')'); /* the command name may hold spaces */
    if (p == NULL)
        return -1;
    for (p++; *p != '\0' && field < 22; p++)
        if (*p == ' ')
            field++;
    start_ticks = g_ascii_strtoull(p, NULL, 10);
    clock_gettime(CLOCK_BOOTTIME, &now);
    return (now.tv_sec * 1000.0 + now.tv_nsec / 1e6) -
           start_ticks * 1000.0 / (double)sysconf(_SC_CLK_TCK);
}

void kv_timing_mark(const char *what)
{
    if (!kv_timing_enabled())
        return;
    fprintf(stderr, "kilovend-timing: %s %.1f %" G_GINT64_FORMAT "\n", what,
            ms_since_process_start(), g_get_real_time() / 1000);
    fflush(stderr);
}
