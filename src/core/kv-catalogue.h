/* kv-catalogue.h - a compiled message catalogue (a gettext .mo file) read
 * by the core itself, for messages in a language other than the one
 * gettext would choose (kv-i18n.h: a customer's statement in the
 * customer's language).  The file is checked whole when it is loaded:
 * every offset and length inside the file, every string ended by its NUL,
 * the originals in the sorted order lookups rely on, UTF-8 text.  A loaded
 * catalogue never changes: any thread may look it up. */
#ifndef KV_CATALOGUE_H
#define KV_CATALOGUE_H

#include <glib.h>

G_BEGIN_DECLS

typedef struct _KvCatalogue KvCatalogue;

/* The catalogue in the .mo file at path (either byte order, format
 * revision 0 or 1), or NULL with error when it cannot be read or is not a
 * valid catalogue in UTF-8. */
KvCatalogue *kv_catalogue_load(const char *path, GError **error);
/* The catalogue held in bytes (the file's content): the same checks. */
KvCatalogue *kv_catalogue_new(GBytes *bytes, GError **error);
/* A catalogue with no messages: every lookup gives NULL. */
KvCatalogue *kv_catalogue_new_empty(void);
void kv_catalogue_free(KvCatalogue *cat);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(KvCatalogue, kv_catalogue_free)

/* The translation of key (a msgid, or "context\004msgid"), or NULL when the
 * catalogue has none (or an empty one).  A plural message gives its first
 * form.  Messages whose text holds <inttypes.h> macros (format revision 1's
 * system-dependent strings) are not read: NULL. */
const char *kv_catalogue_lookup(const KvCatalogue *cat, const char *key);

G_END_DECLS

#endif
