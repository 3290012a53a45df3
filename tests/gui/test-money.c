/* test-money.c - how a sale is paid and the customer's statement, through
 * the real stack (a private pcscd with the virtual card, the demo
 * database).
 *
 * /money/payment-types: at the Sell screen a mobile money sale without its
 * reference is refused with the reason and nothing is sold, a malformed
 * reference too; with it the sale is made and recorded with its type and
 * reference; a bank card sale needs none, a bank transfer takes one, a cash
 * sale gives change; the shift's expected cash counts the cash sale only.
 *
 * /money/statement: from the Customers screen (Ctrl+T) the statement of
 * the customer for a period typed: on screen, saved as PDF and CSV, with
 * the opening debt (a movement before the period), the purchases with
 * their payment types, the month's free allocation, a debt adjustment and
 * the closing debt, which is the customer's debt in the ledger. */
#include "config.h"

#include <string.h>

#include "kv-demo.h"
#include "kv-gui-test.h"
#include "kv-report-view.h"
#include "kv-statement-dialog.h"

#define METER 100000017
#define DAY 86400

static KvGuiStation *station;

#define sensitive kv_gui_test_is_sensitive

static KvStation *ledger(void)
{
    return kv_gui_test_station_open_ledger(station);
}

static KvSale *last_sale(void)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(KvStation) st = ledger();
    KvSale *sale = kv_sale_last_of_meter(st, METER, &error);

    g_assert_no_error(error);
    return sale;
}

static gint64 last_sale_id(void)
{
    g_autoptr(KvSale) sale = last_sale();

    return sale != NULL ? sale->id : 0;
}

static gboolean revealed(gpointer data)
{
    GtkWidget *parent = gtk_widget_get_parent(data);

    return GTK_IS_REVEALER(parent) && gtk_revealer_get_reveal_child(GTK_REVEALER(parent)) &&
           *kv_gui_test_text(data) != '\0';
}

/* The customer of meter 1 in the lifeline category (20 kWh free a month)
 * and owing 50.00 since two days ago: the opening debt of today's
 * statement. */
static void prepare_customer(void)
{
    g_autoptr(KvStation) st = ledger();
    g_autoptr(GError) error = NULL;
    g_autoptr(KvMeter) m = kv_meter_get(st, METER, &error);
    g_autofree char *before = g_strdup_printf("%" G_GINT64_FORMAT, kv_now() - 2 * DAY);
    KvCategory c = {"lifeline", "Lifeline", "DEFAULT", 2000};

    g_assert_no_error(error);
    g_assert_true(kv_category_set(st, &c, &error));
    g_assert_true(kv_customer_set_category(st, m->customer_id, "lifeline", &error));
    g_setenv("KILOVEND_NOW", before, TRUE);
    g_assert_true(kv_debt_move(st, m->customer_id, KV_DEBT_ADDED, 5000, "arrears of the old meter",
                               &error));
    g_unsetenv("KILOVEND_NOW");
    g_assert_no_error(error);
}

/* Type an amount, choose the payment type and the reference (NULL: none),
 * press Sell. */
static void sell_with(KvGuiSellScreen *s, GtkWidget *root, const char *amount,
                      KvPaymentType type, const char *reference)
{
    GtkWidget *payment = kv_gui_test_get_id(root, "payment_dropdown");
    GtkWidget *ref = kv_gui_test_get_id(root, "reference_entry");

    gtk_editable_set_text(GTK_EDITABLE(s->amount), amount);
    gtk_drop_down_set_selected(GTK_DROP_DOWN(payment), type);
    gtk_editable_set_text(GTK_EDITABLE(ref), reference != NULL ? reference : "");
    if (!kv_gui_test_wait(sensitive, s->sell, 20000))
        g_test_message("not for sale: refusal [%s] hint [%s] result [%s] amount [%s] "
                       "sell [%s] card [%s] pay [%s]",
                       kv_gui_test_text(s->refusal),
                       kv_gui_test_text(kv_gui_test_get_id(root, "amount_hint")),
                       kv_gui_test_text(s->result), kv_gui_test_text(s->amount),
                       gtk_button_get_label(GTK_BUTTON(s->sell)),
                       gtk_stack_get_visible_child_name(GTK_STACK(kv_gui_test_get_id(root, "card_stack"))),
                       kv_gui_test_text(kv_gui_test_get_id(root, "payment_hint")));
    g_assert_true(gtk_widget_get_sensitive(s->sell));
    gtk_widget_activate_action(s->sell, "sell.confirm", NULL);
}

/* The next customer, and the sale just made checked in the ledger. */
static void check_sold(KvGuiSellScreen *s, gint64 amount, KvPaymentType type,
                       const char *reference)
{
    g_autoptr(KvSale) sale = NULL;

    /* Next customer is offered once the sale has ended. */
    g_assert_true(kv_gui_test_wait(sensitive, s->next, 60000));
    g_assert_nonnull(strstr(kv_gui_test_text(s->result), "Sold"));
    sale = last_sale();
    g_assert_nonnull(sale);
    g_test_message("sale %" G_GINT64_FORMAT ": %" G_GINT64_FORMAT " free %" G_GINT64_FORMAT,
                   sale->id, sale->breakdown.amount, sale->breakdown.free_energy);
    g_assert_cmpint(sale->state, ==, KV_SALE_COMPLETED);
    g_assert_cmpint(sale->breakdown.amount, ==, amount);
    g_assert_cmpint(sale->payment, ==, type);
    g_assert_cmpstr(sale->payment_ref, ==, reference);
    gtk_widget_activate_action(s->amount, "sell.new-sale", NULL);
    g_assert_false(gtk_widget_get_sensitive(s->next));
}

static void test_payment_types(void)
{
    KvWindow *window = kv_gui_test_window_new(station);
    GtkWidget *root = GTK_WIDGET(window);
    GtkWidget *payment, *ref, *hint;
    g_autofree char *card = kv_demo_card_path(station->dir, 1);
    KvGuiSellScreen s;
    gint64 before;

    prepare_customer();
    kv_gui_test_sign_in(window, KV_DEMO_CASHIER, KV_DEMO_CASHIER_PASSWORD);
    kv_gui_test_sell_screen(root, &s);
    payment = kv_gui_test_get_id(root, "payment_dropdown");
    ref = kv_gui_test_get_id(root, "reference_entry");
    hint = kv_gui_test_get_id(root, "payment_hint");
    kv_gui_test_insert_card(station->session, card);
    g_assert_true(kv_gui_test_wait_text(s.customer, "Ama Owusu", 30000));
    /* Cash first, no reference asked. */
    g_assert_cmpuint(gtk_drop_down_get_selected(GTK_DROP_DOWN(payment)), ==, KV_PAYMENT_CASH);
    g_assert_false(gtk_revealer_get_reveal_child(GTK_REVEALER(gtk_widget_get_parent(
        kv_gui_test_get_id(root, "reference_box")))));

    /* Mobile money without its reference: refused, said, nothing sold. */
    before = last_sale_id();
    sell_with(&s, root, "20", KV_PAYMENT_MOBILE, NULL);
    g_assert_true(kv_gui_test_wait(revealed, hint, 5000));
    g_test_message("refused: %s", kv_gui_test_text(hint));
    g_assert_nonnull(strstr(kv_gui_test_text(hint), "mobile money payment needs its reference"));
    g_assert_true(kv_gui_test_has_focus(ref));
    g_assert_false(gtk_widget_get_sensitive(kv_gui_test_get_id(root, "cash_box")));
    kv_gui_test_spin(500);
    g_assert_cmpint(last_sale_id(), ==, before);
    gtk_test_widget_wait_for_draw(root);
    kv_gui_test_screenshot(root, "sell-payment-reference-missing");

    /* A reference that is not one word: refused too. */
    gtk_editable_set_text(GTK_EDITABLE(ref), "MP 240312");
    g_assert_false(revealed(hint));
    gtk_widget_activate_action(s.sell, "sell.confirm", NULL);
    g_assert_true(kv_gui_test_wait(revealed, hint, 5000));
    g_test_message("refused: %s", kv_gui_test_text(hint));
    kv_gui_test_spin(500);
    g_assert_cmpint(last_sale_id(), ==, before);

    /* With it, Enter in the reference sells: type and reference recorded. */
    gtk_editable_set_text(GTK_EDITABLE(ref), "MP240312.0042");
    g_signal_emit_by_name(ref, "activate");
    check_sold(&s, 2000, KV_PAYMENT_MOBILE, "MP240312.0042");
    /* The next customer pays cash again, with no reference kept. */
    g_assert_cmpuint(gtk_drop_down_get_selected(GTK_DROP_DOWN(payment)), ==, KV_PAYMENT_CASH);
    g_assert_cmpstr(kv_gui_test_text(ref), ==, "");

    /* A bank card: the approval code may be left out. */
    sell_with(&s, root, "10", KV_PAYMENT_CARD, NULL);
    check_sold(&s, 1000, KV_PAYMENT_CARD, NULL);
    /* A bank transfer with its reference. */
    sell_with(&s, root, "15", KV_PAYMENT_TRANSFER, "TRF-2026-77");
    check_sold(&s, 1500, KV_PAYMENT_TRANSFER, "TRF-2026-77");
    /* Cash, with the change. */
    gtk_editable_set_text(GTK_EDITABLE(s.cash), "50");
    sell_with(&s, root, "30", KV_PAYMENT_CASH, NULL);
    g_assert_true(kv_gui_test_wait(sensitive, s.next, 60000));
    g_assert_nonnull(strstr(kv_gui_test_text(s.detail), "Give 20.00"));
    check_sold(&s, 3000, KV_PAYMENT_CASH, NULL);

    /* The shift's expected cash: the float and the cash sale, nothing else. */
    {
        g_autoptr(KvStation) st = ledger();
        g_autoptr(GError) error = NULL;
        g_autoptr(GPtrArray) shifts = kv_shift_list(st, 20, &error);
        const KvShift *open = NULL;

        g_assert_no_error(error);
        for (guint i = 0; i < shifts->len; i++) {
            const KvShift *sh = g_ptr_array_index(shifts, i);
            if (sh->closed_at == 0 && g_strcmp0(sh->cashier_login, KV_DEMO_CASHIER) == 0)
                open = sh;
        }
        g_assert_nonnull(open);
        g_test_message("float %" G_GINT64_FORMAT " expected %" G_GINT64_FORMAT,
                       open->opening_float, open->expected_cash);
        g_assert_cmpint(open->expected_cash, ==, open->opening_float + 3000);
    }
    gtk_window_destroy(GTK_WINDOW(window));
}

/* ---- the statement ---- */

static KvStatementDialog *find_statement(void)
{
    return (KvStatementDialog *)kv_gui_test_find_window(KV_TYPE_STATEMENT_DIALOG);
}

static gboolean statement_open(gpointer data)
{
    return find_statement() != NULL;
}

static gboolean has_view(gpointer data)
{
    return kv_statement_dialog_get_view(data) != NULL;
}

static char *day_text(gint64 t)
{
    g_autoptr(GDateTime) d = g_date_time_new_from_unix_local(t);

    return g_date_time_format(d, "%Y-%m-%d");
}

/* A line of text containing every needle. */
static gboolean has_line_with(const char *text, const char *const *needles)
{
    g_auto(GStrv) lines = g_strsplit(text, "\n", -1);

    for (guint i = 0; lines[i] != NULL; i++) {
        guint n = 0;

        while (needles[n] != NULL && strstr(lines[i], needles[n]) != NULL)
            n++;
        if (needles[n] == NULL)
            return TRUE;
    }
    return FALSE;
}

#define LINE_WITH(text, ...) has_line_with(text, (const char *const[]){__VA_ARGS__, NULL})

static void test_statement(void)
{
    KvWindow *window = kv_gui_test_window_new(station);
    GtkWidget *root = GTK_WIDGET(window);
    KvStatementDialog *dialog;
    GtkWidget *view;
    g_autofree char *today = day_text(kv_now());
    g_autofree char *pdf = g_build_filename(station->dir, "statement.pdf", NULL);
    g_autofree char *csv_path = g_build_filename(station->dir, "statement.csv", NULL);
    g_autofree char *csv = NULL, *text = NULL, *closing = NULL;
    g_autoptr(GError) error = NULL;
    gint64 debt;

    /* A supervisor's adjustment today: a movement of its own. */
    {
        g_autoptr(KvStation) st = ledger();
        g_autoptr(KvMeter) m = kv_meter_get(st, METER, &error);
        g_autoptr(KvCustomer) c = NULL;

        g_assert_no_error(error);
        g_assert_true(kv_debt_move(st, m->customer_id, KV_DEBT_ADJUSTED, -500,
                                   "meter reading corrected", &error));
        c = kv_customer_get(st, m->customer_id, &error);
        g_assert_no_error(error);
        debt = c->debt;
        closing = kv_decimal_format(debt, 2);
        g_test_message("debt now %s", closing);
    }

    if (kv_session_get_signed_in(station->session))
        gtk_widget_activate_action(root, "win.sign-out", NULL);
    kv_gui_test_sign_in(window, KV_DEMO_CASHIER, KV_DEMO_CASHIER_PASSWORD);
    gtk_widget_activate_action(root, "win.find-customer", NULL);
    kv_gui_test_open_customer(root, "ACC-1001", "Ama Owusu");

    /* Ctrl+T, as the cashier presses it: the last month first. */
    /* The card read after signing in put the keyboard on the Sell screen:
     * back to the search, as Ctrl+F does. */
    gtk_widget_activate_action(root, "win.find-customer", NULL);
    g_assert_true(kv_gui_test_has_focus(kv_gui_test_get(root, "Search customers")));
    kv_gui_test_press_key(root, GDK_KEY_t, GDK_CONTROL_MASK);
    g_assert_true(kv_gui_test_wait(statement_open, NULL, 10000));
    dialog = find_statement();
    {
        g_autoptr(GDateTime) now = g_date_time_new_from_unix_local(kv_now());
        g_autoptr(GDateTime) month = g_date_time_new_local(g_date_time_get_year(now),
                                                           g_date_time_get_month(now), 1, 0, 0, 0);
        g_autoptr(GDateTime) first = g_date_time_add_months(month, -1);
        g_autofree char *first_text = g_date_time_format(first, "%Y-%m-%d");

        g_assert_cmpstr(kv_gui_test_text(kv_gui_test_get(GTK_WIDGET(dialog),
                                                         "From (year-month-day)")),
                        ==, first_text);
    }
    g_assert_true(kv_gui_test_wait(has_view, dialog, 20000));

    /* A day that is not one: said, nothing shown. */
    gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(GTK_WIDGET(dialog), "From (year-month-day)")),
                          "2026-13-45");
    gtk_widget_activate_action(GTK_WIDGET(dialog), "statement.show", NULL);
    g_assert_true(kv_gui_test_wait_label_with(GTK_WIDGET(dialog), "for example 2026-03-31", 5000));
    g_assert_null(kv_statement_dialog_get_view(dialog));

    /* Today alone: Enter in the last day makes it. */
    gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(GTK_WIDGET(dialog), "From (year-month-day)")),
                          today);
    gtk_editable_set_text(GTK_EDITABLE(kv_gui_test_get(GTK_WIDGET(dialog), "To (year-month-day)")),
                          today);
    g_signal_emit_by_name(kv_gui_test_get(GTK_WIDGET(dialog), "To (year-month-day)"),
                          "entry-activated");
    g_assert_true(kv_gui_test_wait(has_view, dialog, 20000));
    view = kv_statement_dialog_get_view(dialog);
    g_assert_nonnull(strstr(gtk_label_get_label(kv_report_view_get_value(view, "opening debt")),
                            "50.00"));
    g_assert_nonnull(strstr(gtk_label_get_label(kv_report_view_get_value(view, "closing debt")),
                            closing));
    gtk_test_widget_wait_for_draw(GTK_WIDGET(dialog));
    kv_gui_test_screenshot(GTK_WIDGET(dialog), "customer-statement");

    /* Saved as PDF and CSV, as the Save buttons write them. */
    g_assert_true(kv_statement_dialog_save_pdf(dialog, pdf, &error));
    g_assert_no_error(error);
    g_assert_true(kv_statement_dialog_save_csv(dialog, csv_path, &error));
    g_assert_no_error(error);
    g_assert_true(g_file_get_contents(csv_path, &csv, NULL, &error));
    g_test_message("%s", csv);
    g_assert_true(g_str_has_prefix(csv, "time,entry,receipt,meter,paid,payment,energy kWh,debt,debt balance\r\n"));
    g_assert_true(LINE_WITH(csv, "purchase", "100000017", "20.00", "mobile-money"));
    g_assert_true(LINE_WITH(csv, "purchase", "15.00", "bank-transfer"));
    g_assert_true(LINE_WITH(csv, "free allocation", "20.00"));
    g_assert_true(LINE_WITH(csv, "adjusted (meter reading corrected)", "-5.00"));
    g_assert_false(LINE_WITH(csv, "arrears of the old meter")); /* before the period */
    g_assert_true(LINE_WITH(csv, "opening debt,50.00"));
    {
        g_autofree char *line = g_strdup_printf("closing debt,%s", closing);
        g_assert_true(LINE_WITH(csv, line));
    }

    text = kv_gui_test_pdf_text(pdf);
    g_test_message("%s", text);
    g_assert_nonnull(strstr(text, "Kilovend Demo Power"));
    g_assert_nonnull(strstr(text, "Ama Owusu"));
    g_assert_true(LINE_WITH(text, "opening debt", "50.00 GHS"));
    g_assert_true(LINE_WITH(text, "closing debt", closing, "GHS"));
    g_assert_true(LINE_WITH(text, "purchase", "20.00 GHS", "mobile-money"));
    g_assert_true(LINE_WITH(text, "free allocation", "20.00"));
    g_assert_true(LINE_WITH(text, "meter reading corrected", "-5.00"));

    /* The customer reads French: the same statement in French, the
     * station staying in English. */
    {
        GtkWidget *row = kv_gui_test_get(GTK_WIDGET(dialog), "Language of the statement");
        GListModel *names = adw_combo_row_get_model(ADW_COMBO_ROW(row));
        guint french = G_MAXUINT;
        g_autofree char *fr_pdf = g_build_filename(station->dir, "releve.pdf", NULL);
        g_autofree char *fr_text = NULL;

        for (guint i = 0; i < g_list_model_get_n_items(names); i++)
            if (g_strcmp0(gtk_string_list_get_string(GTK_STRING_LIST(names), i), "Français") == 0)
                french = i;
        g_assert_cmpuint(french, !=, G_MAXUINT);
        adw_combo_row_set_selected(ADW_COMBO_ROW(row), french);
        gtk_widget_activate_action(GTK_WIDGET(dialog), "statement.show", NULL);
        g_assert_true(kv_gui_test_wait(has_view, dialog, 20000));
        view = kv_statement_dialog_get_view(dialog);
        g_assert_true(kv_gui_test_wait_label_with(view, "Relevé de compte - Ama Owusu", 5000));
        g_assert_nonnull(kv_gui_test_find_label_with(view, "Dette d’ouverture"));
        g_assert_nonnull(kv_gui_test_find_label_with(view, "dotation gratuite"));
        g_assert_cmpstr(gtk_window_get_title(GTK_WINDOW(dialog)), ==, "Statement of Ama Owusu");
        g_assert_true(kv_statement_dialog_save_pdf(dialog, fr_pdf, &error));
        g_assert_no_error(error);
        fr_text = kv_gui_test_pdf_text(fr_pdf);
        g_test_message("%s", fr_text);
        g_assert_true(LINE_WITH(fr_text, "dette d’ouverture", "50.00 GHS"));
        g_assert_true(LINE_WITH(fr_text, "achat", "20.00 GHS", "mobile-money"));
        g_assert_true(LINE_WITH(fr_text, "dotation gratuite", "20.00"));
        gtk_test_widget_wait_for_draw(GTK_WIDGET(dialog));
        kv_gui_test_screenshot(GTK_WIDGET(dialog), "customer-statement-fr");
    }

    gtk_window_destroy(GTK_WINDOW(dialog));
    gtk_window_destroy(GTK_WINDOW(window));
}

/* The statement in French: a French locale of the test's own. */
KV_GUI_TEST_MAIN_IN_LOCALE(station, "fr_FR", {"/money/payment-types", test_payment_types},
                           {"/money/statement", test_statement})
