/* kv-gui-test.h - helpers for the app's in-process GTK tests. */
#pragma once

#include <adwaita.h>

#include "kv-application.h"
#include "kv-session.h"
#include "kv-test-locale.h"
#include "kv-window.h"

G_BEGIN_DECLS

/* gtk_test_init + libadwaita, animations off, memory settings. */
void kv_gui_test_init(int *argc, char ***argv);

/* Run the main loop until cond(data) is TRUE or timeout_ms passed. */
gboolean kv_gui_test_wait(gboolean (*cond)(gpointer data), gpointer data, guint timeout_ms);
/* The same for a condition on a widget and a text: cond(widget, text). */
gboolean kv_gui_test_wait_for(gboolean (*cond)(GtkWidget *widget, const char *text),
                              GtkWidget *widget, const char *text, guint timeout_ms);
/* Run the main loop for ms milliseconds. */
void kv_gui_test_spin(guint ms);

/* Render a widget (after it was drawn) to a PNG in KV_SCREENSHOT_DIR. */
void kv_gui_test_screenshot(GtkWidget *widget, const char *name);

/* The first descendant of root with this accessible label (the label every
 * control gets in the templates; needs GTK_A11Y=test), or NULL. */
GtkWidget *kv_gui_test_find_by_label(GtkWidget *root, const char *label);
/* The first of that type (GTK_TYPE_BUTTON...) with that label, or NULL. */
GtkWidget *kv_gui_test_find_typed(GtkWidget *root, GType type, const char *label);
/* root, or its first descendant, of that type (KV_TYPE_REPORTS_PAGE...), or NULL. */
GtkWidget *kv_gui_test_find_type(GtkWidget *root, GType type);
/* root, or its first descendant, with that style class ("numeric"...), or NULL. */
GtkWidget *kv_gui_test_find_class(GtkWidget *root, const char *css_class);
/* Same, failing the test if there is none. */
GtkWidget *kv_gui_test_get(GtkWidget *root, const char *label);
/* The descendant with this id in its template (labels are renamed after
 * their text, so they are found this way once they have one). */
GtkWidget *kv_gui_test_get_id(GtkWidget *root, const char *id);
/* The first label under root whose text contains needle, or NULL; and the
 * wait until one is there and visible. */
GtkWidget *kv_gui_test_find_label_with(GtkWidget *root, const char *needle);
gboolean kv_gui_test_wait_label_with(GtkWidget *root, const char *needle, guint timeout_ms);
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
/* A test program's main: init, a demonstration station in *station, the
 * cases added in order (cases ends with a NULL path), g_test_run(), the
 * station removed.  Returns g_test_run()'s status. */
typedef struct {
    const char *path;
    GTestFunc func;
} KvGuiTestCase;
int kv_gui_test_main(int *argc, char ***argv, KvGuiStation **station,
                     const KvGuiTestCase *cases);
/* A test program's main() running these cases ({"/path", func}, ...) on
 * the demonstration station kept in `station`. */
#define KV_GUI_TEST_MAIN(station, ...)                                                       \
    int main(int argc, char *argv[])                                                         \
    {                                                                                        \
        static const KvGuiTestCase cases[] = {__VA_ARGS__, {NULL, NULL}};                    \
        return kv_gui_test_main(&argc, &argv, &station, cases);                              \
    }
/* The same with the locale `locale` ("fr_FR") compiled for the program
 * (kv_gui_test_make_locale), which stays in its own language. */
int kv_gui_test_main_in_locale(int *argc, char ***argv, KvGuiStation **station,
                               const KvGuiTestCase *cases, const char *locale);
#define KV_GUI_TEST_MAIN_IN_LOCALE(station, locale, ...)                                     \
    int main(int argc, char *argv[])                                                         \
    {                                                                                        \
        static const KvGuiTestCase cases[] = {__VA_ARGS__, {NULL, NULL}};                    \
        return kv_gui_test_main_in_locale(&argc, &argv, &station, cases, locale);            \
    }
void kv_gui_test_station_free(KvGuiStation *st);
/* The station's ledger through a second core connection, signed in as the
 * demo's admin: what another program on the station would see. */
KvStation *kv_gui_test_station_open_ledger(KvGuiStation *st);
/* Register a meter numbered base and its check digit (tariff DEFAULT,
 * three-phase, usual levels) through the core; its number. */
guint32 kv_gui_test_add_meter(KvStation *st, guint32 base);
/* A new window of the station's application, presented and drawn. */
KvWindow *kv_gui_test_window_new(KvGuiStation *st);
/* Sign in and open the shift through the sign-in page, as a person would. */
void kv_gui_test_sign_in(KvWindow *window, const char *user, const char *password);
/* Only the credentials: signed in, on whatever page follows. */
void kv_gui_test_sign_in_only(KvWindow *window, const char *user, const char *password);
/* Fill the shift form (passphrase NULL: left empty) and press Open Shift. */
void kv_gui_test_fill_shift(KvWindow *window, const char *supervisor, const char *password,
                            const char *passphrase);

/* The text of a PDF as laid out on its pages (pdftotext -layout). */
char *kv_gui_test_pdf_text(const char *pdf);
/* The PDF's text (shown in the test log) has every one of the needles. */
void kv_gui_test_assert_pdf_has(const char *pdf, const char *const *needles);
#define KV_GUI_TEST_ASSERT_PDF_HAS(pdf, ...)                                                 \
    kv_gui_test_assert_pdf_has(pdf, (const char *const[]){__VA_ARGS__, NULL})

/* On the Customers screen: search as a cashier types, open the first
 * customer found, wait until their name is in the form. */
void kv_gui_test_open_customer(GtkWidget *root, const char *search_text, const char *name);

/* kv_gui_test_make_locale, kv_gui_test_remove_tree: kv-test-locale.h */

/* ---- dialogs ---- */
/* The visible window of that type (KV_TYPE_METER_DIALOG...), or NULL. */
GtkWidget *kv_gui_test_find_window(GType type);
/* The visible message dialog with this heading, or NULL. */
AdwMessageDialog *kv_gui_test_find_dialog(const char *heading);
/* Wait for it (failing the test if it does not come). */
AdwMessageDialog *kv_gui_test_wait_dialog(const char *heading);
/* Give a response as the program (which does not close the dialog), then
 * close it as a click would. */
void kv_gui_test_respond(AdwMessageDialog *dialog, const char *response);

/* ---- the Sell screen ---- */
/* Conditions for kv_gui_test_wait: the widget is (not) sensitive. */
gboolean kv_gui_test_is_sensitive(gpointer widget);
gboolean kv_gui_test_is_insensitive(gpointer widget);
/* The Sell page's controls, found by their template ids (the labels'
 * accessible names follow their text). */
typedef struct {
    GtkWidget *customer, *meter, *amount, *unit, *sell, *result, *detail, *refusal;
    GtkWidget *breakdown, *warning, *cash, *change, *next, *maximum, *when, *cancel;
} KvGuiSellScreen;
void kv_gui_test_sell_screen(GtkWidget *root, KvGuiSellScreen *s);
/* The Sell button of the Sell page (not the Sell tab). */
GtkWidget *kv_gui_test_sell_button(GtkWidget *root);
/* Type an amount and wait until it is priced and Sell is on; the button. */
GtkWidget *kv_gui_test_price(GtkWidget *root, const char *amount);
/* On the Sell screen (a card reader's test): insert the card file, wait
 * for its customer, sell amount with Enter and wait until it is sold; the
 * meter's number. */
guint32 kv_gui_test_sell_on_card(KvWindow *window, const char *card, const char *customer,
                                 const char *amount);

/* ---- the keyboard (X11: a real key press through XTest, as a person's) ---- */
/* Press and release keyval (with Control, Shift, Alt in mods) in widget's window. */
void kv_gui_test_press_key(GtkWidget *widget, guint keyval, GdkModifierType mods);
/* The focus widget of widget's window. */
GtkWidget *kv_gui_test_focus(GtkWidget *widget);
/* widget, or a widget inside it (the text of an entry), has the focus. */
gboolean kv_gui_test_has_focus(GtkWidget *widget);

/* ---- tests inside their own PC/SC stack (run-in-pcsc-env.sh) ---- */
/* One control line to the virtual card (KV_VCARD_CONTROL): "insert FILE",
 * "remove", "tear N", "mute N"... */
void kv_gui_test_vcard(const char *fmt, ...) G_GNUC_PRINTF(1, 2);
/* Steer the stack ($KV_PCSC_CTL SUBCOMMAND: reader-unplug, reader-plug...),
 * the main loop running until it is done. */
void kv_gui_test_pcsc_ctl(const char *subcommand);
/* Wait until the virtual card's log (KV_PCSC_DIR/vcard.log) has a line
 * containing needle, more times than `seen` (its count before the event). */
guint kv_gui_test_vcard_log_count(const char *needle);
gboolean kv_gui_test_wait_vcard_log(const char *needle, guint seen, guint timeout_ms);
/* Wait until the session's reader watcher is in this state. */
gboolean kv_gui_test_wait_reader(KvSession *session, KvReaderState state, guint timeout_ms);
/* Take the card out, wait for the reader to be empty, insert FILE and
 * wait until the reader has it. */
void kv_gui_test_insert_card(KvSession *session, const char *path);

G_END_DECLS
