/* fuzz-csv.c - libFuzzer target: the CSV files a supervisor imports
 * (customers and meters, batch card issue: src/core/kv-csv.c), as read
 * from a file (an in-memory one here).
 *
 * Checks: every row has at least one field, each a string; rows come in
 * increasing line order; a column looked up by the header's own names is
 * found, and a field past the end is the empty string. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "kv-csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int fd = -1;
    static char path[64];
    GPtrArray *rows;
    guint last = 0;

    if (fd < 0) {
        fd = memfd_create("fuzz-csv", MFD_CLOEXEC);
        if (fd < 0)
            __builtin_trap();
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    }
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        __builtin_trap();
    rows = kv_csv_read(path, NULL);
    if (!rows)
        return 0;
    for (guint i = 0; i < rows->len; i++) {
        KvCsvRow *r = rows->pdata[i];
        guint n = g_strv_length(r->fields);
        if (n == 0 || r->line <= last || r->fields[0][0] == '#')
            __builtin_trap();
        last = r->line;
        if (i == 0)
            for (guint c = 0; c < n; c++)
                if (kv_csv_column(r, r->fields[c]) < 0)
                    __builtin_trap();
        if (kv_csv_field(r, (gint)n)[0] != '\0' || kv_csv_field(r, -1)[0] != '\0')
            __builtin_trap();
    }
    g_ptr_array_free(rows, TRUE);
    return 0;
}
