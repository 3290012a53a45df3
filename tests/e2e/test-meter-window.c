/* test-meter-window.c - kilovend-meter's window under Xvfb, driven through
 * its controls as a user does: a card sold by the test office (the
 * contract, as the station writes it) goes from a real kilovend-vcard's
 * reader into the meter, the credit shows, a load runs it down through
 * the red lamp (the card again: a balance check), the yellow lamp and the
 * trip, the card recloses, and the
 * meter cuts off at 0.  At a cut-off, the Hold button takes the emergency
 * credit a parameter card allowed, once.  Screenshots go to
 * KV_SCREENSHOT_DIR. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "fwcards.h"
#include "kv-meter-lamp.h"
#include "kv-meter-lcd.h"
#include "kv-meter-window.h"
#include "kv-test-locale.h"

#define ALARM 2000   /* 20.00 kWh */
#define PRETRIP 500  /* 5.00 kWh */
#define HOARD 10000  /* 100.00 kWh */
#define SOLD 3000    /* 30.00 kWh */

typedef struct {
    char *dir;
    char *prov;
    char *card;
    char *fifo;
    char *vcard_log;
    GPid vcard;
    KvMeterModel *model;
    KvMeterWindow *win;
    guint back_before;  /* returns to the reader the vcard had logged */
    int card_code;      /* the last card-result */
    char *card_text;
} Fixture;

/* ---- helpers ------------------------------------------------------------ */

static gboolean on_timeout_cb(gpointer data)
{
    *(gboolean *)data = TRUE;
    return G_SOURCE_REMOVE;
}

/* Runs the main loop until cond(f) holds or timeout_ms pass. */
static gboolean wait_for(gboolean (*cond)(Fixture *f), Fixture *f, guint timeout_ms)
{
    gboolean timed_out = FALSE;
    guint id = g_timeout_add(timeout_ms, on_timeout_cb, &timed_out);

    while (!cond(f) && !timed_out)
        g_main_context_iteration(NULL, TRUE);
    if (!timed_out)
        g_source_remove(id);
    return cond(f);
}

static void spin(guint ms)
{
    gboolean done = FALSE;

    g_timeout_add(ms, on_timeout_cb, &done);
    while (!done)
        g_main_context_iteration(NULL, TRUE);
}

/* The first widget of this type under root with this accessible label. */
static GtkWidget *find_by_label(GtkWidget *root, const char *label, GType type)
{
    for (GtkWidget *c = gtk_widget_get_first_child(root); c; c = gtk_widget_get_next_sibling(c)) {
        GtkWidget *found;
        if (G_TYPE_CHECK_INSTANCE_TYPE(c, type) &&
            gtk_test_accessible_has_property(GTK_ACCESSIBLE(c), GTK_ACCESSIBLE_PROPERTY_LABEL)) {
            g_autofree char *diff = gtk_test_accessible_check_property(
                GTK_ACCESSIBLE(c), GTK_ACCESSIBLE_PROPERTY_LABEL, label);
            if (!diff)
                return c;
        }
        found = find_by_label(c, label, type);
        if (found)
            return found;
    }
    return NULL;
}

static GtkWidget *control_of(Fixture *f, const char *label, GType type)
{
    GtkWidget *w = find_by_label(GTK_WIDGET(f->win), label, type);

    if (!w)
        g_error("no control labelled '%s' in the meter window", label);
    return w;
}

static GtkWidget *find_by_name(GtkWidget *root, const char *name)
{
    for (GtkWidget *c = gtk_widget_get_first_child(root); c; c = gtk_widget_get_next_sibling(c)) {
        GtkWidget *found;
        if (strcmp(gtk_widget_get_name(c), name) == 0)
            return c;
        found = find_by_name(c, name);
        if (found)
            return found;
    }
    return NULL;
}

/* A reading or status label, by its widget name. */
static const char *label_text(Fixture *f, const char *name)
{
    GtkWidget *w = find_by_name(GTK_WIDGET(f->win), name);

    if (!GTK_IS_LABEL(w))
        g_error("no label named '%s' in the meter window", name);
    return gtk_label_get_text(GTK_LABEL(w));
}

static const char *lcd(Fixture *f)
{
    return kv_meter_lcd_get_text(KV_METER_LCD(control_of(f, "Meter display", KV_TYPE_METER_LCD)));
}

static gboolean lamp(Fixture *f, const char *name)
{
    return kv_meter_lamp_get_on(KV_METER_LAMP(control_of(f, name, KV_TYPE_METER_LAMP)));
}

static void screenshot(Fixture *f, const char *name)
{
    const char *dir = g_getenv("KV_SCREENSHOT_DIR");
    GtkWidget *w = GTK_WIDGET(f->win);
    g_autoptr(GdkPaintable) paintable = NULL;
    g_autoptr(GtkSnapshot) snap = NULL;
    g_autoptr(GskRenderNode) node = NULL;
    g_autoptr(GdkTexture) texture = NULL;
    g_autofree char *file = NULL;
    int width = gtk_widget_get_width(w), height = gtk_widget_get_height(w);

    if (!dir)
        return;
    spin(100); /* let the frame clock draw what changed */
    g_assert_cmpint(width, >, 0);
    g_mkdir_with_parents(dir, 0755);
    paintable = gtk_widget_paintable_new(w);
    /* On a busy machine the first frame may not be drawn yet: the paintable
     * is empty until it is.  Wait for it (a screenshot is a record of the
     * run, not the behaviour under test). */
    for (int tries = 0; tries < 100 && !node; tries++) {
        gtk_test_widget_wait_for_draw(w);
        snap = gtk_snapshot_new();
        gdk_paintable_snapshot(paintable, snap, width, height);
        node = gtk_snapshot_free_to_node(g_steal_pointer(&snap));
        if (!node)
            spin(50);
    }
    if (!node) {
        g_test_message("screenshot %s: the window drew nothing in 5 s, none saved", name);
        return;
    }
    texture = gsk_renderer_render_texture(gtk_native_get_renderer(GTK_NATIVE(w)), node,
                                          &GRAPHENE_RECT_INIT(0, 0, width, height));
    file = g_strdup_printf("%s/%s.png", dir, name);
    g_assert_true(gdk_texture_save_to_png(texture, file));
    g_test_message("screenshot %s", file);
}

static void click(Fixture *f, const char *label)
{
    GtkWidget *b = control_of(f, label, GTK_TYPE_BUTTON);

    g_assert_true(gtk_widget_get_sensitive(b));
    g_signal_emit_by_name(b, "clicked");
}

static void set_load_kw(Fixture *f, double kw)
{
    gtk_spin_button_set_value(GTK_SPIN_BUTTON(control_of(f, "Load L1 (kW)", GTK_TYPE_SPIN_BUTTON)), kw);
    gtk_spin_button_set_value(GTK_SPIN_BUTTON(control_of(f, "Load L2 (kW)", GTK_TYPE_SPIN_BUTTON)), kw);
    gtk_spin_button_set_value(GTK_SPIN_BUTTON(control_of(f, "Load L3 (kW)", GTK_TYPE_SPIN_BUTTON)), kw);
}

static void set_speed(Fixture *f, guint speed)
{
    GtkDropDown *dd = GTK_DROP_DOWN(control_of(f, "Time speed", GTK_TYPE_DROP_DOWN));

    for (guint i = 0; i < kv_meter_window_n_speeds; i++)
        if (kv_meter_window_speeds[i] == speed)
            gtk_drop_down_set_selected(dd, i);
    g_assert_cmpuint(kv_meter_model_get_speed(f->model), ==, speed);
}

static gboolean card_in_meter(Fixture *f)
{
    return kv_meter_model_get_card_place(f->model) == KV_CARD_IN_METER;
}
static gboolean red_on(Fixture *f) { return lamp(f, "Red lamp"); }
static gboolean yellow_on(Fixture *f) { return lamp(f, "Yellow lamp"); }
static gboolean cut_off(Fixture *f) { return strcmp(lcd(f), "0000.00kWh") == 0; }

/* How often the vcard's log says the card went back into the station's
 * reader (an insertion after a removal). */
static guint vcard_backs(Fixture *f)
{
    g_autofree char *log = NULL;
    const char *p;
    guint n = 0;

    if (!g_file_get_contents(f->vcard_log, &log, NULL, NULL))
        return 0;
    for (p = strstr(log, "card removed"); p && (p = strstr(p, "inserted")) != NULL;
         p = strstr(p, "card removed"))
        n++;
    return n;
}

/* The card went back into the station's reader since back_before. */
static gboolean vcard_has_card_back(Fixture *f)
{
    return vcard_backs(f) > f->back_before;
}

static void on_card_result_cb(KvMeterModel *model, int code, const char *text, Fixture *f)
{
    f->card_code = code;
    g_free(f->card_text);
    f->card_text = g_strdup(text);
}

static void write_file(const char *path, const void *data, gsize len)
{
    g_autoptr(GError) error = NULL;

    g_assert_true(g_file_set_contents(path, data, (gssize)len, &error));
}

/* ---- fixture ------------------------------------------------------------ */

/* In a new folder: a provisioned meter (f->prov) and a card sold for it
 * (f->card), made with the contract. */
static void make_meter_and_card(Fixture *f)
{
    fw_office office;
    uint8_t prov[KV_PROVISION_LEN], file[SLE_FILE_SIZE];
    sle4442 card;
    g_autoptr(GError) error = NULL;

    f->dir = g_dir_make_tmp("kv-meter-window-XXXXXX", &error);
    g_assert_no_error(error);
    f->prov = g_build_filename(f->dir, "prov.bin", NULL);
    f->card = g_build_filename(f->dir, "user.card", NULL);
    fw_office_init(&office, 0x4B560001u, 12345678);
    fw_office_provision(&office, ALARM, PRETRIP, HOARD, 0, 0, prov);
    write_file(f->prov, prov, sizeof prov);
    fw_card_issue(&card, &office, KV_CARD_USER, 1001);
    g_assert_cmpint(fw_card_sell(&card, &office, SOLD, -1), ==, KV_OK);
    sle_save(&card, file);
    write_file(f->card, file, sizeof file);
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *state = NULL;
    const char *vcard = g_getenv("KV_VCARD_BIN");
    int log_fd;
    const char *argv[] = {vcard, "--card", NULL, "--control", NULL, "--port", "39963", NULL};

    make_meter_and_card(f);
    f->fifo = g_build_filename(f->dir, "vcard.ctl", NULL);
    f->vcard_log = g_build_filename(f->dir, "vcard.log", NULL);
    state = g_build_filename(f->dir, "meter", NULL);

    /* The station's virtual reader holds the card (no pcscd is needed for
     * the hand-over: it goes through the vcard's control FIFO and the file). */
    g_assert_nonnull(vcard);
    argv[2] = f->card;
    argv[4] = f->fifo;
    log_fd = g_open(f->vcard_log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    g_assert_cmpint(log_fd, >=, 0);
    g_assert_true(g_spawn_async_with_fds(NULL, (char **)argv, NULL, G_SPAWN_DO_NOT_REAP_CHILD,
                                         NULL, NULL, &f->vcard, -1, log_fd, log_fd, &error));
    g_assert_no_error(error);
    close(log_fd);
    for (int i = 0; i < 200; i++) {
        struct stat st;
        if (stat(f->fifo, &st) == 0 && S_ISFIFO(st.st_mode))
            break;
        g_usleep(10000);
    }
    spin(300);

    f->model = kv_meter_model_new(state, f->prov, &error);
    g_assert_no_error(error);
    kv_meter_model_set_card(f->model, f->card, f->fifo);
    f->card_code = -1;
    g_signal_connect(f->model, "card-result", G_CALLBACK(on_card_result_cb), f);
    f->win = kv_meter_window_new(NULL, f->model);
    gtk_window_present(GTK_WINDOW(f->win));
    spin(300);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
    int status = 0;

    gtk_window_destroy(GTK_WINDOW(f->win));
    g_assert_finalize_object(f->model);
    kill(f->vcard, SIGTERM);
    waitpid(f->vcard, &status, 0);
    g_spawn_close_pid(f->vcard);
    g_assert_true(WIFEXITED(status));
    if (g_test_failed()) {
        g_autofree char *log = NULL;
        if (g_file_get_contents(f->vcard_log, &log, NULL, NULL))
            g_test_message("vcard log:\n%s", log);
    }
    g_unlink(f->prov);
    g_unlink(f->card);
    g_unlink(f->fifo);
    g_unlink(f->vcard_log);
    {
        g_autofree char *nv = g_build_filename(f->dir, "meter", "nv.bin", NULL);
        g_autofree char *sec = g_build_filename(f->dir, "meter", "secure.bin", NULL);
        g_autofree char *state = g_build_filename(f->dir, "meter", NULL);
        g_unlink(nv);
        g_unlink(sec);
        g_rmdir(state);
    }
    g_rmdir(f->dir);
    g_free(f->dir);
    g_free(f->prov);
    g_free(f->card);
    g_free(f->fifo);
    g_free(f->vcard_log);
    g_free(f->card_text);
}

/* ---- the test ----------------------------------------------------------- */

static void test_purchase_runs_down(Fixture *f, gconstpointer data)
{
    gint32 before;

    /* A fresh meter: no credit, the relay open at zero. */
    g_assert_cmpstr(label_text(f, "remaining"), ==, "0.00 kWh");
    g_assert_cmpstr(label_text(f, "card-place"), ==, "Card at the station");
    screenshot(f, "meter-window-1-fresh");

    /* Insert card: the vcard lets it go, the meter loads 30 kWh. */
    click(f, "Insert card");
    g_assert_cmpint(kv_meter_model_get_card_place(f->model), ==, KV_CARD_MOVING);
    g_assert_true(wait_for(card_in_meter, f, 5000));
    g_assert_cmpstr(label_text(f, "remaining"), ==, "30.00 kWh");
    g_assert_cmpstr(lcd(f), ==, "Ld 0030.00kWh");
    g_assert_true(kv_meter_model_get_relay_closed(f->model));
    g_assert_nonnull(strstr(label_text(f, "relay"), "closed"));
    g_assert_false(lamp(f, "Red lamp"));
    g_assert_false(lamp(f, "Yellow lamp"));
    g_assert_cmpstr(label_text(f, "card-place"), ==, "Card in the meter");
    screenshot(f, "meter-window-2-loaded");

    /* Take the card out: it goes back into the station's reader. */
    f->back_before = vcard_backs(f);
    click(f, "Take card out");
    g_assert_true(wait_for(vcard_has_card_back, f, 5000));

    /* A 9 kW load at an hour per second: the credit drops. */
    set_load_kw(f, 3.0);
    before = kv_meter_model_get_remaining(f->model);
    set_speed(f, 600);
    spin(500);
    g_assert_cmpint(kv_meter_model_get_remaining(f->model), <, before);
    g_assert_cmpstr(label_text(f, "power"), ==, "9.000 kW");

    /* Below the alarm level (20 kWh) the red lamp lights, power stays on. */
    set_speed(f, 3600);
    g_assert_true(wait_for(red_on, f, 10000));
    g_assert_cmpint(kv_meter_model_get_remaining(f->model), <, ALARM);
    g_assert_false(lamp(f, "Yellow lamp"));
    g_assert_true(kv_meter_model_get_relay_closed(f->model));
    set_speed(f, 0);
    screenshot(f, "meter-window-3-red");

    /* The card again, nothing new on it: a balance check, not a fault. */
    before = kv_meter_model_get_remaining(f->model);
    click(f, "Insert card");
    g_assert_true(wait_for(card_in_meter, f, 5000));
    g_assert_cmpstr(lcd(f), ==, "bALAncE");
    g_assert_cmpint(f->card_code, ==, 0);
    g_assert_nonnull(strstr(f->card_text, "no new credit"));
    g_assert_cmpint(kv_meter_model_get_remaining(f->model), ==, before);
    g_assert_true(kv_meter_model_get_relay_closed(f->model));
    screenshot(f, "meter-window-3b-balance");
    f->back_before = vcard_backs(f);
    click(f, "Take card out");
    g_assert_true(wait_for(vcard_has_card_back, f, 5000));

    /* Below pre-trip (5 kWh): the yellow lamp, and the relay trips. */
    set_speed(f, 3600);
    g_assert_true(wait_for(yellow_on, f, 10000));
    set_speed(f, 0);
    g_assert_cmpint(kv_meter_model_get_remaining(f->model), <, PRETRIP);
    g_assert_cmpint(kv_meter_model_get_remaining(f->model), >, 0);
    g_assert_false(kv_meter_model_get_relay_closed(f->model));
    g_assert_nonnull(strstr(label_text(f, "relay"), "open (tripped)"));
    screenshot(f, "meter-window-4-tripped");

    /* Inserting the card closes the relay again until 0. */
    click(f, "Insert card");
    g_assert_true(wait_for(card_in_meter, f, 5000));
    g_assert_true(kv_meter_model_get_relay_closed(f->model));
    g_assert_nonnull(strstr(label_text(f, "relay"), "closed (reclosed)"));
    g_assert_true(lamp(f, "Yellow lamp"));

    /* At 0 the relay opens and the display shows 0000.00kWh. */
    set_speed(f, 3600);
    g_assert_true(wait_for(cut_off, f, 10000));
    set_speed(f, 0);
    g_assert_cmpint(kv_meter_model_get_remaining(f->model), ==, 0);
    g_assert_false(kv_meter_model_get_relay_closed(f->model));
    g_assert_nonnull(strstr(label_text(f, "relay"), "open (cut-off)"));
    screenshot(f, "meter-window-5-cutoff");

    /* The button steps to the next page: total energy. */
    click(f, "Press button");
    g_assert_true(g_str_has_prefix(lcd(f), "E "));
    g_assert_cmpstr(label_text(f, "energy"), ==, "30.00 kWh");
    g_assert_nonnull(gtk_widget_get_first_child(control_of(f, "Event log", GTK_TYPE_LIST_BOX)));
}

/* The station puts a card in its reader, as the demo's menu does: its
 * file, and the reader's new card. */
static void give_reader(Fixture *f, const char *path, const sle4442 *card)
{
    uint8_t file[SLE_FILE_SIZE];
    g_autofree char *pointer = g_strconcat(f->fifo, ".card", NULL);
    g_autofree char *cmd = g_strdup_printf("remove\ninsert %s\n", path);
    g_autoptr(GError) error = NULL;

    sle_save(card, file);
    write_file(path, file, sizeof file);
    g_assert_true(g_file_set_contents(f->fifo, cmd, -1, &error));
    g_assert_no_error(error);
    g_assert_true(g_file_set_contents(pointer, path, -1, &error));
    spin(300);
}

/* The station puts the card of another meter in its reader (the demo's
 * menu); Insert card gives the meter that card, and the meter refuses it
 * as another meter's (before, the window moved its own card file, and a
 * tripped meter reclosed on a card the customer never gave it). */
static void test_card_of_another_meter(Fixture *f, gconstpointer data)
{
    fw_office other;
    sle4442 card;
    g_autofree char *path = g_build_filename(f->dir, "other.card", NULL);
    g_autofree char *pointer = g_strconcat(f->fifo, ".card", NULL);

    fw_office_init(&other, 0x4B560001u, 87654321);
    fw_card_issue(&card, &other, KV_CARD_USER, 2002);
    g_assert_cmpint(fw_card_sell(&card, &other, SOLD, -1), ==, KV_OK);
    give_reader(f, path, &card);

    click(f, "Insert card");
    g_assert_true(wait_for(card_in_meter, f, 5000));
    g_test_message("%s / %s", f->card_text, lcd(f));
    g_assert_cmpint(f->card_code, ==, KV_E_METER);
    g_assert_cmpstr(label_text(f, "remaining"), ==, "0.00 kWh");
    g_assert_false(kv_meter_model_get_relay_closed(f->model));
    /* Out again, back to the station. */
    click(f, "Take card out");
    g_assert_cmpint(kv_meter_model_get_card_place(f->model), ==, KV_CARD_AT_STATION);
    spin(300);
    g_unlink(pointer);
    g_unlink(path);
}

/* A cut-off meter: Hold button takes nothing without an allowance; a
 * parameter card allows 2 kWh; held again, the relay closes on the
 * emergency credit (Ec on the display), and a third hold gives nothing. */
static void test_hold_for_emergency_credit(Fixture *f, gconstpointer data)
{
    fw_office office;
    sle4442 card;
    kv_token t = {0};
    g_autofree char *path = g_build_filename(f->dir, "parameter.card", NULL);
    g_autofree char *pointer = g_strconcat(f->fifo, ".card", NULL);

    g_assert_nonnull(strstr(label_text(f, "relay"), "open (cut-off)"));
    click(f, "Hold button");
    g_assert_false(kv_meter_model_get_relay_closed(f->model));
    g_assert_nonnull(strstr(label_text(f, "relay"), "open (cut-off)"));

    fw_office_init(&office, 0x4B560001u, 12345678);
    fw_card_issue(&card, &office, KV_CARD_PARAMETER, 3003);
    t.u.params.alarm_level = ALARM;
    t.u.params.pretrip_level = PRETRIP;
    t.u.params.hoarding_limit = HOARD;
    t.u.params.emergency_kwh = 2;
    g_assert_cmpint(fw_card_token(&card, &office, &t, -1), ==, KV_OK);
    give_reader(f, path, &card);
    click(f, "Insert card");
    g_assert_true(wait_for(card_in_meter, f, 5000));
    g_test_message("%s / %s", f->card_text, lcd(f));
    g_assert_cmpint(f->card_code, ==, 0);
    click(f, "Take card out");
    spin(300);

    click(f, "Hold button");
    g_assert_true(kv_meter_model_get_relay_closed(f->model));
    g_assert_nonnull(strstr(label_text(f, "relay"), "closed (emergency)"));
    g_assert_true(g_str_has_prefix(lcd(f), "Ec"));
    screenshot(f, "meter-window-6-emergency");
    click(f, "Hold button");
    g_assert_true(kv_meter_model_get_relay_closed(f->model));
    g_assert_cmpint(kv_meter_model_get_remaining(f->model), ==, 0);
    g_unlink(pointer);
    g_unlink(path);
}

/* A label showing exactly this text under root (a group title, a caption). */
static gboolean has_label(GtkWidget *root, const char *text)
{
    for (GtkWidget *c = gtk_widget_get_first_child(root); c; c = gtk_widget_get_next_sibling(c))
        if ((GTK_IS_LABEL(c) && strcmp(gtk_label_get_text(GTK_LABEL(c)), text) == 0) ||
            has_label(c, text))
            return TRUE;
    return FALSE;
}

/* The event log's row holding this text, or NULL. */
static const char *log_row_with(Fixture *f, const char *needle)
{
    GtkListBox *log = GTK_LIST_BOX(control_of(f, "Journal des événements", GTK_TYPE_LIST_BOX));
    GtkListBoxRow *row;

    for (int i = 0; (row = gtk_list_box_get_row_at_index(log, i)) != NULL; i++) {
        const char *text = gtk_label_get_text(GTK_LABEL(gtk_list_box_row_get_child(row)));
        if (strstr(text, needle))
            return text;
    }
    return NULL;
}

/* The window in French (the station's catalogue, a French locale of our
 * own): its labels, controls and event log speak French, readings use the
 * French decimal comma as the load spin buttons do, and what the meter's
 * own display shows stays the firmware's (Ld 0030.00kWh).  In a child
 * process: the locale is for the whole program. */
static void test_french(void)
{
    Fixture fx = {0}, *f = &fx;
    g_autoptr(GError) error = NULL;
    g_autofree char *state = NULL;
    g_autofree char *locales = NULL;
    const char *accepted;

    if (!g_test_subprocess()) {
        g_test_trap_subprocess(NULL, 0, G_TEST_SUBPROCESS_INHERIT_STDERR);
        g_test_trap_assert_passed();
        return;
    }
    locales = g_dir_make_tmp("kv-locale-XXXXXX", NULL);
    g_assert_true(kv_gui_test_use_locale(locales, "fr_FR"));
    g_assert_nonnull(g_getenv("KILOVEND_LOCALEDIR"));
    bindtextdomain(GETTEXT_PACKAGE, g_getenv("KILOVEND_LOCALEDIR"));
    bind_textdomain_codeset(GETTEXT_PACKAGE, "UTF-8");
    textdomain(GETTEXT_PACKAGE);

    /* The card on the desk (no virtual reader): Insert card reads it at once. */
    make_meter_and_card(f);
    state = g_build_filename(f->dir, "meter", NULL);
    f->model = kv_meter_model_new(state, f->prov, &error);
    g_assert_no_error(error);
    kv_meter_model_set_card(f->model, f->card, NULL);
    f->win = kv_meter_window_new(NULL, f->model);
    gtk_window_present(GTK_WINDOW(f->win));
    spin(300);

    g_assert_cmpstr(gtk_window_get_title(GTK_WINDOW(f->win)), ==, "Compteur Kilovend");
    g_assert_true(has_label(GTK_WIDGET(f->win), "Relevés"));
    g_assert_true(has_label(GTK_WIDGET(f->win), "Crédit restant"));
    g_assert_true(has_label(GTK_WIDGET(f->win), "Charge et temps"));
    g_assert_true(has_label(GTK_WIDGET(f->win), "Alarme"));
    g_assert_cmpstr(label_text(f, "card-place"), ==, "Carte à la station");
    g_assert_cmpstr(label_text(f, "remaining"), ==, "0,00 kWh");
    g_assert_cmpstr(label_text(f, "relay"), ==, "Relais ouvert (coupure)");
    g_assert_nonnull(control_of(f, "Voyant rouge", KV_TYPE_METER_LAMP));
    g_assert_nonnull(control_of(f, "Charge L1 (kW)", GTK_TYPE_SPIN_BUTTON));
    g_assert_nonnull(control_of(f, "Appuyer sur le bouton", GTK_TYPE_BUTTON));

    click(f, "Insérer la carte");
    g_assert_true(card_in_meter(f));
    g_assert_cmpstr(label_text(f, "card-place"), ==, "Carte dans le compteur");
    g_assert_cmpstr(label_text(f, "remaining"), ==, "30,00 kWh");
    g_assert_cmpstr(label_text(f, "relay"), ==, "Relais fermé (normal)");
    accepted = log_row_with(f, "carte acceptée : 0,00 kWh -> 30,00 kWh");
    g_assert_nonnull(accepted);
    g_test_message("%s", accepted);
    g_assert_nonnull(log_row_with(f, "relais fermé"));
    g_assert_null(log_row_with(f, "card accepted"));
    /* The meter's display is the firmware's, in no language. */
    g_assert_cmpstr(kv_meter_lcd_get_text(KV_METER_LCD(
                        control_of(f, "Afficheur du compteur", KV_TYPE_METER_LCD))),
                    ==, "Ld 0030.00kWh");
    screenshot(f, "meter-window-fr");
    click(f, "Retirer la carte");
    g_assert_cmpstr(label_text(f, "card-place"), ==, "Carte à la station");

    gtk_window_destroy(GTK_WINDOW(f->win));
    g_assert_finalize_object(f->model);
    kv_gui_test_remove_tree(f->dir);
    kv_gui_test_remove_tree(locales);
    g_free(f->dir);
    g_free(f->prov);
    g_free(f->card);
}

int main(int argc, char **argv)
{
    g_setenv("GSK_RENDERER", "cairo", TRUE);
    gtk_test_init(&argc, &argv, NULL);
    adw_init();
    g_object_set(gtk_settings_get_default(), "gtk-enable-animations", FALSE, NULL);
    g_test_add("/meter-window/purchase-runs-down", Fixture, NULL, fixture_setup,
               test_purchase_runs_down, fixture_teardown);
    g_test_add("/meter-window/card-of-another-meter", Fixture, NULL, fixture_setup,
               test_card_of_another_meter, fixture_teardown);
    g_test_add("/meter-window/hold-for-emergency-credit", Fixture, NULL, fixture_setup,
               test_hold_for_emergency_credit, fixture_teardown);
    g_test_add_func("/meter-window/french", test_french);
    return g_test_run();
}
