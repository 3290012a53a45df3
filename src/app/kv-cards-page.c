/* kv-cards-page.c - issue, replace and batch-issue customer cards.
 *
 * Every card operation is the core's (kv_card_issue, kv_card_replace,
 * kv_card_batch) on the session's worker.  A batch asks for each card in
 * turn: the worker waits for the previous card to come out and a blank one
 * to go in, and the page shows what it is waiting for, the progress, and a
 * row per card at the end.  Cancel stops after the card in hand. */
#define G_LOG_DOMAIN "kv-cards-page"

#include "config.h"

#include <glib/gi18n.h>

#include "kv-batch-item.h"
#include "kv-cards-page.h"
#include "kv-widget-util.h"

struct _KvCardsPage {
    GtkWidget parent_instance;

    KvSession *session;
    char *batch_file;
    GCancellable *batch_cancel;
    GListStore *batch_rows;
    gboolean busy;

    /* Template children */
    AdwEntryRow *issue_meter_row;
    AdwEntryRow *replace_meter_row;
    AdwComboRow *reason_row;
    GtkLabel *single_result_label;
    AdwActionRow *batch_file_row;
    GtkLabel *batch_prompt_label;
    GtkProgressBar *batch_progress;
    GtkColumnView *batch_view;
};

G_DEFINE_FINAL_TYPE(KvCardsPage, kv_cards_page, GTK_TYPE_WIDGET)

static void update_actions(KvCardsPage *self)
{
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "cards.issue", !self->busy);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "cards.replace", !self->busy);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "cards.choose-batch-file", !self->busy);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "cards.batch-start",
                                  !self->busy && self->batch_file != NULL);
    gtk_widget_action_set_enabled(GTK_WIDGET(self), "cards.batch-cancel",
                                  self->batch_cancel != NULL);
}

static void show_single_result(KvCardsPage *self, const char *text, gboolean ok)
{
    gtk_label_set_label(self->single_result_label, text);
    gtk_widget_set_visible(GTK_WIDGET(self->single_result_label), TRUE);
    gtk_widget_remove_css_class(GTK_WIDGET(self->single_result_label), ok ? "error" : "success");
    gtk_widget_add_css_class(GTK_WIDGET(self->single_result_label), ok ? "success" : "error");
}

/* ---- issue and replace -------------------------------------------------------- */

typedef struct {
    guint32 meter;
    char *reason; /* NULL: issue */
} SingleData;

static void single_data_free(SingleData *d)
{
    g_free(d->reason);
    g_free(d);
}

static gpointer single_in_worker(KvSession *session, KvStation *st, gpointer data,
                                 GCancellable *cancellable, GError **error)
{
    SingleData *d = data;
    g_autoptr(KvCardLink) link = kv_session_worker_take_card(session, NULL, error);

    if (link == NULL)
        return NULL;
    if (d->reason != NULL)
        return kv_card_replace(st, link, d->meter, d->reason, error);
    return kv_card_issue(st, link, d->meter, error);
}

static void on_single_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvCardsPage) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(KvCardRecord) rec = kv_session_run_finish(KV_SESSION(source), result, &error);
    g_autofree char *text = NULL;

    self->busy = FALSE;
    update_actions(self);
    if (rec == NULL) {
        text = g_strdup_printf(_("No card was issued: %s"), error->message);
        show_single_result(self, text, FALSE);
        return;
    }
    if (rec->replaces != 0)
        text = g_strdup_printf(_("Card %u issued for meter %09u. It replaces card %u, which is "
                                 "now blocked. Give the new card to the customer."),
                               rec->serial, rec->meter_number, rec->replaces);
    else
        text = g_strdup_printf(_("Card %u issued for meter %09u. Give it to the customer."),
                               rec->serial, rec->meter_number);
    show_single_result(self, text, TRUE);
}

static void start_single(KvCardsPage *self, AdwEntryRow *row, const char *reason)
{
    g_autoptr(GError) error = NULL;
    SingleData *d;
    guint32 meter = 0;

    if (self->busy || self->session == NULL)
        return;
    if (!kv_meter_number_parse(gtk_editable_get_text(GTK_EDITABLE(row)), &meter, &error)) {
        show_single_result(self, error->message, FALSE);
        gtk_widget_grab_focus(GTK_WIDGET(row));
        return;
    }
    d = g_new0(SingleData, 1);
    d->meter = meter;
    d->reason = g_strdup(reason);
    self->busy = TRUE;
    update_actions(self);
    show_single_result(self, _("Writing the card. Leave it in the reader."), TRUE);
    kv_session_run_async(self->session, single_in_worker, d, (GDestroyNotify)single_data_free,
                         (GDestroyNotify)kv_card_record_free, NULL, on_single_done_cb,
                         g_object_ref(self));
}

static void kv_cards_page_issue(GtkWidget *widget, const char *action_name, GVariant *param)
{
    KvCardsPage *self = KV_CARDS_PAGE(widget);

    start_single(self, self->issue_meter_row, NULL);
}

static void kv_cards_page_replace(GtkWidget *widget, const char *action_name, GVariant *param)
{
    KvCardsPage *self = KV_CARDS_PAGE(widget);
    static const char *const reasons[] = {"lost", "damaged", "stolen"};
    guint i = adw_combo_row_get_selected(self->reason_row);

    start_single(self, self->replace_meter_row, reasons[MIN(i, G_N_ELEMENTS(reasons) - 1)]);
}

/* ---- batch -------------------------------------------------------------------- */

typedef struct {
    KvCardsPage *page;       /* main thread only (through idles) */
    KvSession *session;
    char *csv;
    GCancellable *cancellable;
    KvCardService *svc;      /* the worker's, for card waits */
    gboolean need_removal;
} BatchData;

static void batch_data_free(BatchData *b)
{
    g_clear_pointer(&b->svc, kv_card_service_free);
    g_clear_object(&b->page);
    g_clear_object(&b->session);
    g_clear_object(&b->cancellable);
    g_free(b->csv);
    g_free(b);
}

typedef struct {
    KvCardsPage *page;
    char *prompt;
    double fraction; /* < 0: unchanged */
    char *progress_text;
} BatchNews;

static gboolean deliver_news(gpointer data)
{
    BatchNews *n = data;

    if (n->prompt != NULL)
        gtk_label_set_label(n->page->batch_prompt_label, n->prompt);
    if (n->fraction >= 0) {
        gtk_progress_bar_set_fraction(n->page->batch_progress, n->fraction);
        gtk_progress_bar_set_text(n->page->batch_progress, n->progress_text);
    }
    g_object_unref(n->page);
    g_free(n->prompt);
    g_free(n->progress_text);
    g_free(n);
    return G_SOURCE_REMOVE;
}

static void post_news(BatchData *b, char *prompt, double fraction, char *progress_text)
{
    BatchNews *n = g_new0(BatchNews, 1);

    n->page = g_object_ref(b->page);
    n->prompt = prompt;
    n->fraction = fraction;
    n->progress_text = progress_text;
    /* Default priority: delivered before the result of the job, which
     * comes after it. */
    g_idle_add_full(G_PRIORITY_DEFAULT, deliver_news, n, NULL);
}

static void on_batch_progress(guint64 done, guint64 total, const char *what, gpointer data)
{
    BatchData *b = data;

    post_news(b, NULL, total > 0 ? (double)done / (double)total : 0.0,
              g_strdup_printf(_("%llu of %llu rows done"), (unsigned long long)done,
                              (unsigned long long)total));
}

/* Wait (on the worker) for this card event, or for the operator to cancel;
 * a reader unplugged or pcscd restarted meanwhile is waited out. */
static gboolean wait_for(BatchData *b, KvCardEvent wanted, GError **error)
{
    return kv_card_service_wait_for(b->svc, NULL, wanted, TRUE, b->cancellable, error);
}

static KvCardLink *next_card(guint32 meter, guint index, guint total, gpointer data,
                             GCancellable *cancellable, GError **error)
{
    BatchData *b = data;
    KvCardLink *link;

    if (b->svc == NULL) {
        /* A fresh context: its first waits report the reader and any card
         * already in it. */
        b->svc = kv_card_service_new(error);
        if (b->svc == NULL)
            return NULL;
    }
    if (b->need_removal) {
        post_news(b, g_strdup(_("Take the card out of the reader.")), -1, NULL);
        if (!wait_for(b, KV_CARD_EVENT_REMOVED, error))
            return NULL;
    }
    post_news(b,
              g_strdup_printf(_("Insert a blank card for meter %09u (card %u of %u)."), meter,
                              index + 1, total),
              -1, NULL);
    if (!wait_for(b, KV_CARD_EVENT_INSERTED, error))
        return NULL;
    post_news(b, g_strdup_printf(_("Writing the card for meter %09u. Leave it in the reader."),
                                 meter),
              -1, NULL);
    link = kv_session_worker_take_card(b->session, NULL, error);
    b->need_removal = TRUE;
    return link;
}

static gpointer batch_in_worker(KvSession *session, KvStation *st, gpointer data,
                                GCancellable *cancellable, GError **error)
{
    BatchData *b = data;

    return kv_card_batch(st, b->csv, next_card, b, on_batch_progress, b, b->cancellable, error);
}

static void on_batch_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
    g_autoptr(KvCardsPage) self = user_data;
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) rows = kv_session_run_finish(KV_SESSION(source), result, &error);
    guint ok = 0;
    gboolean cancelled = self->batch_cancel != NULL &&
                         g_cancellable_is_cancelled(self->batch_cancel);

    self->busy = FALSE;
    g_clear_object(&self->batch_cancel);
    update_actions(self);
    if (rows == NULL && cancelled) {
        gtk_label_set_label(self->batch_prompt_label,
                            _("Batch cancelled. The cards issued before stay issued; no other "
                              "card was written. Run the same file again to issue the rest: "
                              "meters that have a card are skipped."));
        return;
    }
    if (rows == NULL) {
        g_autofree char *text = g_strdup_printf(_("The batch stopped: %s"), error->message);
        gtk_label_set_label(self->batch_prompt_label, text);
        return;
    }
    g_list_store_remove_all(self->batch_rows);
    for (guint i = 0; i < rows->len; i++) {
        KvBatchRow *r = g_ptr_array_index(rows, i);
        g_autoptr(KvBatchItem) item =
            kv_batch_item_new(r->line, r->meter, r->serial, r->message, r->ok);

        ok += r->ok;
        g_list_store_append(self->batch_rows, item);
    }
    if (cancelled) {
        g_autofree char *text = g_strdup_printf(
            _("Batch cancelled. Rows done: %u; the others were not written. Run the same file "
              "again to issue the rest: meters that have a card are skipped."),
            ok);
        gtk_label_set_label(self->batch_prompt_label, text);
    } else {
        g_autofree char *text = g_strdup_printf(
            _("Batch finished: %u of %u rows done. Rows not done can be issued by running the "
              "same file again."),
            ok, rows->len);
        gtk_label_set_label(self->batch_prompt_label, text);
    }
}

static void kv_cards_page_batch_start(GtkWidget *widget, const char *action_name,
                                      GVariant *param)
{
    KvCardsPage *self = KV_CARDS_PAGE(widget);
    BatchData *b;

    if (self->busy || self->batch_file == NULL || self->session == NULL)
        return;
    b = g_new0(BatchData, 1);
    b->page = g_object_ref(self);
    b->session = g_object_ref(self->session);
    b->csv = g_strdup(self->batch_file);
    self->batch_cancel = g_cancellable_new();
    b->cancellable = g_object_ref(self->batch_cancel);
    self->busy = TRUE;
    g_list_store_remove_all(self->batch_rows);
    gtk_progress_bar_set_fraction(self->batch_progress, 0);
    gtk_label_set_label(self->batch_prompt_label, _("Starting the batch…"));
    update_actions(self);
    kv_session_run_async(self->session, batch_in_worker, b, (GDestroyNotify)batch_data_free,
                         (GDestroyNotify)g_ptr_array_unref, NULL, on_batch_done_cb,
                         g_object_ref(self));
}

static void kv_cards_page_batch_cancel(GtkWidget *widget, const char *action_name,
                                       GVariant *param)
{
    KvCardsPage *self = KV_CARDS_PAGE(widget);

    if (self->batch_cancel != NULL) {
        g_cancellable_cancel(self->batch_cancel);
        gtk_label_set_label(self->batch_prompt_label,
                            _("Stopping after the card in hand…"));
    }
}

static void on_batch_file_chosen(GtkWidget *widget, const char *path)
{
    kv_cards_page_set_batch_file(KV_CARDS_PAGE(widget), path);
}

static void kv_cards_page_choose_file(GtkWidget *widget, const char *action_name,
                                      GVariant *param)
{
    kv_choose_file(widget, _("Choose the Batch File"), GTK_FILE_CHOOSER_ACTION_OPEN, _("_Open"),
                   TRUE, on_batch_file_chosen);
}

/* ---- the result table ------------------------------------------------------------ */

static void on_cell_setup_cb(GtkSignalListItemFactory *factory, GtkListItem *item,
                             gpointer data)
{
    GtkWidget *label = gtk_label_new(NULL);

    gtk_label_set_xalign(GTK_LABEL(label), 0);
    gtk_label_set_wrap(GTK_LABEL(label), TRUE);
    gtk_list_item_set_child(item, label);
}

static void on_cell_bind_cb(GtkSignalListItemFactory *factory, GtkListItem *item,
                            gpointer column)
{
    KvBatchItem *row = gtk_list_item_get_item(item);
    GtkWidget *label = gtk_list_item_get_child(item);
    g_autofree char *text = kv_batch_item_column(row, GPOINTER_TO_UINT(column));

    gtk_label_set_label(GTK_LABEL(label), text);
    if (GPOINTER_TO_UINT(column) == 3) {
        gtk_widget_remove_css_class(label, "error");
        if (!kv_batch_item_get_ok(row))
            gtk_widget_add_css_class(label, "error");
    }
}

static void add_column(KvCardsPage *self, const char *title, guint column, gboolean expand)
{
    GtkListItemFactory *factory = gtk_signal_list_item_factory_new();
    GtkColumnViewColumn *col;

    g_signal_connect(factory, "setup", G_CALLBACK(on_cell_setup_cb), NULL);
    g_signal_connect(factory, "bind", G_CALLBACK(on_cell_bind_cb), GUINT_TO_POINTER(column));
    col = gtk_column_view_column_new(title, factory);
    gtk_column_view_column_set_expand(col, expand);
    gtk_column_view_append_column(self->batch_view, col);
    g_object_unref(col);
}

/* ---- GObject ------------------------------------------------------------------------- */

static void kv_cards_page_dispose(GObject *object)
{
    KvCardsPage *self = KV_CARDS_PAGE(object);

    if (self->batch_cancel != NULL)
        g_cancellable_cancel(self->batch_cancel);
    g_clear_object(&self->batch_cancel);
    kv_widget_dispose_children(GTK_WIDGET(self), KV_TYPE_CARDS_PAGE);
    g_clear_object(&self->session);
    g_clear_object(&self->batch_rows);
    g_clear_pointer(&self->batch_file, g_free);
    G_OBJECT_CLASS(kv_cards_page_parent_class)->dispose(object);
}

static void kv_cards_page_class_init(KvCardsPageClass *klass)
{
    GtkWidgetClass *widget_class = GTK_WIDGET_CLASS(klass);

    kv_widget_class_set_template(widget_class, kv_cards_page_dispose, GTK_TYPE_BIN_LAYOUT,
                                 "kv-cards-page.ui");
    gtk_widget_class_bind_template_child(widget_class, KvCardsPage, issue_meter_row);
    gtk_widget_class_bind_template_child(widget_class, KvCardsPage, replace_meter_row);
    gtk_widget_class_bind_template_child(widget_class, KvCardsPage, reason_row);
    gtk_widget_class_bind_template_child(widget_class, KvCardsPage, single_result_label);
    gtk_widget_class_bind_template_child(widget_class, KvCardsPage, batch_file_row);
    gtk_widget_class_bind_template_child(widget_class, KvCardsPage, batch_prompt_label);
    gtk_widget_class_bind_template_child(widget_class, KvCardsPage, batch_progress);
    gtk_widget_class_bind_template_child(widget_class, KvCardsPage, batch_view);

    gtk_widget_class_install_action(widget_class, "cards.issue", NULL, kv_cards_page_issue);
    gtk_widget_class_install_action(widget_class, "cards.replace", NULL, kv_cards_page_replace);
    gtk_widget_class_install_action(widget_class, "cards.choose-batch-file", NULL,
                                    kv_cards_page_choose_file);
    gtk_widget_class_install_action(widget_class, "cards.batch-start", NULL,
                                    kv_cards_page_batch_start);
    gtk_widget_class_install_action(widget_class, "cards.batch-cancel", NULL,
                                    kv_cards_page_batch_cancel);
}

/* Enter in a meter field runs its operation. */
static void on_meter_activated_cb(AdwEntryRow *row, const char *action)
{
    gtk_widget_activate_action(GTK_WIDGET(row), action, NULL);
}

static void kv_cards_page_init(KvCardsPage *self)
{
    g_autoptr(GtkNoSelection) selection = NULL;

    gtk_widget_init_template(GTK_WIDGET(self));
    self->batch_rows = g_list_store_new(KV_TYPE_BATCH_ITEM);
    selection = gtk_no_selection_new(G_LIST_MODEL(g_object_ref(self->batch_rows)));
    gtk_column_view_set_model(self->batch_view, GTK_SELECTION_MODEL(selection));
    add_column(self, _("Line"), 0, FALSE);
    add_column(self, _("Meter"), 1, FALSE);
    add_column(self, _("Card"), 2, FALSE);
    add_column(self, _("Result"), 3, TRUE);
    gtk_label_set_label(self->batch_prompt_label, _("Choose a CSV file to start."));
    g_signal_connect(self->issue_meter_row, "entry-activated",
                     G_CALLBACK(on_meter_activated_cb), (gpointer) "cards.issue");
    g_signal_connect(self->replace_meter_row, "entry-activated",
                     G_CALLBACK(on_meter_activated_cb), (gpointer) "cards.replace");
    update_actions(self);
}

void kv_cards_page_set_session(KvCardsPage *self, KvSession *session)
{
    g_return_if_fail(KV_IS_CARDS_PAGE(self));
    g_set_object(&self->session, session);
}

void kv_cards_page_set_batch_file(KvCardsPage *self, const char *path)
{
    g_return_if_fail(KV_IS_CARDS_PAGE(self));

    g_free(self->batch_file);
    self->batch_file = g_strdup(path);
    adw_action_row_set_subtitle(self->batch_file_row, path != NULL ? path : _("None chosen"));
    update_actions(self);
}
