/* kv-language.c - the calling thread's messages in another language
 * (uselocale with that language's LC_MESSAGES: gettext follows the thread's
 * locale). */
#define G_LOG_DOMAIN "kv-language"

#include "config.h"

#include <glib/gi18n.h>
#include <locale.h>
#include <string.h>

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

/* The language's LC_MESSAGES over the thread's other categories, or 0 when
 * the system has no locale for it ("fr": fr_FR.UTF-8). */
static locale_t language_locale(const char *code)
{
    g_autofree char *upper = g_ascii_strup(code, -1);
    g_autofree char *name = g_strcmp0(code, "en") == 0
                                ? g_strdup("C")
                                : g_strdup_printf("%s_%s.UTF-8", code, upper);
    locale_t base = duplocale(uselocale((locale_t)0));
    locale_t loc = base != (locale_t)0 ? newlocale(LC_MESSAGES_MASK, name, base) : (locale_t)0;

    if (loc == (locale_t)0 && base != (locale_t)0)
        freelocale(base);
    return loc;
}

GPtrArray *kv_language_list(void)
{
    GPtrArray *list = g_ptr_array_new_with_free_func(g_free);
    const char *dir = bindtextdomain(GETTEXT_PACKAGE, NULL);
    g_autoptr(GDir) d = dir != NULL ? g_dir_open(dir, 0, NULL) : NULL;
    const char *entry;

    g_ptr_array_add(list, g_strdup("en"));
    while (d != NULL && (entry = g_dir_read_name(d)) != NULL) {
        g_autofree char *mo = g_build_filename(dir, entry, "LC_MESSAGES", GETTEXT_PACKAGE ".mo",
                                               NULL);
        locale_t loc;

        if (strchr(entry, '.') != NULL || !g_file_test(mo, G_FILE_TEST_IS_REGULAR) ||
            (loc = language_locale(entry)) == (locale_t)0)
            continue;
        freelocale(loc);
        g_ptr_array_add(list, g_strdup(entry));
    }
    return list;
}

typedef struct {
    locale_t previous, mine;
} Saved;

gpointer kv_language_push(const char *code)
{
    Saved *s;
    locale_t loc = code != NULL && *code != '\0' ? language_locale(code) : (locale_t)0;

    if (loc == (locale_t)0)
        return NULL;
    s = g_new(Saved, 1);
    s->mine = loc;
    s->previous = uselocale(loc);
    return s;
}

void kv_language_pop(gpointer saved)
{
    Saved *s = saved;

    if (s == NULL)
        return;
    uselocale(s->previous);
    freelocale(s->mine);
    g_free(s);
}
