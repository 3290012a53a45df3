/* test-history.c - the history through the real stack: a private pcscd
 * with the virtual card (run-in-pcsc-env.sh), the demo database.  A cashier
 * sells on a card, then cancels that sale from the history, a reason asked
 * first, with the card in the reader: the ledger says cancelled, and the
 * sale can be cancelled no more (its button says why).  While the card is
 * at work, a bar shows its steps and neither Cancel Sale nor Settle From
 * the Card can be pressed again.  The demo's sale of
 * another shift is not in the cashier's history. */
#include "config.h"

#include <string.h>

#include "kv-demo.h"
#include "kv-gui-test.h"
#include "kv-reports-page.h"

static KvGuiStation *station;

static gboolean history_done(gpointer data)
{
    return !kv_history_page_is_busy(data);
}

static gboolean revealed(gpointer widget)
{
    return gtk_revealer_get_reveal_child(GTK_REVEALER(gtk_widget_get_parent(widget)));
}

/* Each text the card's progress bar shows, in order, with whether Cancel
 * Sale (data "cancel") and Settle From the Card (data "settle") were
 * insensitive then. */
static void on_progress_text_cb(GtkProgressBar *bar, GParamSpec *pspec, GPtrArray *steps)
{
    const char *text = gtk_progress_bar_get_text(bar);
    GtkWidget *cancel = g_object_get_data(G_OBJECT(bar), "cancel");
    GtkWidget *settle = g_object_get_data(G_OBJECT(bar), "settle");

    if (text == NULL || *text == '\0')
        return;
    g_ptr_array_add(steps, g_strdup_printf("%s%s", text,
                                           gtk_widget_get_sensitive(cancel) ||
                                                   gtk_widget_get_sensitive(settle)
                                               ? " [BUTTONS SENSITIVE]"
                                               : ""));
}

#define find_history(w) KV_HISTORY_PAGE(kv_gui_test_find_type(w, KV_TYPE_HISTORY_PAGE))

static KvSale *sale_of(guint32 meter, gint64 id)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(KvStation) st = kv_gui_test_station_open_ledger(station);
    KvSale *sale = id ? kv_sale_get(st, id, &error) : kv_sale_last_of_meter(st, meter, &error);

    g_assert_no_error(error);
    g_assert_nonnull(sale);
    return sale;
}

static void test_history_cancel(void)
{
    KvWindow *window = kv_gui_test_window_new(station);
    GtkWidget *root = GTK_WIDGET(window);
    KvHistoryPage *history = find_history(root);
    g_autofree char *card = kv_demo_card_path(station->dir, 1);
    g_autofree char *label = NULL, *heading = NULL;
    g_autoptr(KvSale) sold = NULL, after = NULL;
    AdwMessageDialog *ask;
    GtkWidget *cancel, *status, *progress, *settle;
    g_autoptr(GPtrArray) steps = g_ptr_array_new_with_free_func(g_free);
    gboolean unlocked = FALSE;
    guint32 meter;

    /* A sale on Ama Owusu's card. */
    kv_gui_test_sign_in(window, KV_DEMO_CASHIER, KV_DEMO_CASHIER_PASSWORD);
    meter = kv_gui_test_sell_on_card(window, card, "Ama Owusu", "10");
    sold = sale_of(meter, 0);
    g_assert_cmpint(sold->state, ==, KV_SALE_COMPLETED);

    /* The history: the cashier's own sale, Cancel offered; the demo's sale
     * (another cashier, another shift) not listed. */
    gtk_widget_activate_action(root, "win.page", "s", "reports");
    kv_history_page_refresh(history);
    g_assert_true(kv_gui_test_wait(history_done, history, 20000));
    status = kv_gui_test_get(root, "History status");
    label = g_strdup_printf("Cancel sale %" G_GINT64_FORMAT, sold->id);
    cancel = kv_gui_test_get(root, label);
    g_assert_true(gtk_widget_get_sensitive(cancel));
    g_assert_null(kv_gui_test_find_by_label(root, "Reprint receipt 1"));

    /* Cancel it: the reason first, then the card in the reader. */
    g_signal_emit_by_name(cancel, "clicked");
    heading = g_strdup_printf("Cancel Receipt %" G_GINT64_FORMAT "?", sold->id);
    ask = kv_gui_test_wait_dialog(heading);
    g_assert_false(adw_message_dialog_get_response_enabled(ask, "cancel-sale"));
    gtk_editable_set_text(GTK_EDITABLE(adw_message_dialog_get_extra_child(ask)),
                          "wrong meter number given");
    progress = kv_gui_test_get(root, "Card progress");
    settle = kv_gui_test_get(root, "Settle sales from the card in the reader");
    g_assert_false(revealed(progress));
    g_assert_true(gtk_widget_get_sensitive(settle));
    g_object_set_data(G_OBJECT(progress), "cancel", cancel);
    g_object_set_data(G_OBJECT(progress), "settle", settle);
    g_signal_connect(progress, "notify::text", G_CALLBACK(on_progress_text_cb), steps);
    kv_gui_test_respond(ask, "cancel-sale");
    /* The card job runs: its steps on the bar, and no second press of
     * Cancel Sale or Settle From the Card (a second press does nothing). */
    g_assert_true(revealed(progress));
    g_assert_false(gtk_widget_get_sensitive(cancel));
    g_assert_false(gtk_widget_get_sensitive(settle));
    g_signal_emit_by_name(settle, "clicked");
    g_signal_emit_by_name(cancel, "clicked");
    g_assert_null(kv_gui_test_find_dialog(heading));
    g_assert_true(kv_gui_test_wait_text(status, "is cancelled", 60000));
    g_test_message("%s", kv_gui_test_text(status));
    g_assert_true(kv_gui_test_wait(history_done, history, 20000));
    g_assert_true(kv_gui_test_wait_text(status, "is cancelled", 1000));
    g_signal_handlers_disconnect_by_data(progress, steps);
    for (guint i = 0; i < steps->len; i++) {
        const char *step = g_ptr_array_index(steps, i);
        g_test_message("step %u: %s", i, step);
        g_assert_null(strstr(step, "[BUTTONS SENSITIVE]"));
        unlocked |= strstr(step, "Unlocking the card") != NULL;
    }
    g_assert_true(g_str_has_prefix(g_ptr_array_index(steps, 0), "Cancelling"));
    g_assert_true(unlocked);
    g_assert_false(revealed(progress));
    g_assert_true(gtk_widget_get_sensitive(settle));
    after = sale_of(meter, sold->id);
    g_assert_cmpint(after->state, ==, KV_SALE_CANCELLED);
    g_assert_cmpstr(after->cancel_reason, ==, "wrong meter number given");

    /* Listed again: no more Cancel, and the reason said. */
    cancel = kv_gui_test_get(root, label);
    g_assert_false(gtk_widget_get_sensitive(cancel));
    g_assert_cmpstr(gtk_widget_get_tooltip_text(cancel), ==,
                    "Only a completed sale can be cancelled.");

    /* Settle From the Card: the same bar, the button insensitive until the
     * card is read. */
    g_signal_emit_by_name(settle, "clicked");
    g_assert_true(revealed(progress));
    g_assert_false(gtk_widget_get_sensitive(settle));
    g_assert_true(g_str_has_prefix(gtk_progress_bar_get_text(GTK_PROGRESS_BAR(progress)),
                                   "Reading the card in the reader"));
    g_assert_true(kv_gui_test_wait_text(status, "settled from the card", 60000));
    g_test_message("%s", kv_gui_test_text(status));
    g_assert_true(kv_gui_test_wait(history_done, history, 20000));
    g_assert_false(revealed(progress));
    g_assert_true(gtk_widget_get_sensitive(settle));
    gtk_window_destroy(GTK_WINDOW(window));
}

KV_GUI_TEST_MAIN(station,
                 {"/history/cancel-with-card", test_history_cancel})
