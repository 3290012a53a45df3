/* kv-json.h - strings in JSON text, for the tables of the reports and the
 * machine-readable output of the front ends (layer: base). */
#ifndef KV_JSON_H
#define KV_JSON_H

#include <glib.h>

G_BEGIN_DECLS

/* v with '"', '\' and control characters escaped, without quotes; NULL
 * gives "". */
char *kv_json_escape(const char *v);
/* v escaped and quoted, appended to s. */
void kv_json_append_string(GString *s, const char *v);

G_END_DECLS

#endif
