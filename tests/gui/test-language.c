/* test-language.c - a customer's statement in the customer's language
 * (kv-language.h) whatever the LANGUAGE variable says, the rest of the app
 * staying in its own, on the demonstration station with the build tree's
 * catalogues (KILOVEND_LOCALEDIR).
 *
 * The program runs in English with LANGUAGE=en_US:en, as a Debian desktop
 * sets it (glibc's gettext puts LANGUAGE before the locale's LC_MESSAGES).
 *
 * /language/statement: the statement of Ama Owusu built by the core and
 * laid out by the app's report view under kv_language_push("fr") is
 * French: its title, columns and summary labels.  After kv_language_pop
 * the same statement is English again.
 *
 * /language/other-thread: while one thread has French pushed, another
 * thread's messages (core and app, in context or not) stay English, and
 * the other way round; each thread gets its own back after pop. */
#include "config.h"

#include <locale.h>
#include <string.h>

#include "kv-gui-test.h"
#include "kv-i18n.h"
#include "kv-language.h"
#include "kv-report-view.h"

#define METER 100000017
#define DAY 86400

static KvGuiStation *station;

static KvTable *statement(KvStation *st)
{
    g_autoptr(GError) error = NULL;
    g_autoptr(KvMeter) m = kv_meter_get(st, METER, &error);
    KvTable *t;

    g_assert_no_error(error);
    t = kv_report_statement(st, m->customer_id, kv_now() - 30 * DAY, kv_now(), &error);
    g_assert_no_error(error);
    g_assert_nonnull(t);
    return t;
}

static const char *summary_label(const KvTable *t, const char *key)
{
    for (guint i = 0; i < t->summary_keys->len; i++)
        if (g_strcmp0(t->summary_keys->pdata[i], key) == 0)
            return kv_report_summary_label(t, i);
    g_assert_not_reached();
}

static void test_statement(void)
{
    g_autoptr(KvStation) st = kv_gui_test_station_open_ledger(station);
    g_autoptr(GPtrArray) languages = kv_language_list();
    gboolean french = FALSE;
    GtkWidget *view, *window;
    gpointer saved;

    g_assert_cmpstr(g_getenv("LANGUAGE"), ==, "en_US:en");
    for (guint i = 0; i < languages->len; i++)
        french |= g_strcmp0(languages->pdata[i], "fr") == 0;
    g_assert_true(french);

    saved = kv_language_push("fr");
    g_assert_nonnull(saved);
    {
        g_autoptr(KvTable) t = statement(st);

        g_test_message("title: %s", t->title);
        g_assert_true(g_str_has_prefix(t->title, "Relevé de compte - Ama Owusu"));
        g_assert_cmpstr(t->columns[1], ==, "écriture");
        g_assert_cmpstr(t->columns[8], ==, "solde de la dette");
        g_assert_cmpstr(summary_label(t, "opening debt"), ==, "dette d’ouverture");
        /* The app's own layout of it, as the statement window shows it. */
        view = kv_report_view_new(t, "GHS", KV_REPORT_VIEW_PLAIN);
        window = gtk_window_new();
        gtk_window_set_child(GTK_WINDOW(window), view);
        gtk_window_present(GTK_WINDOW(window));
        g_assert_nonnull(kv_gui_test_find_label_with(view, "Relevé de compte - Ama Owusu"));
        g_assert_nonnull(kv_gui_test_find_label_with(view, "Dette d’ouverture"));
        g_assert_null(kv_gui_test_find_label_with(view, "Opening debt"));
        gtk_window_destroy(GTK_WINDOW(window));
    }
    kv_language_pop(saved);

    {
        g_autoptr(KvTable) t = statement(st);

        g_assert_true(g_str_has_prefix(t->title, "Statement - Ama Owusu"));
        g_assert_cmpstr(summary_label(t, "opening debt"), ==, "opening debt");
        view = kv_report_view_new(t, "GHS", KV_REPORT_VIEW_PLAIN);
        g_object_ref_sink(view);
        g_assert_nonnull(kv_gui_test_find_label_with(view, "Opening debt"));
        g_object_unref(view);
    }
    /* English asked for: the messages as written. */
    saved = kv_language_push("en");
    g_assert_nonnull(saved);
    {
        g_autoptr(KvTable) t = statement(st);

        g_assert_true(g_str_has_prefix(t->title, "Statement - Ama Owusu"));
    }
    kv_language_pop(saved);
    /* No language: nothing changes; an unknown one is refused. */
    g_assert_null(kv_language_push(NULL));
    g_assert_null(kv_language_push("xx"));
    g_assert_null(kv_language_push("../fr"));
}

/* Two threads taking turns: the one holding a language and the other. */
typedef struct {
    GMutex lock;
    GCond cond;
    int step;
} Turns;

static void wait_step(Turns *t, int step)
{
    g_mutex_lock(&t->lock);
    while (t->step < step)
        g_cond_wait(&t->cond, &t->lock);
    g_mutex_unlock(&t->lock);
}

static void set_step(Turns *t, int step)
{
    g_mutex_lock(&t->lock);
    t->step = step;
    g_cond_broadcast(&t->cond);
    g_mutex_unlock(&t->lock);
}

/* The messages this thread reads now: English or French. */
static gboolean speaks_english(void)
{
    return g_strcmp0(C_("report summary", "opening debt"), "opening debt") == 0 &&
           g_strcmp0(_("Statement - %s (%s), %s to %s"), "Statement - %s (%s), %s to %s") == 0;
}

static gboolean speaks_french(void)
{
    return g_strcmp0(C_("report summary", "opening debt"), "dette d’ouverture") == 0 &&
           g_strcmp0(_("Statement - %s (%s), %s to %s"),
                     "Relevé de compte - %s (%s), du %s au %s") == 0;
}

static gpointer other_thread(gpointer data)
{
    Turns *t = data;
    gboolean ok = TRUE;
    gpointer saved;

    wait_step(t, 1); /* the main thread speaks French */
    ok &= speaks_english();
    saved = kv_language_push("fr");
    ok &= speaks_french();
    set_step(t, 2);
    wait_step(t, 3); /* the main thread checked it is in English */
    kv_language_pop(saved);
    ok &= speaks_english();
    return GINT_TO_POINTER(ok);
}

static void test_other_thread(void)
{
    Turns t = {.step = 0};
    GThread *other;
    gpointer saved;

    g_mutex_init(&t.lock);
    g_cond_init(&t.cond);
    other = g_thread_new("other", other_thread, &t);
    saved = kv_language_push("fr");
    g_assert_true(speaks_french());
    set_step(&t, 1);
    wait_step(&t, 2); /* the other thread checked, then took French */
    g_assert_true(speaks_french());
    kv_language_pop(saved);
    g_assert_true(speaks_english());
    set_step(&t, 3);
    g_assert_true(GPOINTER_TO_INT(g_thread_join(other)));
    g_assert_true(speaks_english());
    g_mutex_clear(&t.lock);
    g_cond_clear(&t.cond);
}

int main(int argc, char *argv[])
{
    static const KvGuiTestCase cases[] = {
        {"/language/statement", test_statement},
        {"/language/other-thread", test_other_thread},
        {NULL, NULL},
    };

    /* Before any thread: the desktop's settings. */
    g_setenv("LANGUAGE", "en_US:en", TRUE);
    g_setenv("LC_ALL", "C.UTF-8", TRUE);
    return kv_gui_test_main_in_locale(&argc, &argv, &station, cases, "fr_FR");
}
