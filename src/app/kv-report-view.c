/* kv-report-view.c - a core report laid out as a table.
 *
 * The core writes its reports as KvTable: a title, summary lines (key and
 * value) and rows of text.  Here the cells become what a person reads: money
 * with its currency, numbers aligned on the right, a Total row, the cash
 * difference marked when the drawer is short, and the audit head as a short
 * fingerprint (the PDF prints it whole).  The screen and the PDF take their
 * texts from the same functions. */
#define G_LOG_DOMAIN "kv-report-view"

#include "config.h"

#include <stdio.h>
#include <string.h>

#include "kv-report-view.h"
/* _() and C_() in the core's domain: a statement's language (kv-language.h) too. */
#include "kv-i18n.h"

#define AUDIT_HEAD_KEY "audit head"
#define DIFFERENCE_KEY "difference"
#define FINGERPRINT_HEX 8

gboolean kv_report_key_is_money(const char *key)
{
    static const char *const money[] = {
        /* columns */
        "amount", "energy net", "VAT", "fixed", "debt", "cash", "mobile money", "bank card",
        "bank transfer", "debt recovered", "paid", "debt balance",
        /* summary lines */
        "amount taken", "fixed charges", "paid cash", "paid mobile money", "paid bank card",
        "paid bank transfer", "opening float", "expected cash", "counted cash", DIFFERENCE_KEY,
        "total completed", "opening debt", "closing debt", NULL
    };
    return key != NULL && g_strv_contains(money, key);
}

char *kv_report_fingerprint(const char *head)
{
    g_autoptr(GString) s = g_string_new(NULL);
    const char *hash = head != NULL ? strchr(head, '-') : NULL;

    /* "33-f6de6cd3…": the head's sequence number stays whole. */
    hash = hash != NULL ? hash + 1 : head;
    if (head == NULL || strlen(hash) <= FINGERPRINT_HEX)
        return g_strdup(head != NULL ? head : "");
    g_string_append_len(s, head, hash - head);
    for (guint i = 0; i < FINGERPRINT_HEX; i++) {
        if (i > 0 && i % 4 == 0)
            g_string_append_c(s, ' ');
        g_string_append_c(s, hash[i]);
    }
    g_string_append(s, "…");
    return g_string_free(g_steal_pointer(&s), FALSE);
}

static char *with_currency(const char *number, const char *currency)
{
    if (currency == NULL || *currency == '\0' || *number == '\0')
        return g_strdup(number);
    /* Translators: an amount of money and its currency code, "12.50 KES" */
    return g_strdup_printf(_("%s %s"), number, currency);
}

const char *kv_report_summary_label(const KvTable *t, guint i)
{
    return C_("report summary", t->summary_keys->pdata[i]);
}

char *kv_report_summary_text(const KvTable *t, guint i, const char *currency,
                             KvReportViewFlags flags)
{
    const char *key = t->summary_keys->pdata[i], *value = t->summary_values->pdata[i];

    if (g_strcmp0(key, AUDIT_HEAD_KEY) == 0 && !(flags & KV_REPORT_VIEW_FULL_HEAD))
        return kv_report_fingerprint(value);
    if (kv_report_key_is_money(key))
        return with_currency(value, currency);
    return g_strdup(value);
}

int kv_report_summary_sign(const KvTable *t, guint i)
{
    const char *value = t->summary_values->pdata[i];

    if (g_strcmp0(t->summary_keys->pdata[i], DIFFERENCE_KEY) != 0)
        return 0;
    if (value[0] == '-')
        return -1;
    return strspn(value, "0.,") == strlen(value) ? 0 : 1;
}

gboolean kv_report_is_number(const char *s)
{
    if (*s == '-')
        s++;
    return *s != '\0' && strspn(s, "0123456789.,") == strlen(s);
}

gboolean kv_report_column_is_numeric(const KvTable *t, guint c)
{
    for (guint r = 0; r < t->rows->len; r++) {
        char **row = t->rows->pdata[r];
        if (!kv_report_is_number(row[c]))
            return FALSE;
    }
    return t->rows->len > 0;
}

/* The digits after the decimal point of a cell ("12.50": 2). */
static guint cell_digits(const char *s)
{
    const char *dot = strchr(s, '.');
    return dot != NULL ? (guint)strlen(dot + 1) : 0;
}

/* The Total of a numeric column, as the column writes its numbers. */
static char *column_total(const KvTable *t, guint c)
{
    guint digits = 0;
    gint64 sum = 0;

    for (guint r = 0; r < t->rows->len; r++)
        digits = MAX(digits, cell_digits(((char **)t->rows->pdata[r])[c]));
    for (guint r = 0; r < t->rows->len; r++) {
        gint64 v = 0;
        const char *cell = ((char **)t->rows->pdata[r])[c];
        gboolean minus = cell[0] == '-';

        if (kv_decimal_parse(cell + minus, digits, 0, &v, NULL))
            sum += minus ? -v : v;
    }
    return kv_decimal_format(sum, digits);
}

char *kv_report_cell_text(const KvTable *t, guint r, guint c, const char *currency,
                          KvReportViewFlags flags)
{
    g_autofree char *number = NULL;

    if (r >= t->rows->len) {
        if (c == 0)
            return g_strdup(C_("report", "Total"));
        if (!kv_report_column_is_numeric(t, c))
            return g_strdup("");
        number = column_total(t, c);
    } else {
        number = g_strdup(((char **)t->rows->pdata[r])[c]);
    }
    if (kv_report_key_is_money(t->keys[c]))
        return with_currency(number, currency);
    return g_steal_pointer(&number);
}

void kv_report_drop_future_days(KvTable *t, gint64 now)
{
    g_autoptr(GDateTime) today = g_date_time_new_from_unix_local(now);
    g_autofree char *today_s = g_date_time_format(today, "%Y-%m-%d");

    for (guint r = t->rows->len; r-- > 0;) {
        char **row = t->rows->pdata[r];
        if (strlen(row[0]) == 10 && g_strcmp0(row[0], today_s) > 0)
            g_ptr_array_remove_index(t->rows, r);
    }
}

/* ---- made off the main thread ---- */

static KvTable *open_shift_report(KvStation *st, GError **error)
{
    GError *local = NULL;
    g_autoptr(KvShift) shift = kv_shift_current(st, &local);

    if (shift != NULL)
        return kv_report_shift(st, shift->id, error);
    if (local != NULL)
        g_propagate_error(error, local);
    else
        g_set_error_literal(error, KV_CORE_ERROR, KV_CORE_ERROR_STATE,
                            _("You have no open shift: there is nothing to report."));
    return NULL;
}

/* data: (kind, arg), a GVariant "(ux)". */
static gpointer report_in_worker(KvSession *session, KvStation *st, gpointer data,
                                 GCancellable *cancellable, GError **error)
{
    guint32 kind = 0;
    gint64 arg = 0;

    g_variant_get(data, "(ux)", &kind, &arg);
    switch ((KvReportKind)kind) {
    case KV_REPORT_Z:
        return open_shift_report(st, error);
    case KV_REPORT_SHIFT:
        return kv_report_shift(st, arg, error);
    case KV_REPORT_DAILY:
        return kv_report_daily(st, arg, error);
    default:
        return kv_report_meter(st, (guint32)arg, error);
    }
}

void kv_report_run(KvSession *session, KvReportKind kind, gint64 arg,
                   GAsyncReadyCallback callback, gpointer user_data)
{
    kv_session_run_async(session, report_in_worker,
                         g_variant_ref_sink(g_variant_new("(ux)", (guint32)kind, arg)),
                         (GDestroyNotify)g_variant_unref, (GDestroyNotify)kv_table_free, NULL,
                         callback, user_data);
}

/* ---- widgets ---- */

static GtkWidget *cell_label(const char *text, gboolean numeric)
{
    GtkWidget *l = gtk_label_new(text);

    gtk_label_set_xalign(GTK_LABEL(l), numeric ? 1.0f : 0.0f);
    gtk_label_set_selectable(GTK_LABEL(l), TRUE);
    gtk_label_set_wrap(GTK_LABEL(l), FALSE);
    if (numeric)
        gtk_widget_add_css_class(l, "numeric");
    return l;
}

/* A summary label as a heading: its first letter a capital. */
static char *capitalised(const char *s)
{
    gunichar first = g_utf8_get_char(s);
    char buf[8] = { 0 };

    g_unichar_to_utf8(g_unichar_totitle(first), buf);
    return g_strconcat(buf, g_utf8_next_char(s), NULL);
}

static void emphasise(GtkWidget *label, int sign)
{
    gtk_widget_add_css_class(label, "heading");
    gtk_widget_add_css_class(label, sign < 0 ? "error" : sign > 0 ? "warning" : "success");
}

GtkWidget *kv_report_view_new(const KvTable *t, const char *currency, KvReportViewFlags flags)
{
    GtkWidget *box = gtk_box_new(GTK_ORIENTATION_VERTICAL, 12);
    GtkWidget *title = gtk_label_new(t->title);
    GtkWidget *summary = gtk_grid_new();
    GHashTable *values = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    guint ncol = g_strv_length(t->columns);
    guint nrows = t->rows->len + ((flags & KV_REPORT_VIEW_TOTALS) && t->rows->len > 0 ? 1 : 0);
    GPtrArray *cells = g_ptr_array_new();

    gtk_label_set_xalign(GTK_LABEL(title), 0);
    gtk_label_set_wrap(GTK_LABEL(title), TRUE);
    gtk_widget_add_css_class(title, "title-4");
    gtk_box_append(GTK_BOX(box), title);

    gtk_grid_set_column_spacing(GTK_GRID(summary), 24);
    gtk_grid_set_row_spacing(GTK_GRID(summary), 2);
    for (guint i = 0; i < t->summary_keys->len; i++) {
        const char *key = t->summary_keys->pdata[i];
        g_autofree char *text = kv_report_summary_text(t, i, currency, flags);
        g_autofree char *label = capitalised(kv_report_summary_label(t, i));
        GtkWidget *name = cell_label(label, FALSE);
        GtkWidget *value = cell_label(text, kv_report_is_number(t->summary_values->pdata[i]) ||
                                                kv_report_key_is_money(key));

        gtk_widget_add_css_class(name, "dim-label");
        gtk_accessible_update_property(GTK_ACCESSIBLE(value), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       kv_report_summary_label(t, i), -1);
        if (g_strcmp0(key, AUDIT_HEAD_KEY) == 0)
            gtk_widget_set_tooltip_text(value, t->summary_values->pdata[i]);
        if (g_strcmp0(key, DIFFERENCE_KEY) == 0) {
            int sign = kv_report_summary_sign(t, i);

            emphasise(value, sign);
            if (sign < 0) {
                g_autofree char *said = g_strdup_printf(_("%s (cash short)"), text);
                gtk_label_set_label(GTK_LABEL(value), said);
            }
        }
        if (kv_report_key_is_money(key) || g_str_has_suffix(key, "kWh") ||
            g_str_has_prefix(key, "completed"))
            gtk_widget_set_halign(value, GTK_ALIGN_END);
        else
            gtk_label_set_wrap(GTK_LABEL(value), TRUE);
        gtk_grid_attach(GTK_GRID(summary), name, 0, (int)i, 1, 1);
        gtk_grid_attach(GTK_GRID(summary), value, 1, (int)i, 1, 1);
        g_hash_table_insert(values, g_strdup(key), value);
    }
    if (t->rows->len > 0) {
        GtkWidget *grid = gtk_grid_new();
        GtkWidget *scroll = gtk_scrolled_window_new();

        gtk_grid_set_column_spacing(GTK_GRID(grid), 18);
        gtk_grid_set_row_spacing(GTK_GRID(grid), 4);
        for (guint c = 0; c < ncol; c++) {
            gboolean numeric = kv_report_column_is_numeric(t, c);
            g_autofree char *name = capitalised(t->columns[c]);
            g_autofree char *head = kv_report_key_is_money(t->keys[c]) && currency && *currency
                                        ? g_strdup_printf("%s (%s)", name, currency)
                                        : g_strdup(name);
            GtkWidget *h = cell_label(head, numeric);

            gtk_widget_add_css_class(h, "heading");
            gtk_grid_attach(GTK_GRID(grid), h, (int)c, 0, 1, 1);
        }
        for (guint r = 0; r < nrows; r++) {
            for (guint c = 0; c < ncol; c++) {
                g_autofree char *text = kv_report_cell_text(t, r, c, currency, flags);
                GtkWidget *l = cell_label(text, kv_report_column_is_numeric(t, c));

                if (r == t->rows->len)
                    gtk_widget_add_css_class(l, "heading");
                gtk_grid_attach(GTK_GRID(grid), l, (int)c, (int)r + 1, 1, 1);
                g_ptr_array_add(cells, l);
            }
        }
        gtk_scrolled_window_set_policy(GTK_SCROLLED_WINDOW(scroll), GTK_POLICY_AUTOMATIC,
                                       GTK_POLICY_NEVER);
        gtk_scrolled_window_set_propagate_natural_height(GTK_SCROLLED_WINDOW(scroll), TRUE);
        gtk_scrolled_window_set_child(GTK_SCROLLED_WINDOW(scroll), grid);
        gtk_accessible_update_property(GTK_ACCESSIBLE(grid), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                       t->title, -1);
        gtk_box_append(GTK_BOX(box), scroll);
    }
    /* The rows first, then the totals and the rest of the summary. */
    gtk_box_append(GTK_BOX(box), summary);
    g_object_set_data_full(G_OBJECT(box), "kv-report-values", values,
                           (GDestroyNotify)g_hash_table_unref);
    g_object_set_data_full(G_OBJECT(box), "kv-report-cells", cells,
                           (GDestroyNotify)g_ptr_array_unref);
    g_object_set_data(G_OBJECT(box), "kv-report-columns", GUINT_TO_POINTER(ncol));
    return box;
}

GtkLabel *kv_report_view_get_value(GtkWidget *view, const char *key)
{
    GHashTable *values = g_object_get_data(G_OBJECT(view), "kv-report-values");

    return values != NULL ? g_hash_table_lookup(values, key) : NULL;
}

GtkLabel *kv_report_view_get_cell(GtkWidget *view, guint r, guint c)
{
    GPtrArray *cells = g_object_get_data(G_OBJECT(view), "kv-report-cells");
    guint ncol = GPOINTER_TO_UINT(g_object_get_data(G_OBJECT(view), "kv-report-columns"));
    guint i = r * ncol + c;

    return cells != NULL && c < ncol && i < cells->len ? g_ptr_array_index(cells, i) : NULL;
}

/* The day typed (YYYY-MM-DD; empty: today), at noon local time. */
gboolean kv_report_parse_day(const char *text, gint64 *day)
{
    int y, m, d;
    char end;
    g_autoptr(GDateTime) t = NULL;

    if (*text == '\0') {
        *day = kv_now();
        return TRUE;
    }
    if (sscanf(text, "%4d-%2d-%2d%c", &y, &m, &d, &end) != 3 ||
        (t = g_date_time_new_local(y, m, d, 12, 0, 0)) == NULL)
        return FALSE;
    *day = g_date_time_to_unix(t);
    return TRUE;
}
