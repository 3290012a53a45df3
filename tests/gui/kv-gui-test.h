/* kv-gui-test.h - helpers for the app's in-process GTK tests. */
#pragma once

#include <adwaita.h>

#include "kv-application.h"
#include "kv-window.h"

G_BEGIN_DECLS

/* gtk_test_init + libadwaita, animations off, memory settings. */
void kv_gui_test_init(int *argc, char ***argv);

/* Run the main loop until cond(data) is TRUE or timeout_ms passed. */
gboolean kv_gui_test_wait(gboolean (*cond)(gpointer data), gpointer data, guint timeout_ms);
/* Run the main loop for ms milliseconds. */
void kv_gui_test_spin(guint ms);

/* Render a widget (after it was drawn) to a PNG in KV_SCREENSHOT_DIR. */
void kv_gui_test_screenshot(GtkWidget *widget, const char *name);

/* The first descendant of root with this accessible label (the label every
 * control gets in the templates; needs GTK_A11Y=test), or NULL. */
GtkWidget *kv_gui_test_find_by_label(GtkWidget *root, const char *label);
/* The first of that type (GTK_TYPE_BUTTON...) with that label, or NULL. */
GtkWidget *kv_gui_test_find_typed(GtkWidget *root, GType type, const char *label);
/* Same, failing the test if there is none. */
GtkWidget *kv_gui_test_get(GtkWidget *root, const char *label);
/* The descendant with this id in its template (labels are renamed after
 * their text, so they are found this way once they have one). */
GtkWidget *kv_gui_test_get_id(GtkWidget *root, const char *id);
/* Text of a label or an editable. */
const char *kv_gui_test_text(GtkWidget *widget);
/* Wait until the text of widget contains needle. */
gboolean kv_gui_test_wait_text(GtkWidget *widget, const char *needle, guint timeout_ms);

/* A demonstration station (kv_demo_create) in a temporary folder, and the
 * one application of the test program, registered with it. */
typedef struct {
    char *dir;
    char *db;
    char *keys;
    KvApplication *app;
    KvSession *session;
} KvGuiStation;

KvGuiStation *kv_gui_test_station_new(void);
void kv_gui_test_station_free(KvGuiStation *st);
/* A new window of the station's application, presented and drawn. */
KvWindow *kv_gui_test_window_new(KvGuiStation *st);
/* Sign in and open the shift through the sign-in page, as a person would. */
void kv_gui_test_sign_in(KvWindow *window, const char *user, const char *password);

G_END_DECLS
