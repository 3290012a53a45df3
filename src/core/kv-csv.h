/* kv-csv.h - reading CSV files (layer: base; core-private). */
#ifndef KV_CSV_H
#define KV_CSV_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct {
    guint line;     /* line number in the file (1-based) */
    char **fields;  /* trimmed */
} KvCsvRow;
void kv_csv_row_free(KvCsvRow *r);
/* All non-empty rows (lines starting with '#' skipped). */
GPtrArray *kv_csv_read(const char *path, GError **error);
gint kv_csv_column(KvCsvRow *header, const char *name); /* -1 if absent */
const char *kv_csv_field(KvCsvRow *row, gint col);     /* "" if absent */

G_END_DECLS

#endif
