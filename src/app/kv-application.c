/* kv-application.c - the cashier app.
 *
 * Parses the command line (--version, --demo, --db, --keys), installs the
 * application actions and their accelerators, and opens the one station
 * window.  The station core is opened here so that every window and page
 * shares the same session. */
#define G_LOG_DOMAIN "kv-application"

#include "config.h"

#include <glib/gi18n.h>

#include "kv-application.h"
#include "kv-window.h"

struct _KvApplication {
    AdwApplication parent_instance;

    GSettings *settings;
    KvSession *session;
    gboolean demo;
    char *db_path;
    char *keys_path;
};

G_DEFINE_FINAL_TYPE(KvApplication, kv_application, ADW_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
    {"version", 'v', 0, G_OPTION_ARG_NONE, NULL, N_("Show the version and exit"), NULL},
    {"demo", 0, 0, G_OPTION_ARG_NONE, NULL,
     N_("Run with a virtual card reader and a demonstration database"), NULL},
    {"db", 0, 0, G_OPTION_ARG_FILENAME, NULL, N_("Use this station database"), N_("FILE")},
    {"keys", 0, 0, G_OPTION_ARG_FILENAME, NULL, N_("Use this key file"), N_("FILE")},
    {NULL}};

/* GSettings aborts on a missing schema: check first, to say what to do. */
static gboolean settings_schema_installed(void)
{
    GSettingsSchemaSource *source = g_settings_schema_source_get_default();
    g_autoptr(GSettingsSchema) schema = NULL;

    if (source != NULL)
        schema = g_settings_schema_source_lookup(source, KV_APPLICATION_ID, TRUE);
    return schema != NULL;
}

static int kv_application_handle_local_options(GApplication *app, GVariantDict *options)
{
    KvApplication *self = KV_APPLICATION(app);

    if (g_variant_dict_contains(options, "version")) {
        g_print("kilovend %s\n", PACKAGE_VERSION);
        return 0;
    }
    if (!settings_schema_installed()) {
        g_printerr(_("kilovend: the settings schema %s is not installed. Install the station, "
                     "or run it from the build tree with GSETTINGS_SCHEMA_DIR set to the "
                     "folder of the compiled schema (see tools/demo.sh).\n"),
                   KV_APPLICATION_ID);
        return 1;
    }
    self->demo = g_variant_dict_contains(options, "demo");
    g_variant_dict_lookup(options, "db", "^ay", &self->db_path);
    g_variant_dict_lookup(options, "keys", "^ay", &self->keys_path);
    /* A demo or a station on another database is its own instance: it must
     * not hand its work to a station already running. */
    if (self->demo || self->db_path != NULL)
        g_application_set_flags(app, g_application_get_flags(app) | G_APPLICATION_NON_UNIQUE);
    return -1;
}

static void kv_application_activate(GApplication *app)
{
    KvApplication *self = KV_APPLICATION(app);
    GtkWindow *window = gtk_application_get_active_window(GTK_APPLICATION(app));

    if (window == NULL)
        window = GTK_WINDOW(kv_window_new(self, self->session));
    gtk_window_present(window);
}

static void kv_application_about(GSimpleAction *action, GVariant *param, gpointer user_data)
{
    GtkApplication *app = GTK_APPLICATION(user_data);
    static const char *developers[] = {"The Kilovend developers", NULL};

    adw_show_about_window(gtk_application_get_active_window(app),
                          "application-name", _("Kilovend"),
                          "application-icon", KV_APPLICATION_ID,
                          "version", PACKAGE_VERSION,
                          "developer-name", "The Kilovend developers",
                          "developers", developers,
                          "comments", _("Sell prepaid electricity credit on smart cards"),
                          "license-type", GTK_LICENSE_GPL_3_0,
                          /* Translators: your name, to be credited in the About window */
                          "translator-credits", _("translator-credits"),
                          NULL);
}

static void kv_application_quit(GSimpleAction *action, GVariant *param, gpointer user_data)
{
    GtkApplication *app = GTK_APPLICATION(user_data);
    GList *windows = gtk_application_get_windows(app);

    /* Closing the windows saves their state; the app ends with the last. */
    for (GList *l = windows; l != NULL;) {
        GtkWindow *window = l->data;
        l = l->next;
        gtk_window_close(window);
    }
}

static const GActionEntry app_actions[] = {
    {"about", kv_application_about, NULL, NULL, NULL, {0}},
    {"quit", kv_application_quit, NULL, NULL, NULL, {0}},
};

static void kv_application_startup(GApplication *app)
{
    KvApplication *self = KV_APPLICATION(app);
    static const char *quit_accels[] = {"<Control>q", NULL};

    G_APPLICATION_CLASS(kv_application_parent_class)->startup(app);

    g_action_map_add_action_entries(G_ACTION_MAP(app), app_actions, G_N_ELEMENTS(app_actions),
                                    app);
    gtk_application_set_accels_for_action(GTK_APPLICATION(app), "app.quit", quit_accels);
    gtk_window_set_default_icon_name(KV_APPLICATION_ID);

    self->settings = g_settings_new(KV_APPLICATION_ID);
    self->session = kv_session_new();
}

static void kv_application_shutdown(GApplication *app)
{
    KvApplication *self = KV_APPLICATION(app);

    G_APPLICATION_CLASS(kv_application_parent_class)->shutdown(app);
    g_clear_object(&self->session);
}

static void kv_application_finalize(GObject *object)
{
    KvApplication *self = KV_APPLICATION(object);

    g_clear_object(&self->session);
    g_clear_object(&self->settings);
    g_clear_pointer(&self->db_path, g_free);
    g_clear_pointer(&self->keys_path, g_free);
    G_OBJECT_CLASS(kv_application_parent_class)->finalize(object);
}

static void kv_application_class_init(KvApplicationClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);
    GApplicationClass *app_class = G_APPLICATION_CLASS(klass);

    object_class->finalize = kv_application_finalize;
    app_class->handle_local_options = kv_application_handle_local_options;
    app_class->startup = kv_application_startup;
    app_class->shutdown = kv_application_shutdown;
    app_class->activate = kv_application_activate;
}

static void kv_application_init(KvApplication *self)
{
    g_application_add_main_option_entries(G_APPLICATION(self), option_entries);
    g_application_set_option_context_summary(G_APPLICATION(self),
                                             _("The Kilovend vending station."));
}

KvApplication *kv_application_new(void)
{
    return g_object_new(KV_TYPE_APPLICATION,
                        "application-id", KV_APPLICATION_ID,
                        "flags", G_APPLICATION_DEFAULT_FLAGS,
                        "resource-base-path", "/org/kilovend/Station",
                        NULL);
}

GSettings *kv_application_get_settings(KvApplication *self)
{
    g_return_val_if_fail(KV_IS_APPLICATION(self), NULL);
    return self->settings;
}

gboolean kv_application_get_demo(KvApplication *self)
{
    g_return_val_if_fail(KV_IS_APPLICATION(self), FALSE);
    return self->demo;
}

KvSession *kv_application_get_session(KvApplication *self)
{
    g_return_val_if_fail(KV_IS_APPLICATION(self), NULL);
    return self->session;
}
