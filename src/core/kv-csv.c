/* kv-csv.c - reading RFC 4180 CSV files (import, batch issue). */
#include <string.h>

#include "kv-i18n.h"
#include "kv-core-error.h"
#include "kv-csv.h"

void kv_csv_row_free(KvCsvRow *r)
{
    if (!r)
        return;
    g_strfreev(r->fields);
    g_free(r);
}

static void push_field(GPtrArray *fields, GString *f)
{
    g_ptr_array_add(fields, g_strdup(g_strstrip(f->str)));
    g_string_truncate(f, 0);
}

GPtrArray *kv_csv_read(const char *path, GError **error)
{
    g_autofree char *text = NULL;
    gsize len = 0;
    GPtrArray *rows;
    g_autoptr(GString) f = g_string_new(NULL);
    GPtrArray *fields = g_ptr_array_new();
    gboolean quoted = FALSE, any = FALSE;
    guint line = 1, row_line = 1;

    if (!g_file_get_contents(path, &text, &len, error)) {
        g_ptr_array_free(fields, TRUE);
        return NULL;
    }
    if (!g_utf8_validate(text, (gssize)len, NULL)) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("%s is not UTF-8 text"), path);
        g_ptr_array_free(fields, TRUE);
        return NULL;
    }
    rows = g_ptr_array_new_with_free_func((GDestroyNotify)kv_csv_row_free);
    for (gsize i = 0; i <= len; i++) {
        char c = i < len ? text[i] : '\n';
        if (quoted) {
            if (c == '"' && i + 1 < len && text[i + 1] == '"') {
                g_string_append_c(f, '"');
                i++;
            } else if (c == '"') {
                quoted = FALSE;
            } else {
                if (c == '\n')
                    line++;
                g_string_append_c(f, c);
            }
            continue;
        }
        if (c == '"' && f->len == 0) {
            quoted = TRUE;
            any = TRUE;
        } else if (c == ',') {
            push_field(fields, f);
            any = TRUE;
        } else if (c == '\r') {
            continue;
        } else if (c == '\n') {
            if (any || f->len) {
                KvCsvRow *r = g_new0(KvCsvRow, 1);
                push_field(fields, f);
                g_ptr_array_add(fields, NULL);
                r->line = row_line;
                r->fields = (char **)g_ptr_array_free(fields, FALSE);
                fields = g_ptr_array_new();
                if (r->fields[0][0] != '#')
                    g_ptr_array_add(rows, r);
                else
                    kv_csv_row_free(r);
            }
            any = FALSE;
            line++;
            row_line = line;
        } else {
            g_string_append_c(f, c);
            any = TRUE;
        }
    }
    g_ptr_array_free(fields, TRUE);
    return rows;
}

gint kv_csv_column(KvCsvRow *header, const char *name)
{
    for (gint i = 0; header->fields[i]; i++)
        if (g_ascii_strcasecmp(header->fields[i], name) == 0)
            return i;
    return -1;
}

const char *kv_csv_field(KvCsvRow *row, gint col)
{
    if (col < 0 || (guint)col >= g_strv_length(row->fields))
        return "";
    return row->fields[col];
}
