/* test-french.c - the core speaks the station's language: under a French
 * locale, with the build tree's compiled catalogue (KILOVEND_LOCALEDIR), a
 * sale above the hoarding limit is refused in French, the receipt and the
 * reports are French, a stored word (a role) is named in French, and the
 * reports' machine keys (CSV, JSON) stay the same.  A program whose own text domain is another one (the core's is
 * bound by the core itself). */
#include <locale.h>
#include <string.h>

#include <glib/gi18n.h>

#include "core-fixture.h"

static gboolean has(const char *haystack, const char *needle)
{
    if (strstr(haystack, needle) != NULL)
        return TRUE;
    g_test_message("'%s' not in '%s'", needle, haystack);
    return FALSE;
}

static void test_french_sale(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvSale) sale = NULL;
    g_autoptr(GPtrArray) lines = NULL;
    g_autoptr(GString) receipt = g_string_new(NULL);

    /* Above the hoarding limit (500 kWh = 5000.00): refused, in French. */
    g_assert_null(fx_sell(f, card, FX_M1, 500100, &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_REFUSED);
    g_assert_true(has(e->message, "le compteur refuserait ce crédit (plafond de crédit 500.00 kWh)"));
    g_clear_error(&e);

    sale = fx_sell(f, card, FX_M1, 2550, &e);
    g_assert_no_error(e);
    lines = kv_receipt_lines(f->st, sale->id, TRUE, &e);
    g_assert_no_error(e);
    for (guint i = 0; i < lines->len; i++)
        g_string_append_printf(receipt, "%s\n", (char *)lines->pdata[i]);
    g_assert_true(has(receipt->str, "REÇU DE PRÉPAIEMENT D’ÉLECTRICITÉ\n"));
    g_assert_true(has(receipt->str, "*** DUPLICATA ***\n"));
    g_assert_true(has(receipt->str, "\nCompteur      123456782\n"));
    g_assert_true(has(receipt->str, "\nTOTAL PAYÉ             25.50 "));
    g_assert_true(has(receipt->str, "Insérez la carte dans votre compteur : il ajoute"));
    g_assert_true(has(receipt->str, "Jeton numéro 2 pour le compteur 123456782."));
    g_assert_true(has(receipt->str, "Tout le crédit acheté pour ce compteur : "));
    g_assert_false(has(receipt->str, "RECEIPT"));
    /* The PDF is drawn from these lines. */
    {
        g_autofree char *pdf = fx_path(f, "receipt.pdf");
        g_autofree char *bytes = NULL;
        gsize len = 0;
        g_assert_true(kv_receipt_write_pdf(f->st, sale->id, FALSE, pdf, &e));
        g_assert_no_error(e);
        g_assert_true(g_file_get_contents(pdf, &bytes, &len, NULL));
        g_assert_cmpuint(len, >, 1000);
    }
}

static void test_french_reports(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvCardLink) card = fx_issued_card(f, FX_M1, "c1.card");
    g_autoptr(KvSale) sale = fx_sell(f, card, FX_M1, 12550, &e);
    g_autoptr(KvTable) day = NULL;
    g_autofree char *text = NULL, *csv = NULL, *json = NULL;

    g_assert_no_error(e);
    g_assert_nonnull(sale);
    day = kv_report_daily(f->st, kv_now(), &e);
    g_assert_no_error(e);
    text = kv_table_to_text(day);
    g_assert_true(has(text, "Ventes du jour - "));
    g_assert_true(has(text, "montant encaissé : 125.50\n"));
    g_assert_true(has(text, "\ncaissier  ventes  montant"));
    /* For programs: the same keys in every language. */
    csv = kv_table_to_csv(day);
    g_assert_true(g_str_has_prefix(csv, "cashier,sales,amount,energy net,VAT,"));
    json = kv_table_to_json(day);
    g_assert_true(has(json, "\"amount taken\":\"125.50\""));
    g_assert_true(has(json, "\"amount\":\"125.50\""));
    /* A role, stored in English, is named in French. */
    fx_add_user(f, "carol", KV_ROLE_CASHIER);
    g_assert_true(kv_station_login(f->st, "carol", "carol-password", &e));
    g_assert_no_error(e);
    g_assert_null(kv_report_daily(f->st, kv_now(), &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_DENIED);
    g_assert_cmpstr(e->message, ==,
                    "l’utilisateur « carol » est caissier ; il faut être superviseur ou plus");
}

/* A French locale of our own: the machine may have none generated. */
static char *use_french(void)
{
    char *dir = g_dir_make_tmp("kv-locale-XXXXXX", NULL);
    g_autofree char *out = g_build_filename(dir, "fr_FR.UTF-8", NULL);
    const char *argv[] = { "localedef", "-i", "fr_FR", "-f", "UTF-8", out, NULL };
    int status = -1;

    g_assert_nonnull(dir);
    g_assert_true(g_spawn_sync(NULL, (char **)argv, NULL,
                               G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL |
                                   G_SPAWN_STDERR_TO_DEV_NULL,
                               NULL, NULL, NULL, NULL, &status, NULL));
    g_setenv("LOCPATH", dir, TRUE);
    g_setenv("LC_ALL", "fr_FR.UTF-8", TRUE);
    g_setenv("LANGUAGE", "fr", TRUE);
    g_assert_nonnull(setlocale(LC_ALL, ""));
    return dir;
}

int main(int argc, char **argv)
{
    g_autofree char *locales = NULL;
    int status;

    g_assert_nonnull(g_getenv("KILOVEND_LOCALEDIR"));
    locales = use_french();
    /* The program's own domain is not the core's. */
    textdomain("kv-test-french");
    g_test_init(&argc, &argv, NULL);
    fx_add("/i18n/french-sale-receipt", test_french_sale);
    fx_add("/i18n/french-reports", test_french_reports);
    status = g_test_run();
    {
        const char *rm[] = { "rm", "-rf", "--", locales, NULL };
        g_spawn_sync(NULL, (char **)rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL,
                     NULL);
    }
    return status;
}
