/* kv-application.c - the cashier app.
 *
 * Parses the command line (--version, --demo, --db, --keys), installs the
 * application actions and their accelerators, and opens the one station
 * window.  The station core is opened here so that every window and page
 * shares the same session. */
#define G_LOG_DOMAIN "kv-application"

#include "config.h"

#include <glib/gi18n.h>

#include <errno.h>
#include <glib/gstdio.h>
#include <unistd.h>

#include "kv-application.h"
#include "kv-card-watcher.h"
#include "kv-demo.h"
#include "kv-timing.h"
#include "kv-window.h"

struct _KvApplication {
    AdwApplication parent_instance;

    GSettings *settings;
    KvSession *session;
    KvCardWatcher *watcher;
    gboolean demo;
    char *demo_dir;
    char *db_path;
    char *keys_path;
    char *open_error;
};

G_DEFINE_FINAL_TYPE(KvApplication, kv_application, ADW_TYPE_APPLICATION)

static const GOptionEntry option_entries[] = {
    {"version", 'v', 0, G_OPTION_ARG_NONE, NULL, N_("Show the version and exit"), NULL},
    {"demo", 0, 0, G_OPTION_ARG_NONE, NULL,
     N_("Run with a virtual card reader and a demonstration database"), NULL},
    {"db", 0, 0, G_OPTION_ARG_FILENAME, NULL, N_("Use this station database"), N_("FILE")},
    {"keys", 0, 0, G_OPTION_ARG_FILENAME, NULL, N_("Use this key file"), N_("FILE")},
    {"demo-dir", 0, 0, G_OPTION_ARG_FILENAME, NULL,
     N_("Keep the demonstration station in this folder (made if empty)"), N_("DIR")},
    G_OPTION_ENTRY_NULL};

/* GSettings aborts on a missing schema: check first, to say what to do. */
static gboolean settings_schema_installed(void)
{
    GSettingsSchemaSource *source = g_settings_schema_source_get_default();
    g_autoptr(GSettingsSchema) schema = NULL;

    if (source != NULL)
        schema = g_settings_schema_source_lookup(source, KV_APPLICATION_ID, TRUE);
    return schema != NULL;
}

/* Where the private card service can be steered from (the virtual card's
 * control FIFO...): a file in the demo folder, for scripts and tests that
 * drive the demo from outside. */
static void write_demo_env(const char *dir)
{
    static const char *const names[] = {"KV_PCSC_DIR", "KV_PCSC_READER", "KV_PCSC_CTL",
                                        "KV_VCARD_CONTROL", "KV_VCARD_CARD", "KV_VCARD_PID"};
    g_autoptr(GString) text = g_string_new(NULL);
    g_autofree char *path = g_build_filename(dir, "demo-env", NULL);

    for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
        const char *v = g_getenv(names[i]);
        if (v != NULL)
            g_string_append_printf(text, "%s=%s\n", names[i], v);
    }
    g_string_append_printf(text, "KILOVEND_PID=%d\n", (int)getpid());
    if (!g_file_set_contents(path, text->str, -1, NULL))
        g_printerr("kilovend: cannot write %s\n", path);
}

/* The outer `kilovend --demo`: make the demo station, then run the app again
 * inside a private card service with the virtual reader.  Returns the exit
 * status, or -1 to go on (we are the inner one). */
static int prepare_demo(KvApplication *self)
{
    g_autoptr(GError) error = NULL;
    g_autofree char *db = NULL;
    g_autofree char *exe = NULL;
    gboolean made_dir = FALSE;
    char *argv[5];
    int status = 1;

    if (g_getenv("KV_PCSC_DIR") != NULL && self->demo_dir != NULL) {
        /* Inside kv-pcsc-env: use the demo station. */
        self->db_path = kv_demo_db_path(self->demo_dir);
        self->keys_path = kv_demo_keys_path(self->demo_dir);
        g_setenv("KILOVEND_DEMO_DIR", self->demo_dir, TRUE);
        write_demo_env(self->demo_dir);
        return -1;
    }
    if (self->demo_dir == NULL) {
        self->demo_dir = g_dir_make_tmp("kilovend-demo-XXXXXX", &error);
        if (self->demo_dir == NULL) {
            g_printerr("kilovend: %s\n", error->message);
            return 1;
        }
        made_dir = TRUE;
    } else if (g_mkdir_with_parents(self->demo_dir, 0700) != 0) {
        g_printerr(_("kilovend: cannot make the folder %s: %s\n"), self->demo_dir,
                   g_strerror(errno));
        return 1;
    }
    db = kv_demo_db_path(self->demo_dir);
    if (!g_file_test(db, G_FILE_TEST_EXISTS)) {
        g_print(_("Making the demonstration station in %s…\n"), self->demo_dir);
        if (!kv_demo_create(self->demo_dir, &error)) {
            g_printerr(_("kilovend: the demonstration station could not be made: %s\n"),
                       error->message);
            goto out;
        }
    }
    exe = g_file_read_link("/proc/self/exe", &error);
    if (exe == NULL) {
        g_printerr("kilovend: %s\n", error->message);
        goto out;
    }
    argv[0] = exe;
    argv[1] = (char *)"--demo";
    argv[2] = (char *)"--demo-dir";
    argv[3] = self->demo_dir;
    argv[4] = NULL;
    if (!kv_demo_run_in_pcsc_env(self->demo_dir, argv, &status, &error)) {
        g_printerr("kilovend: %s\n", error->message);
        status = 1;
    }
out:
    /* Our own temporary folder: nothing else lives there. */
    if (made_dir && !kv_demo_remove_dir(self->demo_dir))
        g_printerr(_("kilovend: could not remove %s\n"), self->demo_dir);
    return status;
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
    g_variant_dict_lookup(options, "demo-dir", "^ay", &self->demo_dir);
    if (self->demo) {
        int status = prepare_demo(self);
        if (status >= 0)
            return status;
    }
    /* A station on another database is its own instance: it must not hand
     * its work to a station already running.  (The demo owns the usual bus
     * name, so that it can be driven and closed like the station.) */
    if (self->db_path != NULL && !self->demo)
        g_application_set_flags(app, g_application_get_flags(app) | G_APPLICATION_NON_UNIQUE);
    return -1;
}

static void kv_application_activate(GApplication *app)
{
    KvApplication *self = KV_APPLICATION(app);
    GtkWindow *window = gtk_application_get_active_window(GTK_APPLICATION(app));

    if (window == NULL) {
        window = GTK_WINDOW(kv_window_new(self, self->session));
        kv_timing_mark("window-built");
        if (self->open_error != NULL)
            kv_window_show_problem(KV_WINDOW(window), self->open_error);
    }
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

static void on_station_open_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvApplication) self = user_data;
    g_autoptr(GError) error = NULL;
    GtkWindow *window;

    if (kv_session_open_finish(KV_SESSION(source), result, &error))
        return;
    /* A station without its database is no use: the window says why and
     * what to do. */
    g_free(self->open_error);
    self->open_error = g_strdup(error->message);
    window = gtk_application_get_active_window(GTK_APPLICATION(self));
    if (window != NULL)
        kv_window_show_problem(KV_WINDOW(window), self->open_error);
}

static void open_station(KvApplication *self)
{
    g_autofree char *db = NULL;
    g_autofree char *keys = NULL;
    g_autofree char *reader = NULL;

    db = self->db_path != NULL ? g_strdup(self->db_path)
                               : g_settings_get_string(self->settings, "database-path");
    if (*db == '\0') {
        g_free(db);
        db = g_build_filename(g_get_user_data_dir(), "kilovend", "station.db", NULL);
    }
    keys = self->keys_path != NULL ? g_strdup(self->keys_path)
                                   : g_settings_get_string(self->settings, "key-file-path");
    if (*keys == '\0') {
        g_autofree char *dir = g_path_get_dirname(db);
        g_free(keys);
        keys = g_build_filename(dir, "station.keys", NULL);
    }

    reader = self->demo ? g_strdup(g_getenv("KV_PCSC_READER"))
                        : g_settings_get_string(self->settings, "reader-name");
    self->watcher = kv_card_watcher_new(reader);
    kv_session_set_watcher(self->session, self->watcher);
    kv_card_watcher_start(self->watcher);

    kv_session_open_async(self->session, db, keys, NULL, on_station_open_cb,
                          g_object_ref(self));
}

static void kv_application_startup(GApplication *app)
{
    KvApplication *self = KV_APPLICATION(app);
    static const char *quit_accels[] = {"<Control>q", NULL};

    G_APPLICATION_CLASS(kv_application_parent_class)->startup(app);
    kv_timing_mark("gtk-started");

    g_action_map_add_action_entries(G_ACTION_MAP(app), app_actions, G_N_ELEMENTS(app_actions),
                                    app);
    gtk_application_set_accels_for_action(GTK_APPLICATION(app), "app.quit", quit_accels);
    gtk_window_set_default_icon_name(KV_APPLICATION_ID);

    self->settings = g_settings_new(KV_APPLICATION_ID);
    self->session = kv_session_new();
    open_station(self);
}

static void kv_application_shutdown(GApplication *app)
{
    KvApplication *self = KV_APPLICATION(app);

    if (self->watcher != NULL)
        kv_card_watcher_stop(self->watcher);
    G_APPLICATION_CLASS(kv_application_parent_class)->shutdown(app);
    g_clear_object(&self->session);
    g_clear_object(&self->watcher);
}

static void kv_application_finalize(GObject *object)
{
    KvApplication *self = KV_APPLICATION(object);

    g_clear_object(&self->session);
    g_clear_object(&self->settings);
    g_clear_object(&self->watcher);
    g_clear_pointer(&self->db_path, g_free);
    g_clear_pointer(&self->demo_dir, g_free);
    g_clear_pointer(&self->open_error, g_free);
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

const char *kv_application_get_demo_dir(KvApplication *self)
{
    g_return_val_if_fail(KV_IS_APPLICATION(self), NULL);
    return self->demo ? self->demo_dir : NULL;
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

void kv_application_set_station(KvApplication *self, const char *db_path, const char *keys_path)
{
    g_return_if_fail(KV_IS_APPLICATION(self));

    g_free(self->db_path);
    g_free(self->keys_path);
    self->db_path = g_strdup(db_path);
    self->keys_path = g_strdup(keys_path);
}
