/* kv-language.c - the calling thread's messages in another language.
 *
 * Why not gettext with uselocale: this file used to give the thread a
 * locale whose LC_MESSAGES was the statement's language, since glibc's
 * gettext follows the thread's locale.  But glibc's gettext gives the
 * LANGUAGE environment variable priority over LC_MESSAGES whenever that
 * category is not "C": on a desktop with LANGUAGE=en_US:en (Debian sets it
 * that way) a French statement came out in English, and with LANGUAGE=fr
 * an English one worked only because "en" was the "C" locale.  Nothing but
 * the process environment changes that, and setenv is not thread-safe (the
 * session's worker and GTK's threads read the environment).  So the
 * statement's strings are looked up by the core itself in the language's
 * installed catalogue (kv-catalogue.c: the .mo file read and checked
 * whole), set for the calling thread only (kv_i18n_use_catalogue: a
 * thread-private pointer); a message that catalogue lacks is written as it
 * is in the source, never in the station's language; "en" is the messages
 * as written.  Another thread's messages stay in the station's language
 * (tests/gui/test-language.c checks both, under LANGUAGE=en_US:en).  A
 * language no longer needs a locale generated on the system: only the
 * messages change, not numbers or dates.  Catalogues, once read, are kept
 * unchanged for the program's life, so a thread may hold one while another
 * asks for it. */
#define G_LOG_DOMAIN "kv-language"

#include "config.h"

#include <string.h>

#include "kv-core.h"
#include "kv-i18n.h"
#include "kv-language.h"

static const struct {
    const char *code, *name;
} names[] = {
    {"en", "English"},
    {"fr", "Français"},
};

const char *kv_language_name(const char *code)
{
    for (guint i = 0; i < G_N_ELEMENTS(names); i++)
        if (g_strcmp0(names[i].code, code) == 0)
            return names[i].name;
    return code;
}

GPtrArray *kv_language_list(void)
{
    GPtrArray *list = g_ptr_array_new_with_free_func(g_free);
    const char *dir;
    g_autoptr(GDir) d = NULL;
    const char *entry;

    kv_i18n_init();
    dir = bindtextdomain(GETTEXT_PACKAGE, NULL);
    d = dir != NULL ? g_dir_open(dir, 0, NULL) : NULL;
    g_ptr_array_add(list, g_strdup("en"));
    while (d != NULL && (entry = g_dir_read_name(d)) != NULL)
        if (strcmp(entry, "en") != 0 && kv_i18n_catalogue(entry) != NULL)
            g_ptr_array_add(list, g_strdup(entry));
    return list;
}

typedef struct {
    const KvCatalogue *previous;
} Saved;

gpointer kv_language_push(const char *code)
{
    const KvCatalogue *cat = code != NULL && *code != '\0' ? kv_i18n_catalogue(code) : NULL;
    Saved *s;

    if (cat == NULL)
        return NULL;
    s = g_new(Saved, 1);
    s->previous = kv_i18n_use_catalogue(cat);
    return s;
}

void kv_language_pop(gpointer saved)
{
    Saved *s = saved;

    if (s == NULL)
        return;
    kv_i18n_use_catalogue(s->previous);
    g_free(s);
}
