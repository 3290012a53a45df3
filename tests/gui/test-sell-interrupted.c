/* test-sell-interrupted.c - the Sell screen when the write is cut short,
 * through the real stack (run-in-pcsc-env.sh: a private pcscd, vpcd and the
 * virtual card, started with a mute card never given up by the reader).
 *
 * - card pulled mid-write (the virtual card tears after its first byte):
 *   the screen says the sale is on hold and to put the card back, the
 *   ledger holds it pending; the card back in, the card does not show the
 *   token, but bytes of it left the station: the sale is issued, not
 *   confirmed (before, "cancelled, nothing due": a card that lies about
 *   what it holds kept the credit), and the screen says a supervisor
 *   decides;
 * - reader lost mid-write (the card stops answering at the write, pcscd
 *   restarts without the reader): the screen says the reader was lost, the
 *   sale is on hold, what to do; the ledger holds it pending; the reader
 *   back and the card read again, the sale is settled; the next sale
 *   completes once, and the card and the ledger agree on the credit;
 * - a slow card (it takes the bytes, then is silent at the read-back, as a
 *   real SLE4442 is slow to write): the bar says what the card is doing,
 *   the window still answers, Enter pressed again sells nothing more; the
 *   card pulled while it is silent, the sale is on hold; the card back, the
 *   sale completes once, with the credit the card carries.
 * Every wait is for a state (the watcher's, the screen's, the virtual
 * card's log); the timeouts only bound a failure. */
#include "config.h"

#include <string.h>

#include "kv-demo.h"
#include "kv-gui-test.h"

#define WAIT_MS 60000

static KvGuiStation *station;

/* ---- the station's records, through a second connection -------------------- */

static KvStation *open_station(void)
{
    return kv_gui_test_station_open_ledger(station);
}

/* The unresolved sales of a meter (pending, written or cancelling). */
static guint unresolved_of(guint32 meter, gint64 *id)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(KvStation) st = open_station();
    g_autoptr(GPtrArray) held = kv_sale_list_unresolved(st, &error);
    guint n = 0;

    g_assert_no_error(error);
    for (guint i = 0; i < held->len; i++) {
        KvSale *s = g_ptr_array_index(held, i);

        if (s->meter_number == meter) {
            n++;
            *id = s->id;
            g_assert_cmpint(s->state, ==, KV_SALE_PENDING);
        }
    }
    return n;
}

static KvSale *get_sale(gint64 id)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(KvStation) st = open_station();
    KvSale *s = kv_sale_get(st, id, &error);

    g_assert_no_error(error);
    return s;
}

static guint32 cumulative_sold(guint32 number)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(KvStation) st = open_station();
    g_autoptr(KvMeter) m = kv_meter_get(st, number, &error);

    g_assert_no_error(error);
    return m->cumulative_sold;
}

/* The credit the card file carries (tests/gui/kv-gui-card-check). */
static guint32 card_cumulative(const char *card)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *out = NULL;
    const char *check = g_getenv("KV_GUI_CARD_CHECK");
    const char *argv[] = {check, station->db, station->keys, card, NULL};
    const char *p;
    int status;

    g_assert_nonnull(check);
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out,
                               NULL, &status, &error));
    g_assert_no_error(error);
    g_assert_true(g_spawn_check_wait_status(status, &error));
    g_assert_no_error(error);
    p = strstr(out, "cumulative=");
    g_assert_nonnull(p);
    return (guint32)g_ascii_strtoull(p + strlen("cumulative="), NULL, 10);
}

/* ---- the screen ---------------------------------------------------------------- */

typedef struct {
    KvWindow *window;
    GtkWidget *root, *customer, *amount, *title, *detail, *card_stack, *no_card;
} Screen;

/* The card found in the reader at sign-in has been read (or the reader is
 * empty): a card pulled while it is being read is a case of its own. */
static gboolean settled(gpointer data)
{
    Screen *s = data;
    KvReaderState state = kv_card_watcher_get_state(kv_session_get_watcher(station->session));
    const char *shown = gtk_stack_get_visible_child_name(GTK_STACK(s->card_stack));

    return state == KV_READER_STATE_EMPTY ||
           (state == KV_READER_STATE_CARD &&
            (g_strcmp0(shown, "card") == 0 || g_strcmp0(shown, "error") == 0));
}

static void screen_open(Screen *s)
{
    s->window = kv_gui_test_window_new(station);
    s->root = GTK_WIDGET(s->window);
    kv_gui_test_sign_in(s->window, KV_DEMO_CASHIER, KV_DEMO_CASHIER_PASSWORD);
    s->customer = kv_gui_test_get_id(s->root, "customer_label");
    s->amount = kv_gui_test_get(s->root, "Amount");
    s->title = kv_gui_test_get_id(s->root, "result_title");
    s->detail = kv_gui_test_get_id(s->root, "result_detail");
    s->card_stack = kv_gui_test_get_id(s->root, "card_stack");
    s->no_card = kv_gui_test_get_id(s->root, "no_card_page");
    g_assert_true(kv_gui_test_wait(settled, s, WAIT_MS));
}

/* Type an amount and wait until it is priced and Sell is on. */
static void price(Screen *s, const char *amount)
{
    kv_gui_test_price(s->root, amount);
}

/* A new window, the card of this customer read, the amount priced: the
 * meter's energy sold so far. */
static guint32 sale_ready(Screen *s, const char *card, const char *customer, guint32 meter,
                          const char *amount)
{
    screen_open(s);
    kv_gui_test_insert_card(station->session, card);
    g_assert_true(kv_gui_test_wait_text(s->customer, customer, WAIT_MS));
    price(s, amount);
    return cumulative_sold(meter);
}

static gboolean stack_shows(GtkWidget *stack, const char *name)
{
    return g_strcmp0(gtk_stack_get_visible_child_name(GTK_STACK(stack)), name) == 0;
}

static void assert_shows(const char *where, const char *text, const char *needle)
{
    if (strstr(text, needle) == NULL)
        g_error("%s is “%s”: “%s” expected in it", where, text, needle);
}

/* The result comes with this title; its detail says every one of the needles. */
static void wait_result(const Screen *s, const char *title, const char *const *needles)
{
    g_assert_true(kv_gui_test_wait_text(s->title, title, WAIT_MS));
    g_test_message("%s", kv_gui_test_text(s->detail));
    for (guint i = 0; needles[i] != NULL; i++)
        assert_shows("the result", kv_gui_test_text(s->detail), needles[i]);
}
#define WAIT_RESULT(s, title, ...) wait_result(s, title, (const char *const[]){__VA_ARGS__, NULL})

/* ---- card pulled in the middle of the write ------------------------------------ */

static void test_card_pulled(void)
{
    Screen s;
    g_autofree char *card = kv_demo_card_path(station->dir, 2);
    const guint32 meter = 100000025;
    guint32 sold_before, card_before;
    gint64 held = 0;
    g_autoptr(KvSale) sale = NULL;

    sold_before = sale_ready(&s, card, "Yaw Mensah", meter, "15");

    /* The card leaves the reader after the first byte of the credit. */
    kv_gui_test_vcard("tear 1");
    gtk_widget_activate_action(s.amount, "sell.confirm", NULL);
    WAIT_RESULT(&s, "Sale on Hold",
                "card was removed", "do not take the money", "Put the same card back");
    g_assert_true(kv_gui_test_wait_for(stack_shows, s.card_stack, "none", WAIT_MS));
    gtk_test_widget_wait_for_draw(s.root);
    kv_gui_test_screenshot(s.root, "sell-card-pulled");

    /* The ledger: on hold, nothing sold yet. */
    g_assert_cmpuint(unresolved_of(meter, &held), ==, 1);
    g_assert_cmpuint(cumulative_sold(meter), ==, sold_before);

    /* The card back: it does not show the token, the sale is issued. */
    kv_gui_test_vcard("insert %s", card);
    WAIT_RESULT(&s, "Sale Not Confirmed", "ISSUED", "supervisor");
    sale = get_sale(held);
    g_assert_cmpint(sale->state, ==, KV_SALE_ISSUED);
    g_assert_cmpuint(unresolved_of(meter, &held), ==, 0);
    g_assert_cmpuint(cumulative_sold(meter), ==, sold_before);
    /* The card's last valid credit is the one sold before. */
    card_before = card_cumulative(card);
    g_assert_cmpuint(card_before, ==, sold_before);

    gtk_window_destroy(GTK_WINDOW(s.window));
}

/* ---- reader lost in the middle of the write ------------------------------------- */

static void test_reader_lost(void)
{
    Screen s;
    g_autofree char *card = kv_demo_card_path(station->dir, 1);
    const guint32 meter = 100000017;
    guint32 sold_before;
    gint64 held = 0;
    guint muted;
    g_autoptr(KvSale) sale = NULL;
    g_autoptr(KvSale) next = NULL;
    g_autoptr(KvStation) st = NULL;
    g_autoptr(GError) error = NULL;

    sold_before = sale_ready(&s, card, "Ama Owusu", meter, "20");

    /* The card goes silent at the sale's first command; while the reader
     * waits for it, pcscd restarts without the reader. */
    muted = kv_gui_test_vcard_log_count("card stops answering");
    kv_gui_test_vcard("mute 0");
    gtk_widget_activate_action(s.amount, "sell.confirm", NULL);
    g_assert_true(kv_gui_test_wait_vcard_log("card stops answering", muted, WAIT_MS));
    kv_gui_test_pcsc_ctl("reader-unplug");

    WAIT_RESULT(&s, "Sale on Hold",
                "card reader was lost", "do not take the money", "Reconnect the reader");
    /* The card panel says there is no reader. */
    g_assert_true(kv_gui_test_wait_for(stack_shows, s.card_stack, "none", WAIT_MS));
    g_assert_true(kv_gui_test_wait_reader(station->session, KV_READER_STATE_NO_READER, WAIT_MS));
    g_assert_nonnull(strstr(adw_status_page_get_description(ADW_STATUS_PAGE(s.no_card)),
                            "reader"));
    gtk_test_widget_wait_for_draw(s.root);
    kv_gui_test_screenshot(s.root, "sell-reader-lost");

    /* The ledger: the sale is pending, nothing sold yet. */
    g_assert_cmpuint(unresolved_of(meter, &held), ==, 1);
    g_assert_cmpuint(cumulative_sold(meter), ==, sold_before);

    /* The reader comes back with the card in it: read again, settled. */
    kv_gui_test_vcard("mute -1");
    kv_gui_test_pcsc_ctl("reader-plug");
    WAIT_RESULT(&s, "Sale Cancelled", "No money is due");
    sale = get_sale(held);
    g_assert_cmpint(sale->state, ==, KV_SALE_FAILED);
    g_assert_cmpuint(unresolved_of(meter, &held), ==, 0);
    g_assert_cmpuint(cumulative_sold(meter), ==, sold_before);

    /* Selling again: completed once, on the card and in the ledger. */
    gtk_widget_activate_action(s.amount, "sell.new-sale", NULL);
    g_assert_true(kv_gui_test_wait_text(s.customer, "Ama Owusu", WAIT_MS));
    price(&s, "20");
    gtk_widget_activate_action(s.amount, "sell.confirm", NULL);
    g_assert_true(kv_gui_test_wait_text(s.title, "Sold", WAIT_MS));
    st = open_station();
    next = kv_sale_last_of_meter(st, meter, &error);
    g_assert_no_error(error);
    g_assert_nonnull(next);
    g_assert_cmpint(next->id, >, held);
    g_assert_cmpint(next->state, ==, KV_SALE_COMPLETED);
    g_assert_cmpuint(cumulative_sold(meter), ==, sold_before + (guint32)next->breakdown.energy);
    g_assert_cmpuint(card_cumulative(card), ==, sold_before + (guint32)next->breakdown.energy);

    gtk_window_destroy(GTK_WINDOW(s.window));
}

/* ---- a slow card, pulled while it is slow ------------------------------------------ */

static gboolean revealed(gpointer widget)
{
    GtkWidget *revealer = gtk_widget_get_parent(widget);

    return gtk_revealer_get_child_revealed(GTK_REVEALER(revealer));
}

static void on_progress_text_cb(GtkProgressBar *bar, GParamSpec *pspec, GPtrArray *steps)
{
    const char *text = gtk_progress_bar_get_text(bar);

    if (text != NULL && (steps->len == 0 || g_strcmp0(g_ptr_array_index(steps, steps->len - 1),
                                                       text) != 0))
        g_ptr_array_add(steps, g_strdup(text));
}

static void test_slow_card(void)
{
    const guint32 meter = 100000025;
    g_autofree char *card = kv_demo_card_path(station->dir, 2);
    g_autoptr(GPtrArray) steps = g_ptr_array_new_with_free_func(g_free);
    g_autoptr(KvSale) sale = NULL;
    GtkWidget *progress, *sell;
    const char *step;
    guint32 sold_before;
    gint64 held = 0;
    guint muted;
    Screen s;

    sold_before = sale_ready(&s, card, "Yaw Mensah", meter, "12");
    progress = kv_gui_test_get_id(s.root, "sale_progress");
    sell = kv_gui_test_sell_button(s.root);
    g_assert_false(revealed(progress));
    g_signal_connect(progress, "notify::text", G_CALLBACK(on_progress_text_cb), steps);

    /* The cashier presses Enter; the card takes the credit and then keeps
     * the station waiting. */
    muted = kv_gui_test_vcard_log_count("card stops answering");
    kv_gui_test_vcard("mute after-write");
    gtk_widget_grab_focus(s.amount);
    kv_gui_test_press_key(s.amount, GDK_KEY_Return, 0);
    g_assert_true(kv_gui_test_wait_vcard_log("card stops answering", muted, WAIT_MS));

    /* What it is doing, and what not to do. */
    g_assert_true(kv_gui_test_wait(revealed, progress, WAIT_MS));
    step = gtk_progress_bar_get_text(GTK_PROGRESS_BAR(progress));
    g_test_message("the bar: %s", step);
    assert_shows("the progress", step, "Writing the credit to the card");
    assert_shows("the progress", step, "Leave the card in the reader");
    /* Step by step, as the card is asked: the sale starts, the card is
     * unlocked, the credit is written. */
    for (guint i = 0; i < steps->len; i++)
        g_test_message("step %u: %s", i, (const char *)g_ptr_array_index(steps, i));
    g_assert_cmpuint(steps->len, >=, 3);
    assert_shows("the first step", g_ptr_array_index(steps, 0), "Starting the sale");
    assert_shows("a step", g_ptr_array_index(steps, steps->len - 2), "Unlocking the card");
    gtk_test_widget_wait_for_draw(s.root);
    kv_gui_test_screenshot(s.root, "sell-slow-card");

    /* Not frozen: the window answers the keyboard while the card is
     * silent (another screen and back, the bar still there). */
    kv_gui_test_press_key(s.root, GDK_KEY_2, GDK_ALT_MASK);
    g_assert_cmpstr(kv_window_get_visible_page(s.window), ==, "customers");
    kv_gui_test_press_key(s.root, GDK_KEY_1, GDK_ALT_MASK);
    g_assert_cmpstr(kv_window_get_visible_page(s.window), ==, "sell");
    g_assert_true(revealed(progress));

    /* Cannot be sold twice: Sell is off, Enter and the action do nothing. */
    g_assert_false(gtk_widget_is_sensitive(sell));
    gtk_widget_grab_focus(s.amount);
    kv_gui_test_press_key(s.amount, GDK_KEY_Return, 0);
    kv_gui_test_press_key(s.amount, GDK_KEY_Return, GDK_CONTROL_MASK);
    gtk_widget_activate_action(s.amount, "sell.confirm", NULL);
    kv_gui_test_spin(200);
    g_assert_cmpuint(unresolved_of(meter, &held), ==, 1);

    /* The customer pulls the card while it is silent: on hold, nothing
     * sold yet in the ledger. */
    kv_gui_test_vcard("remove");
    WAIT_RESULT(&s, "Sale on Hold",
                "stopped answering", "do not take the money", "Put the same card back");
    g_assert_false(revealed(progress));
    g_signal_handlers_disconnect_by_data(progress, steps);
    g_assert_cmpuint(unresolved_of(meter, &held), ==, 1);
    g_assert_cmpuint(cumulative_sold(meter), ==, sold_before);

    /* The card back (answering again): it holds the credit, the sale
     * completes, once, and the card and the ledger agree. */
    kv_gui_test_vcard("mute -1");
    kv_gui_test_vcard("insert %s", card);
    g_assert_true(kv_gui_test_wait_text(s.title, "Sale Completed", WAIT_MS));
    g_test_message("%s", kv_gui_test_text(s.detail));
    sale = get_sale(held);
    g_assert_cmpint(sale->state, ==, KV_SALE_COMPLETED);
    g_assert_cmpuint(unresolved_of(meter, &held), ==, 0);
    g_assert_cmpuint(cumulative_sold(meter), ==, sold_before + (guint32)sale->breakdown.energy);
    g_assert_cmpuint(card_cumulative(card), ==, sold_before + (guint32)sale->breakdown.energy);

    gtk_window_destroy(GTK_WINDOW(s.window));
}

KV_GUI_TEST_MAIN(station,
                 {"/sell-interrupted/card-pulled", test_card_pulled},
                 {"/sell-interrupted/reader-lost", test_reader_lost},
                 {"/sell-interrupted/slow-card", test_slow_card})
