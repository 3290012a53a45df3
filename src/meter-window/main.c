/* main.c - kilovend-meter: the prepaid meter beside the station.
 *
 *   kilovend-meter --config PROVISION.bin [--state DIR] [--card FILE]
 *                  [--vcard-control FIFO] [--speed N] [--load KW]
 *
 * The meter firmware on the host board (the code of kilovend-meter-sim) in
 * a window.  --card and --vcard-control default to KV_VCARD_CARD and
 * KV_VCARD_CONTROL, which tests/pcsc/kv-pcsc-env sets: started inside the
 * station's demo stack, "Insert card" takes the station's card. */
#define G_LOG_DOMAIN "kilovend-meter"

#include "config.h"

#include <locale.h>
#include <stdlib.h>

#include "kv-i18n.h"
#include "kv-meter-window.h"

static char *opt_config, *opt_state, *opt_card, *opt_control;
static int opt_speed = 600;
static double opt_load = 0;
static gboolean opt_version;

static const GOptionEntry entries[] = {
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &opt_config,
     N_("The meter's provisioning block (kilovendctl meter provision --out FILE)"), N_("FILE")},
    {"state", 's', 0, G_OPTION_ARG_FILENAME, &opt_state,
     N_("Directory of the meter's memory (default: ~/.local/share/kilovend/meter)"), N_("DIR")},
    {"card", 0, 0, G_OPTION_ARG_FILENAME, &opt_card,
     N_("The card file the meter takes (default: $KV_VCARD_CARD)"), N_("FILE")},
    {"vcard-control", 0, 0, G_OPTION_ARG_FILENAME, &opt_control,
     N_("kilovend-vcard's control FIFO: the card is taken from the station's reader and given "
        "back (default: $KV_VCARD_CONTROL)"),
     N_("FIFO")},
    {"speed", 0, 0, G_OPTION_ARG_INT, &opt_speed,
     N_("Meter seconds per real second (default 600; 0 stops the clock)"), N_("N")},
    {"load", 0, 0, G_OPTION_ARG_DOUBLE, &opt_load, N_("Load on each phase at start, kW"),
     N_("KW")},
    {"version", 0, 0, G_OPTION_ARG_NONE, &opt_version, N_("Print the version"), NULL},
    G_OPTION_ENTRY_NULL};

static KvMeterModel *model;

static void on_activate_cb(GtkApplication *app)
{
    GtkWindow *win = gtk_application_get_active_window(app);

    if (!win)
        win = GTK_WINDOW(kv_meter_window_new(app, model));
    gtk_window_present(win);
}

int main(int argc, char **argv)
{
    g_autoptr(GOptionContext) ctx = NULL;
    g_autoptr(GError) error = NULL;
    g_autoptr(AdwApplication) app = NULL;
    g_autofree char *state = NULL;
    int status;

    /* The station's catalogue, bound as the core binds it (KILOVEND_LOCALEDIR
     * in test builds): the meter window speaks the station's language. */
    setlocale(LC_ALL, "");
    kv_i18n_init();
    textdomain(GETTEXT_PACKAGE);

    ctx = g_option_context_new(_("- the prepaid meter beside the station"));
    g_option_context_set_translation_domain(ctx, GETTEXT_PACKAGE);
    g_option_context_add_main_entries(ctx, entries, GETTEXT_PACKAGE);
    if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
        g_printerr(_("kilovend-meter: %s (see --help)\n"), error->message);
        return 2;
    }
    if (opt_version) {
        g_print("kilovend-meter %s\n", PACKAGE_VERSION);
        return 0;
    }
    if (!opt_config) {
        g_printerr(_("kilovend-meter: give the meter's provisioning block with --config FILE "
                     "(make one with kilovendctl meter provision --meter N --out FILE)\n"));
        return 2;
    }
    if (opt_speed < 0 || opt_load < 0 || opt_load > 30) {
        g_printerr(_("kilovend-meter: --speed wants 0 or more, --load 0 to 30 kW\n"));
        return 2;
    }
    state = opt_state ? g_strdup(opt_state)
                      : g_build_filename(g_get_user_data_dir(), "kilovend", "meter", NULL);
    model = kv_meter_model_new(state, opt_config, &error);
    if (!model) {
        g_printerr("kilovend-meter: %s\n", error->message);
        return 1;
    }
    kv_meter_model_set_card(model, opt_card ? opt_card : g_getenv("KV_VCARD_CARD"),
                            opt_control ? opt_control : g_getenv("KV_VCARD_CONTROL"));
    for (guint p = 0; p < 3; p++)
        kv_meter_model_set_load(model, p, (gint32)(opt_load * 1000.0 + 0.5));
    kv_meter_model_set_speed(model, (guint)opt_speed);

    app = adw_application_new("org.kilovend.Meter", G_APPLICATION_NON_UNIQUE);
    g_signal_connect(app, "activate", G_CALLBACK(on_activate_cb), NULL);
    status = g_application_run(G_APPLICATION(app), 1, argv);
    /* The window is closed: the meter's supply fails (it saves its state). */
    g_clear_object(&model);
    return status;
}
