/* kv-test-locale.h - a language of the test's own for GUI tests (the
 * station app's and the meter window's): no GTK, no app. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The locale name.UTF-8 ("fr_FR") compiled into dir and LOCPATH set to it
 * (the machine may have none generated); before any thread starts. */
gboolean kv_gui_test_make_locale(const char *dir, const char *name);
/* A temporary folder of the test's own, removed with what it holds. */
void kv_gui_test_remove_tree(const char *dir);
/* kv_gui_test_make_locale, then the whole program in it (LANG, LC_ALL,
 * setlocale): FALSE if the locale cannot be made. */
gboolean kv_gui_test_use_locale(const char *dir, const char *name);

G_END_DECLS
