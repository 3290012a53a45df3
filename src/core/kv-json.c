/* kv-json.c - strings in JSON text (RFC 8259: '"', '\' and the control
 * characters escaped; UTF-8 passes as it is). */
#include "kv-json.h"

static void append_escaped(GString *s, const char *v)
{
    for (const unsigned char *p = (const unsigned char *)(v ? v : ""); *p; p++) {
        if (*p == '"' || *p == '\\')
            g_string_append_printf(s, "\\%c", *p);
        else if (*p < 0x20)
            g_string_append_printf(s, "\\u%04x", *p);
        else
            g_string_append_c(s, (char)*p);
    }
}

char *kv_json_escape(const char *v)
{
    GString *s = g_string_new(NULL);
    append_escaped(s, v);
    return g_string_free(s, FALSE);
}

void kv_json_append_string(GString *s, const char *v)
{
    g_string_append_c(s, '"');
    append_escaped(s, v);
    g_string_append_c(s, '"');
}
