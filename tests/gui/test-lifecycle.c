/* test-lifecycle.c - a meter's life in the app, through the real stack: a
 * private pcscd with the virtual card (run-in-pcsc-env.sh), the demo
 * database, and the demo meters' firmware on the host (kilovend-meter-sim)
 * for what a meter writes back on a card.
 *
 * /lifecycle/refund-unloaded: a cashier may not refund; a supervisor's
 * refund of a meter that loaded everything is refused with what to do; two
 * sales on Ama's card, then one refund of all the credit her meter never
 * loaded takes both off the card, newest first, and its receipt says
 * REFUND.
 * /lifecycle/refund-reprint: two more refunds of unloaded credit, each of
 * a new sale on Ama's card; the History lists both, each with its Reprint
 * button, and the first one's button prints that refund's receipt (its
 * number, meter, reason, supervisor, energy and money, marked REFUND), not
 * the last one's.
 * /lifecycle/refund-cleared: a sale loaded by Ama's meter, the meter cleared
 * by a clear-credit card read back, the cleared credit refunded (no card),
 * once.
 * /lifecycle/clear-credit-and-swap: a parameter card with an emergency
 * allowance of 7 kWh for Yaw's meter; the meter applies it and the read
 * report shows the allowance; a clear-credit card empties the meter and
 * the read report shows what it cleared; the meter is swapped for a new
 * one from that cleared credit: the new meter's card carries it, the old
 * meter is retired and cannot be swapped again; Ama's dead meter is
 * swapped from an estimate, chosen and said so. */
#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "kv-demo.h"
#include "kv-gui-test.h"
#include "kv-reports-page.h"

static KvGuiStation *station;

#define YAW_METER 100000025
#define find_history(w) KV_HISTORY_PAGE(kv_gui_test_find_type(w, KV_TYPE_HISTORY_PAGE))

static gboolean history_done(gpointer data)
{
    return !kv_history_page_is_busy(data);
}

/* The text of a PDF (pdftotext). */
static char *pdf_text(const char *pdf)
{
    const char *argv[] = {"pdftotext", "-layout", pdf, "-", NULL};
    g_autoptr(GError) error = NULL;
    char *out = NULL;
    int status = 0;

    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH |
                               G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL, &status,
                               &error));
    g_assert_no_error(error);
    return out;
}

static gboolean file_there(gpointer path)
{
    return g_file_test(path, G_FILE_TEST_EXISTS);
}

/* ---- refunds of unloaded credit -------------------------------------------------- */

typedef struct {
    KvStation *ledger;
    guint32 meter;
    gint64 before;
} SaleWait;

static gint64 last_sale_id(KvStation *ledger, guint32 meter, KvSaleState *state)
{
    g_autoptr(KvSale) sale = kv_sale_last_of_meter(ledger, meter, NULL);

    if (state != NULL)
        *state = sale != NULL ? sale->state : KV_SALE_PENDING;
    return sale != NULL ? sale->id : 0;
}

/* A new sale of the meter, completed (the result line still says "Sold"
 * from the sale before until the new outcome is shown). */
static gboolean sale_done(gpointer data)
{
    SaleWait *w = data;
    KvSaleState state;

    return last_sale_id(w->ledger, w->meter, &state) > w->before && state == KV_SALE_COMPLETED;
}

static void sell(GtkWidget *root, KvGuiSellScreen *s, const char *card, const char *amount)
{
    SaleWait w = {0};

    kv_gui_test_insert_card(station->session, card);
    g_assert_true(kv_gui_test_wait_text(s->customer, "Ama Owusu", 30000));
    w.ledger = kv_gui_test_station_open_ledger(station);
    w.meter = (guint32)g_ascii_strtoull(kv_gui_test_text(s->meter), NULL, 10);
    g_assert_cmpuint(w.meter, !=, 0);
    w.before = last_sale_id(w.ledger, w.meter, NULL);
    kv_gui_test_price(root, amount);
    g_signal_emit_by_name(s->amount, "activate");
    g_assert_true(kv_gui_test_wait(sale_done, &w, 60000));
    g_assert_true(kv_gui_test_wait_text(s->result, "Sold", 60000));
    kv_station_free(w.ledger);
}

#define UNLOADED "Refund unloaded credit from the card in the reader", "Refund Unloaded Credit?"
#define CLEARED "Refund credit cleared by a clear-credit card", "Refund Cleared Credit?"

/* The refund dialog of that button, filled in (the Refund response on). */
static AdwMessageDialog *ask_refund(GtkWidget *root, const char *button_label,
                                    const char *heading, const char *meter, const char *reason)
{
    GtkWidget *button = kv_gui_test_get(root, button_label);
    AdwMessageDialog *ask;

    g_assert_true(gtk_widget_get_sensitive(button));
    g_signal_emit_by_name(button, "clicked");
    ask = kv_gui_test_wait_dialog(heading);
    g_assert_false(adw_message_dialog_get_response_enabled(ask, "refund"));
    gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(GTK_WIDGET(ask), "Meter number")), meter);
    /* No reason, no refund. */
    g_assert_false(adw_message_dialog_get_response_enabled(ask, "refund"));
    gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(GTK_WIDGET(ask), "Reason for the refund")),
                          reason);
    g_assert_true(adw_message_dialog_get_response_enabled(ask, "refund"));
    return ask;
}

/* A refund asked through that button's dialog: the History's status
 * (found before it had a text: a label's name follows its text) once it
 * says `expect` and the page is done. */
static const char *refund(GtkWidget *root, GtkWidget *status, const char *button_label,
                          const char *heading, const char *meter, const char *reason,
                          const char *expect)
{
    kv_gui_test_respond(ask_refund(root, button_label, heading, meter, reason), "refund");
    g_assert_true(kv_gui_test_wait_text(status, expect, 60000));
    g_test_message("%s", kv_gui_test_text(status));
    g_assert_true(kv_gui_test_wait(history_done, find_history(root), 20000));
    return kv_gui_test_text(status);
}

static void test_refund_unloaded(void)
{
    g_autofree char *ama = kv_demo_card_path(station->dir, 1);
    g_autofree char *yaw = kv_demo_card_path(station->dir, 2);
    KvWindow *window = kv_gui_test_window_new(station);
    GtkWidget *root = GTK_WIDGET(window);
    KvHistoryPage *history = NULL;
    g_autofree char *pdf = g_build_filename(station->dir, "refund.pdf", NULL);
    g_autofree char *text = NULL, *meter = NULL;
    g_autoptr(KvStation) st = NULL;
    g_autoptr(KvSale) first = NULL, second = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree KvRefund *r = NULL;
    gint64 created = 0;
    g_autofree char *reason = NULL, *by = NULL;
    KvGuiSellScreen s;
    GtkWidget *status, *refund_button;
    const char *said;
    guint32 ama_meter;

    /* A cashier: the button is there, off, and says why. */
    kv_gui_test_sign_in(window, KV_DEMO_CASHIER, KV_DEMO_CASHIER_PASSWORD);
    gtk_widget_activate_action(root, "win.page", "s", "reports");
    refund_button = kv_gui_test_get(root, "Refund unloaded credit from the card in the reader");
    g_assert_false(gtk_widget_get_sensitive(refund_button));
    g_assert_cmpstr(gtk_widget_get_tooltip_text(refund_button), ==, "Refunds are made by a supervisor.");
    g_assert_false(gtk_widget_get_sensitive(
        kv_gui_test_get(root, "Refund credit cleared by a clear-credit card")));
    gtk_window_destroy(GTK_WINDOW(window));
    kv_session_sign_out(station->session);

    window = kv_gui_test_window_new(station);
    root = GTK_WIDGET(window);
    history = find_history(root);
    kv_gui_test_sign_in(window, KV_DEMO_SUPERVISOR, KV_DEMO_SUPERVISOR_PASSWORD);
    kv_gui_test_sell_screen(root, &s);

    /* Yaw's meter loaded all that was sold to it: refused, with what to do. */
    gtk_widget_activate_action(root, "win.page", "s", "reports");
    kv_gui_test_insert_card(station->session, yaw);
    status = kv_gui_test_get(root, "History status");
    meter = g_strdup_printf("%u", YAW_METER);
    said = refund(root, status, UNLOADED, meter, "customer moved", "No refund");
    g_assert_nonnull(strstr(said, "has loaded all the credit sold to it"));
    g_assert_nonnull(strstr(said, "Nothing was refunded"));
    g_assert_true(kv_gui_test_wait(history_done, history, 20000));

    /* Two sales on Ama's card, her meter loads neither. */
    gtk_widget_activate_action(root, "win.page", "s", "sell");
    sell(root, &s, ama, "10");
    ama_meter = (guint32)g_ascii_strtoull(kv_gui_test_text(s.meter), NULL, 10);
    g_signal_emit_by_name(s.next, "clicked");
    sell(root, &s, ama, "6");
    st = kv_gui_test_station_open_ledger(station);
    second = kv_sale_last_of_meter(st, ama_meter, &error);
    g_assert_no_error(error);
    first = kv_sale_get(st, second->id - 1, &error);
    g_assert_no_error(error);
    g_assert_cmpuint(first->meter_number, ==, ama_meter);

    /* One refund of all the credit not loaded: both sales. */
    gtk_widget_activate_action(root, "win.page", "s", "reports");
    g_free(meter);
    meter = g_strdup_printf("%u", ama_meter);
    said = refund(root, status, UNLOADED, meter, "sold to the wrong meter", "Pay back");
    g_assert_nonnull(strstr(said, "from 2 sales"));
    g_assert_nonnull(strstr(said, "no longer carries this credit"));
    g_assert_true(kv_gui_test_wait(history_done, history, 20000));
    g_assert_cmpint(kv_history_page_get_last_refund(history), >, 0);
    r = kv_refund_get(st, kv_history_page_get_last_refund(history), &created, &reason, &by,
                      &error);
    g_assert_no_error(error);
    g_assert_cmpuint(r->meter_number, ==, ama_meter);
    g_assert_cmpuint(r->sales, ==, 2);
    g_assert_cmpint(r->energy, ==, first->breakdown.energy + second->breakdown.energy);
    g_assert_true(kv_refund_is_unloaded(st, r->id));
    g_assert_cmpstr(reason, ==, "sold to the wrong meter");
    g_assert_cmpstr(by, ==, KV_DEMO_SUPERVISOR);
    text = kv_session_format_money(station->session, r->amount);
    g_assert_nonnull(strstr(kv_gui_test_text(status), text));
    g_clear_pointer(&text, g_free);

    /* The receipt, marked REFUND. */
    g_assert_true(gtk_revealer_get_reveal_child(
        GTK_REVEALER(gtk_widget_get_parent(kv_gui_test_get(root, "Print the refund receipt")))));
    kv_history_page_print_refund(history, r->id, pdf);
    g_assert_true(kv_gui_test_wait(history_done, history, 20000));
    g_assert_true(kv_gui_test_wait(file_there, pdf, 20000));
    text = pdf_text(pdf);
    g_assert_nonnull(strstr(text, "REFUND"));
    g_assert_true(kv_gui_test_wait_text(status, "marked REFUND", 10000));

    /* Nothing unloaded is left: a second refund is refused. */
    said = refund(root, status, UNLOADED, meter, "again", "No refund");
    g_assert_nonnull(strstr(said, "Nothing was refunded"));
    gtk_window_destroy(GTK_WINDOW(window));
}

/* ---- any past refund's receipt reprinted ------------------------------------------- */

/* A line of text holding a, and b after it. */
static gboolean line_with(const char *text, const char *a, const char *b)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

    for (guint i = 0; lines[i] != NULL; i++) {
        const char *at = strstr(lines[i], a);

        if (at != NULL && strstr(at + strlen(a), b) != NULL)
            return TRUE;
    }
    return FALSE;
}

static gboolean labelled_there(GtkWidget *root, const char *label)
{
    return kv_gui_test_find_by_label(root, label) != NULL;
}

/* A sale of amount on Ama's card, then a refund of the credit her meter
 * has not loaded (that sale), for reason: the refund. */
static gint64 sell_and_refund(GtkWidget *root, KvGuiSellScreen *s, GtkWidget *status,
                              const char *amount, const char *reason)
{
    g_autofree char *ama = kv_demo_card_path(station->dir, 1);
    g_autofree char *meter = NULL;
    KvHistoryPage *history = find_history(root);
    const char *said;

    gtk_widget_activate_action(root, "win.page", "s", "sell");
    g_signal_emit_by_name(s->next, "clicked");
    sell(root, s, ama, amount);
    meter = g_strdup(kv_gui_test_text(s->meter));
    gtk_widget_activate_action(root, "win.page", "s", "reports");
    said = refund(root, status, UNLOADED, meter, reason, "Pay back");
    g_assert_nonnull(strstr(said, "from 1 sale."));
    g_assert_true(kv_gui_test_wait(history_done, history, 20000));
    return kv_history_page_get_last_refund(history);
}

static void test_refund_reprint(void)
{
    KvWindow *window = kv_gui_test_window_new(station);
    GtkWidget *root = GTK_WIDGET(window);
    KvHistoryPage *history = find_history(root);
    g_autofree char *pdf = g_build_filename(station->dir, "refund-reprint.pdf", NULL);
    g_autofree char *first_label = NULL, *last_label = NULL, *text = NULL, *number = NULL;
    g_autofree char *money = NULL, *energy = NULL, *meter = NULL;
    g_autofree char *reason = NULL, *by = NULL;
    g_autofree KvRefund *r = NULL;
    g_autoptr(KvStation) st = NULL;
    g_autoptr(GError) error = NULL;
    gint64 first, last, created = 0;
    KvGuiSellScreen s;
    GtkWidget *button, *status;

    if (!kv_session_get_signed_in(station->session))
        kv_gui_test_sign_in(window, KV_DEMO_SUPERVISOR, KV_DEMO_SUPERVISOR_PASSWORD);
    kv_gui_test_sell_screen(root, &s);
    /* Found before it has a text (a label's name follows its text). */
    status = kv_gui_test_get(root, "History status");
    first = sell_and_refund(root, &s, status, "5", "first: wrong meter");
    last = sell_and_refund(root, &s, status, "7", "second: moved");
    g_assert_cmpint(first, >, 0);
    g_assert_cmpint(last, >, first);

    /* Both in the History, each with its Reprint button. */
    first_label = g_strdup_printf("Reprint refund receipt %" G_GINT64_FORMAT, first);
    last_label = g_strdup_printf("Reprint refund receipt %" G_GINT64_FORMAT, last);
    g_assert_true(kv_gui_test_wait_for(labelled_there, root, last_label, 20000));
    g_assert_true(kv_gui_test_wait_for(labelled_there, root, first_label, 20000));
    g_assert_true(gtk_widget_get_visible(kv_gui_test_get(root, "Past refunds")));

    /* The first one's button: its receipt. */
    g_remove(pdf);
    kv_history_page_set_print_file(history, pdf);
    button = kv_gui_test_get(root, first_label);
    g_signal_emit_by_name(button, "clicked");
    g_assert_true(kv_gui_test_wait(history_done, history, 20000));
    g_assert_true(kv_gui_test_wait(file_there, pdf, 20000));
    kv_history_page_set_print_file(history, NULL);
    text = pdf_text(pdf);
    g_test_message("%s", text);

    st = kv_gui_test_station_open_ledger(station);
    r = kv_refund_get(st, first, &created, &reason, &by, &error);
    g_assert_no_error(error);
    number = g_strdup_printf(" %" G_GINT64_FORMAT, first);
    meter = g_strdup_printf("%09u", r->meter_number);
    money = kv_decimal_format(r->amount, 2);
    energy = kv_energy_format(r->energy);
    g_assert_nonnull(strstr(text, "REFUND"));
    g_assert_true(line_with(text, "Refund no.", number));
    g_assert_true(line_with(text, "Meter", meter));
    g_assert_true(line_with(text, "Reason", "first: wrong meter"));
    g_assert_true(line_with(text, "Supervisor", KV_DEMO_SUPERVISOR));
    g_assert_true(line_with(text, "Paid back", money));
    g_assert_true(line_with(text, "Credit not loaded", energy));
    g_assert_null(strstr(text, "second"));
    g_assert_true(kv_gui_test_wait_text(status, "refund receipt was saved", 10000));
    gtk_window_destroy(GTK_WINDOW(window));
}

/* ---- engineering cards and the meter swap ------------------------------------------ */

/* The meter firmware on the host: the card at path inserted into the demo
 * meter `meter` (its state and provisioning block beside the cards). */
static gboolean meter_takes(guint32 meter, const char *card)
{
    const char *sim = g_getenv("KILOVEND_METER_SIM");
    g_autofree char *name = g_strdup_printf("meter-%09u", meter);
    g_autofree char *state = g_build_filename(station->dir, name, NULL);
    g_autofree char *prov = g_strdup_printf("%s.prov", state);
    g_autofree char *out = NULL;
    g_autoptr(GError) error = NULL;
    const char *argv[] = {sim, "--state", state, "--config", prov, "insert", card, NULL};
    int status = 0;

    if (sim == NULL || !g_file_test(prov, G_FILE_TEST_EXISTS))
        return FALSE;
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL,
                               NULL, &out, NULL, &status, &error));
    g_assert_no_error(error);
    g_test_message("meter: %s", out);
    g_assert_true(g_spawn_check_wait_status(status, NULL));
    return TRUE;
}

/* The value of the read report's row with this title, or NULL. */
static const char *find_fact(GtkWidget *root, const char *title)
{
    GtkWidget *list = kv_gui_test_get_id(root, "report_list");

    for (GtkWidget *row = gtk_widget_get_first_child(list); row;
         row = gtk_widget_get_next_sibling(row))
        if (ADW_IS_PREFERENCES_ROW(row) &&
            g_strcmp0(adw_preferences_row_get_title(ADW_PREFERENCES_ROW(row)), title) == 0)
            return gtk_label_get_label(GTK_LABEL(kv_gui_test_find_class(row, "numeric")));
    return NULL;
}

static gboolean report_shown(gpointer root)
{
    return gtk_widget_get_visible(kv_gui_test_get_id(root, "report_list")) &&
           find_fact(root, "Card type") != NULL;
}

/* The card at path back from the meter, read on the Technician screen. */
static void read_back(GtkWidget *root, const char *path)
{
    GtkWidget *list = kv_gui_test_get_id(root, "report_list");

    kv_gui_test_insert_card(station->session, path);
    gtk_widget_set_visible(list, FALSE);
    g_assert_true(gtk_widget_activate_action(list, "tech.read-card", NULL));
    g_assert_true(kv_gui_test_wait(report_shown, root, 60000));
}

/* A blank card file n (PSC FF FF FF) in the reader. */
static char *blank_in_reader(guint n)
{
    static const guint8 factory_psc[3] = {0xFF, 0xFF, 0xFF};
    g_autoptr(GError) error = NULL;
    char *path = kv_demo_card_path(station->dir, n);

    g_assert_true(kv_card_link_file_create_blank(path, factory_psc, &error));
    g_assert_no_error(error);
    kv_gui_test_insert_card(station->session, path);
    return path;
}

static void write_card(GtkWidget *root, const char *meter, guint type_index, const char *expect)
{
    GtkWidget *result = kv_gui_test_get_id(root, "result_label");

    gtk_editable_set_text(
        GTK_EDITABLE(kv_gui_test_get(root, "Meter number of the engineering card")), meter);
    adw_combo_row_set_selected(ADW_COMBO_ROW(kv_gui_test_get_id(root, "type_row")), type_index);
    gtk_label_set_label(GTK_LABEL(result), "");
    g_assert_true(gtk_widget_activate_action(result, "tech.write-card", NULL));
    g_assert_true(kv_gui_test_wait_text(result, expect, 60000));
    g_test_message("%s", kv_gui_test_text(result));
}

/* A swap asked on the Technician screen (the reason and source as they
 * are): its result once it says `expect`. */
static const char *swap_meter(GtkWidget *root, const char *from, const char *to,
                              const char *expect)
{
    GtkWidget *swap = kv_gui_test_get_id(root, "swap_label");

    gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(root, "Old meter number")), from);
    gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(root, "New meter number")), to);
    gtk_label_set_label(GTK_LABEL(swap), "");
    g_assert_true(gtk_widget_activate_action(swap, "tech.swap-meter", NULL));
    g_assert_true(kv_gui_test_wait_text(swap, expect, 60000));
    g_test_message("%s", kv_gui_test_text(swap));
    return kv_gui_test_text(swap);
}

/* A sale on Ama's card loaded by her meter, the meter cleared by a
 * clear-credit card read back here, then the cleared credit refunded from
 * the History (no card), once. */
static void test_refund_cleared(void)
{
    g_autofree char *ama = kv_demo_card_path(station->dir, 1);
    g_autofree char *yaw = kv_demo_card_path(station->dir, 2);
    g_autofree char *clear = NULL, *meter = NULL, *cleared = NULL, *energy = NULL;
    KvWindow *window = kv_gui_test_window_new(station);
    GtkWidget *root = GTK_WIDGET(window);
    KvHistoryPage *history = find_history(root);
    g_autoptr(KvStation) st = NULL;
    g_autoptr(GError) error = NULL;
    g_autofree KvRefund *r = NULL;
    g_autofree char *reason = NULL, *by = NULL;
    gint64 created = 0;
    KvGuiSellScreen s;
    GtkWidget *status;
    const char *said;

    if (!kv_session_get_signed_in(station->session))
        kv_gui_test_sign_in(window, KV_DEMO_SUPERVISOR, KV_DEMO_SUPERVISOR_PASSWORD);
    kv_gui_test_sell_screen(root, &s);
    gtk_widget_activate_action(root, "win.page", "s", "sell");
    sell(root, &s, ama, "10");
    meter = g_strdup(kv_gui_test_text(s.meter));
    kv_gui_test_insert_card(station->session, yaw);
    if (!meter_takes((guint32)g_ascii_strtoull(meter, NULL, 10), ama)) {
        g_test_skip("no meter firmware on the host (kilovend-meter-sim)");
        gtk_window_destroy(GTK_WINDOW(window));
        return;
    }

    gtk_widget_activate_action(root, "win.page", "s", "technician");
    clear = blank_in_reader(10);
    write_card(root, meter, 5, "Clear-credit card");
    kv_gui_test_insert_card(station->session, yaw);
    g_assert_true(meter_takes((guint32)g_ascii_strtoull(meter, NULL, 10), clear));
    read_back(root, clear);
    cleared = g_strdup(find_fact(root, "Credit cleared by the meter (all clear-credit cards)"));
    g_assert_cmpstr(cleared, !=, "0.00 kWh");

    gtk_widget_activate_action(root, "win.page", "s", "reports");
    status = kv_gui_test_get(root, "History status");
    said = refund(root, status, CLEARED, meter, "meter faulty, credit cleared", "Pay back");
    g_assert_nonnull(strstr(said, "from 1 sale."));
    g_assert_null(strstr(said, "no longer carries"));
    g_assert_true(kv_gui_test_wait(history_done, history, 20000));
    st = kv_gui_test_station_open_ledger(station);
    r = kv_refund_get(st, kv_history_page_get_last_refund(history), &created, &reason, &by,
                      &error);
    g_assert_no_error(error);
    energy = kv_session_format_energy(r->energy);
    g_assert_cmpstr(energy, ==, cleared);
    g_assert_false(kv_refund_is_unloaded(st, r->id));
    g_assert_cmpint(r->amount, >, 0);

    /* Paid back once. */
    said = refund(root, status, CLEARED, meter, "again", "No refund");
    g_assert_nonnull(strstr(said, "no cleared credit waits for a refund"));
    gtk_window_destroy(GTK_WINDOW(window));
}

static void test_clear_credit_and_swap(void)
{
    KvWindow *window = kv_gui_test_window_new(station);
    GtkWidget *root = GTK_WIDGET(window);
    g_autofree char *yaw = kv_demo_card_path(station->dir, 2);
    g_autofree char *param = NULL, *clear = NULL, *fresh = NULL, *left = NULL;
    g_autofree char *new_meter_text = NULL, *esi_meter = NULL, *ama_meter = NULL;
    g_autoptr(KvStation) st = NULL;
    g_autoptr(KvMeter) old = NULL, swapped = NULL;
    g_autoptr(GError) error = NULL;
    const char *said;
    guint32 new_meter = 10000009 * 10 + kv_meter_check_digit(10000009);

    if (!kv_session_get_signed_in(station->session) ||
        kv_session_get_role(station->session) < KV_ROLE_SUPERVISOR) {
        kv_session_sign_out(station->session);
        kv_gui_test_sign_in(window, KV_DEMO_SUPERVISOR, KV_DEMO_SUPERVISOR_PASSWORD);
    }
    gtk_widget_activate_action(root, "win.page", "s", "technician");

    /* A parameter card: the allowance out of range is refused, 7 kWh taken. */
    param = blank_in_reader(6);
    gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(root, "Emergency credit allowance")),
                          "256");
    write_card(root, G_STRINGIFY(YAW_METER), 1, "No card was written");
    g_assert_nonnull(strstr(kv_gui_test_text(kv_gui_test_get_id(root, "result_label")),
                            "from 0 to 255"));
    gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(root, "Emergency credit allowance")), "7");
    write_card(root, G_STRINGIFY(YAW_METER), 1, "Parameter card");
    g_assert_nonnull(strstr(kv_gui_test_text(kv_gui_test_get_id(root, "result_label")),
                            "Emergency credit: 7 kWh"));
    kv_gui_test_insert_card(station->session, yaw);
    if (!meter_takes(YAW_METER, param)) {
        g_test_skip("no meter firmware on the host (kilovend-meter-sim)");
        gtk_window_destroy(GTK_WINDOW(window));
        return;
    }
    read_back(root, param);
    g_assert_cmpstr(find_fact(root, "Card type"), ==, "Parameter card");
    g_assert_cmpstr(find_fact(root, "Meter’s last result"), ==, "Accepted");
    g_assert_cmpstr(find_fact(root, "Emergency credit allowance"), ==, "7.00 kWh");
    left = g_strdup(find_fact(root, "Credit in the meter"));
    g_assert_cmpstr(left, !=, "0.00 kWh");

    /* A clear-credit card: the meter empties its credit and says how much. */
    clear = blank_in_reader(7);
    write_card(root, G_STRINGIFY(YAW_METER), 5, "Clear-credit card");
    g_assert_nonnull(strstr(kv_gui_test_text(kv_gui_test_get_id(root, "result_label")),
                            "how much it cleared"));
    kv_gui_test_insert_card(station->session, yaw);
    g_assert_true(meter_takes(YAW_METER, clear));
    read_back(root, clear);
    g_assert_cmpstr(find_fact(root, "Card type"), ==, "Clear-credit card");
    g_assert_cmpstr(find_fact(root, "Credit in the meter"), ==, "0.00 kWh");
    g_assert_cmpstr(find_fact(root, "Credit cleared by the meter (all clear-credit cards)"), ==,
                    left);
    kv_gui_test_screenshot(root, "technician-clear-credit");

    /* The swap, from the cleared credit, onto a blank card. */
    fresh = blank_in_reader(8);
    new_meter_text = g_strdup_printf("%u", new_meter);
    /* No reason: nothing is done. */
    swap_meter(root, G_STRINGIFY(YAW_METER), new_meter_text, "Say why");
    gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(root, "Reason for the meter swap")),
                          "display dead");
    said = swap_meter(root, G_STRINGIFY(YAW_METER), new_meter_text, "retired");
    g_assert_nonnull(strstr(said, "cleared from the old meter"));
    g_assert_null(strstr(said, "ESTIMATE"));
    g_assert_nonnull(strstr(said, "issued for meter"));
    {
        g_autofree char *carried = g_strdup_printf("%s carried", left);
        g_assert_nonnull(strstr(said, carried));
    }
    st = kv_gui_test_station_open_ledger(station);
    old = kv_meter_get(st, YAW_METER, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(old->status, ==, "removed");
    swapped = kv_meter_get(st, new_meter, &error);
    g_assert_no_error(error);
    g_assert_cmpint(swapped->customer_id, ==, old->customer_id);
    {
        g_autofree char *sold = kv_session_format_energy(swapped->cumulative_sold);
        g_assert_cmpstr(sold, ==, left);
    }

    /* The card in the reader is the new meter's. */
    read_back(root, fresh);
    g_assert_cmpstr(find_fact(root, "Meter"), ==, new_meter_text);
    g_assert_cmpstr(find_fact(root, "Card type"), ==, "Customer card");

    /* The old meter is swapped once, and its estimate asked again refused. */
    adw_combo_row_set_selected(ADW_COMBO_ROW(kv_gui_test_get_id(root, "swap_source_row")), 1);
    esi_meter = g_strdup_printf("%u", 10000003 * 10 + kv_meter_check_digit(10000003));
    said = swap_meter(root, G_STRINGIFY(YAW_METER), esi_meter, "The meter was not swapped");
    g_assert_nonnull(strstr(said, "already swapped"));

    /* Ama's meter is dead: its estimate, chosen, is carried and said so. */
    g_free(fresh);
    fresh = blank_in_reader(9);
    g_free(new_meter_text);
    new_meter_text = g_strdup_printf("%u", 10000010 * 10 + kv_meter_check_digit(10000010));
    ama_meter = g_strdup_printf("%u", 10000001 * 10 + kv_meter_check_digit(10000001));
    said = swap_meter(root, ama_meter, new_meter_text, "retired");
    g_assert_nonnull(strstr(said, "ESTIMATE: "));
    g_assert_nonnull(strstr(said, "from its newest readback"));
    g_assert_nonnull(strstr(said, "issued for meter"));
    g_clear_pointer(&old, kv_meter_free);
    old = kv_meter_get(st, 10000001 * 10 + kv_meter_check_digit(10000001), &error);
    g_assert_no_error(error);
    g_assert_cmpstr(old->status, ==, "removed");
    gtk_window_destroy(GTK_WINDOW(window));
}

KV_GUI_TEST_MAIN(station,
                 {"/lifecycle/refund-unloaded", test_refund_unloaded},
                 {"/lifecycle/refund-reprint", test_refund_reprint},
                 {"/lifecycle/refund-cleared", test_refund_cleared},
                 {"/lifecycle/clear-credit-and-swap", test_clear_credit_and_swap})
