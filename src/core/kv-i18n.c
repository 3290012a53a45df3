/* kv-i18n.c - the core's text domain, bound once before its first message.
 *
 * dgettext(), not g_dgettext(): GLib's variant leaves a library's strings
 * untranslated when the program's own default domain has no catalogue for
 * the locale; the core's messages follow the locale whatever the program. */
#include <libintl.h>
#include <string.h>

#include "kv-catalogue.h"
#include "kv-i18n.h"

/* The calling thread's catalogue of another language (NULL: gettext's). */
static GPrivate thread_catalogue = G_PRIVATE_INIT(NULL);

/* The words the ledger stores for states, statuses and roles, shown in
 * messages through C_(context, word); the database keeps the English word.
 * Listed here for the catalogue only (the sale states: kv-sale-state.c;
 * card and meter statuses: kv-status.c). */
static const char *const stored_words[] G_GNUC_UNUSED = {
    NC_("role", "cashier"), NC_("role", "supervisor"), NC_("role", "admin"),
};

void kv_i18n_init(void)
{
    static gsize bound;

    if (g_once_init_enter(&bound)) {
#if KV_TEST_HOOKS
        const char *dir = g_getenv("KILOVEND_LOCALEDIR");
#else
        const char *dir = NULL; /* shipped build: the installed catalogues only */
#endif

        bindtextdomain(GETTEXT_PACKAGE, dir != NULL && *dir ? dir : LOCALEDIR);
        bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
        g_once_init_leave(&bound, 1);
    }
}

/* The translation of key: from the thread's catalogue when it has one (the
 * key itself when that catalogue has no translation: the message as
 * written, not the station's language), else from gettext. */
static const char *translate(const char *key)
{
    const KvCatalogue *cat = g_private_get(&thread_catalogue);
    const char *tr;

    if (cat != NULL)
        return (tr = kv_catalogue_lookup(cat, key)) != NULL ? tr : key;
    kv_i18n_init();
    return dgettext(GETTEXT_PACKAGE, key);
}

const char *kv_i18n_gettext(const char *msgid)
{
    return translate(msgid);
}

const char *kv_i18n_pgettext(const char *context, const char *msgid)
{
    /* A message in context is "context\004msgid" in the catalogue. */
    gsize cl = strlen(context), ml = strlen(msgid);
    char stack[256];
    g_autofree char *heap = NULL;
    char *key = cl + ml + 2 <= sizeof stack ? stack : (heap = g_malloc(cl + ml + 2));
    const char *tr;

    memcpy(key, context, cl);
    key[cl] = '\004';
    memcpy(key + cl + 1, msgid, ml + 1);
    tr = translate(key);
    return tr == key ? msgid : tr;
}

/* Catalogues read once and kept for the program's life (a thread may hold
 * one while another asks): code -> KvCatalogue, under the lock. */
static GMutex catalogues_lock;
static GHashTable *catalogues;

const KvCatalogue *kv_i18n_catalogue(const char *code)
{
    KvCatalogue *cat;

    if (code == NULL || *code == '\0' || strchr(code, '/') != NULL || strchr(code, '.') != NULL)
        return NULL;
    kv_i18n_init();
    g_mutex_lock(&catalogues_lock);
    if (catalogues == NULL)
        catalogues = g_hash_table_new(g_str_hash, g_str_equal);
    cat = g_hash_table_lookup(catalogues, code);
    if (cat == NULL) {
        if (strcmp(code, "en") == 0) {
            cat = kv_catalogue_new_empty(); /* the messages as written */
        } else {
            g_autofree char *path = g_build_filename(bindtextdomain(GETTEXT_PACKAGE, NULL), code,
                                                     "LC_MESSAGES", GETTEXT_PACKAGE ".mo", NULL);
            g_autoptr(GError) error = NULL;

            if ((cat = kv_catalogue_load(path, &error)) == NULL)
                g_debug("no catalogue for %s: %s", code, error->message);
        }
        if (cat != NULL)
            g_hash_table_insert(catalogues, g_strdup(code), cat);
    }
    g_mutex_unlock(&catalogues_lock);
    return cat;
}

const KvCatalogue *kv_i18n_use_catalogue(const KvCatalogue *cat)
{
    const KvCatalogue *previous = g_private_get(&thread_catalogue);

    g_private_set(&thread_catalogue, (gpointer)cat);
    return previous;
}
