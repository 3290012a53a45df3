/* kv-gui-test.h - helpers for the app's in-process GTK tests. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* gtk_test_init + libadwaita + the app's resources and translations off. */
void kv_gui_test_init(int *argc, char ***argv);

/* Run the main loop until cond(data) is TRUE or timeout_ms passed. */
gboolean kv_gui_test_wait(gboolean (*cond)(gpointer data), gpointer data, guint timeout_ms);
/* Run the main loop for ms milliseconds. */
void kv_gui_test_spin(guint ms);

/* Render a widget (after it was drawn) to a PNG in the build tree's
 * screenshot folder, KV_SCREENSHOT_DIR. */
void kv_gui_test_screenshot(GtkWidget *widget, const char *name);

/* The first descendant of root with this accessible label (property), or
 * NULL; the label every control gets in the templates. */
GtkWidget *kv_gui_test_find_by_label(GtkWidget *root, const char *label);

G_END_DECLS
