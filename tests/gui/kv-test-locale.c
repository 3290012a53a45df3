/* kv-test-locale.c - see kv-test-locale.h. */
#include "kv-test-locale.h"

#include <locale.h>

gboolean kv_gui_test_make_locale(const char *dir, const char *name)
{
    g_autofree char *full = g_strconcat(name, ".UTF-8", NULL);
    g_autofree char *out = g_build_filename(dir, full, NULL);
    const char *argv[] = {"localedef", "-i", name, "-f", "UTF-8", out, NULL};
    int status = 0;

    if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH |
                      G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                      NULL, NULL, NULL, NULL, &status, NULL))
        return FALSE;
    g_setenv("LOCPATH", dir, TRUE);
    return TRUE;
}

void kv_gui_test_remove_tree(const char *dir)
{
    const char *rm[] = {"rm", "-rf", "--", dir, NULL};

    g_spawn_sync(NULL, (char **)rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
}

gboolean kv_gui_test_use_locale(const char *dir, const char *name)
{
    g_autofree char *full = g_strconcat(name, ".UTF-8", NULL);

    if (!kv_gui_test_make_locale(dir, name))
        return FALSE;
    g_setenv("LANG", full, TRUE);
    g_setenv("LC_ALL", full, TRUE);
    return setlocale(LC_ALL, "") != NULL;
}
