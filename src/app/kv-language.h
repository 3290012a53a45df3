/* kv-language.h - documents in another of the station's languages: a
 * customer's statement in the customer's language where the station has
 * its catalogue, the rest of the app staying in the station's language. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The languages the station can write a document in (char *, codes): "en"
 * (the messages as written) and each language whose catalogue is installed
 * and readable. */
GPtrArray *kv_language_list(void);
/* A language's own name ("Français"), or its code. */
const char *kv_language_name(const char *code);

/* The calling thread speaks `code` (NULL: the station's language, nothing
 * changes) until kv_language_pop(the returned value): the messages of the
 * core's domain (_() and C_() of kv-i18n.h), whatever LANGUAGE and the
 * locale say; other threads keep the station's language.  Only the
 * messages change, not numbers or dates. */
gpointer kv_language_push(const char *code);
void kv_language_pop(gpointer saved);

G_END_DECLS
