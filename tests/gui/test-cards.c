/* test-cards.c - the Cards screen through a private pcscd with the virtual
 * card (run-in-pcsc-env.sh starts it with a blank card in the reader):
 * a batch from a CSV asks for the blank card and issues it, skips a meter
 * that has a card and reports a bad line; issuing for a meter that has a
 * card is refused; a lost card is replaced (old one blocked). */
#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>

#include "kv-cards-page.h"
#include "kv-demo.h"
#include "kv-gui-test.h"

static KvGuiStation *station;

static void vcard(const char *line)
{
    FILE *f = fopen(g_getenv("KV_VCARD_CONTROL"), "w");

    g_assert_nonnull(f);
    fprintf(f, "%s\n", line);
    fclose(f);
}

#define find_cards_page(w) KV_CARDS_PAGE(kv_gui_test_find_type(w, KV_TYPE_CARDS_PAGE))

static KvCardRecord *active_card(guint32 meter, guint32 serial)
{
    g_autoptr(KvStation) st = kv_gui_test_station_open_ledger(station);

    return kv_card_get(st, serial, NULL);
}

static void test_cards_flow(void)
{
    KvWindow *window = kv_gui_test_window_new(station);
    GtkWidget *root = GTK_WIDGET(window);
    KvCardsPage *page;
    GtkWidget *prompt, *result, *issue_meter, *replace_meter;
    g_autofree char *csv = g_build_filename(station->dir, "batch.csv", NULL);
    g_autofree char *blank = kv_demo_card_path(station->dir, 5);
    g_autofree char *insert_blank = g_strdup_printf("insert %s", blank);
    g_autoptr(GError) error = NULL;
    g_autoptr(KvCardRecord) old = NULL;
    guint32 kwame = 100000041, esi = 100000033;
    guint32 new_serial = 0;
    const char *p;

    /* Kwame's meter has no card yet; Ama's has one; line 4 is not a meter. */
    g_assert_true(g_file_set_contents(csv, "meter\n100000041\n100000017\n12345\n", -1, &error));
    kv_gui_test_sign_in(window, KV_DEMO_SUPERVISOR, KV_DEMO_SUPERVISOR_PASSWORD);
    gtk_widget_activate_action(root, "win.page", "s", "cards");
    page = find_cards_page(root);
    prompt = kv_gui_test_get_id(root, "batch_prompt_label");
    result = kv_gui_test_get_id(root, "single_result_label");
    issue_meter = kv_gui_test_find_typed(root, ADW_TYPE_ENTRY_ROW, "Meter number of the new card");
    replace_meter = kv_gui_test_find_typed(root, ADW_TYPE_ENTRY_ROW,
                                           "Meter number of the lost card");

    /* The batch: the blank card already in the reader is taken for the
     * first meter that needs one. */
    kv_cards_page_set_batch_file(page, csv);
    gtk_widget_activate_action(root, "cards.batch-start", NULL);
    gtk_widget_activate_action(prompt, "cards.batch-start", NULL);
    g_assert_true(kv_gui_test_wait_text(prompt, "Batch finished: 2 of 3 rows done", 60000));
    /* No late progress message overwrites the result. */
    kv_gui_test_spin(300);
    g_assert_nonnull(strstr(kv_gui_test_text(prompt), "Batch finished"));
    gtk_test_widget_wait_for_draw(root);
    kv_gui_test_screenshot(root, "cards-batch");

    /* Issuing for a meter that has a card now is refused by the core. */
    gtk_editable_set_text(GTK_EDITABLE(issue_meter), "100000041");
    gtk_widget_activate_action(issue_meter, "cards.issue", NULL);
    g_assert_true(kv_gui_test_wait_text(result, "No card was issued", 30000));

    /* A wrong check digit is caught before the card is touched. */
    gtk_editable_set_text(GTK_EDITABLE(issue_meter), "100000042");
    gtk_widget_activate_action(issue_meter, "cards.issue", NULL);
    g_assert_cmpstr(kv_gui_test_text(result), !=, "");

    /* Esi lost her card: replace it on the demo's blank card. */
    vcard("remove");
    kv_gui_test_spin(600);
    vcard(insert_blank);
    kv_gui_test_spin(1500);
    gtk_editable_set_text(GTK_EDITABLE(replace_meter), "100000033");
    gtk_widget_activate_action(replace_meter, "cards.replace", NULL);
    g_assert_true(kv_gui_test_wait_text(result, "now blocked", 30000));
    p = strstr(kv_gui_test_text(result), "Card ");
    g_assert_nonnull(p);
    new_serial = (guint32)g_ascii_strtoull(p + 5, NULL, 10);
    g_assert_cmpuint(new_serial, !=, 0);
    old = active_card(esi, new_serial);
    g_assert_nonnull(old);
    g_assert_cmpstr(old->status, ==, "active");
    g_assert_cmpuint(old->meter_number, ==, esi);
    (void)kwame;
    gtk_window_destroy(GTK_WINDOW(window));
}

KV_GUI_TEST_MAIN(station,
                 {"/cards/flow", test_cards_flow})
