/* kv-meter-model.c - the meter firmware on the host board, as a GObject. */
#define G_LOG_DOMAIN "kilovend-meter"

#include "kv-meter-model.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <locale.h>

#include "evlog.h"
#include "host_board.h"
#include "host_files.h"
#include "kv_err.h"
#include "kv_util.h"
#include "supply.h"
#include "vcard-store.h"

/* The clock ticks ten times a real second. */
#define TICK_MS 100
/* Time the virtual reader needs to let the card go (it saves the card file
 * first if the station wrote to it) before the meter may read the file. */
#define HANDOVER_MS 400
/* The card slot's wire timing: the slowest processing the datasheet
 * allows, as kilovend-meter-sim uses. */
#define PROC_CLOCKS 301

struct _KvMeterModel {
    GObject parent_instance;

    char *state_dir;
    uint8_t provision[KV_PROVISION_LEN];
    gboolean have_provision;
    host_board *board;            /* large: allocated once */
    unsigned nv_saved_at;         /* board->nv_bytes_written at the last save */

    /* the card */
    char *card_path;
    char *slot_path;   /* the file of the card in the meter's slot */
    char *vcard_control;
    KvCardPlace place;
    guint handover_id;

    /* the plant and the clock */
    int32_t watts[3];
    guint speed;
    guint tick_id;
    guint64 ms_owed;              /* meter ms not yet run */
    guint64 clock_s;

    /* what the log has already told */
    unsigned seen_lamps;
    int seen_relay;
    char seen_supply[16];
    uint8_t seen_events[METER_EVENTS];
};

G_DEFINE_TYPE(KvMeterModel, kv_meter_model, G_TYPE_OBJECT)
G_DEFINE_QUARK(kv-meter-error-quark, kv_meter_error)

enum { SIGNAL_CHANGED, SIGNAL_CARD_RESULT, SIGNAL_LOG, N_SIGNALS };
static guint signals[N_SIGNALS];

/* ---- helpers ------------------------------------------------------------ */

static void emit_log(KvMeterModel *self, const char *fmt, ...) G_GNUC_PRINTF(2, 3);

static void emit_log(KvMeterModel *self, const char *fmt, ...)
{
    va_list ap;
    g_autofree char *msg = NULL;
    g_autofree char *line = NULL;
    guint64 s = self->clock_s;

    va_start(ap, fmt);
    msg = g_strdup_vprintf(fmt, ap);
    va_end(ap);
    /* Stamped with the meter's clock: that is the time the event happened
     * for the meter, whatever the speed. */
    line = g_strdup_printf("%03" G_GUINT64_FORMAT ":%02u:%02u  %s", s / 3600,
                           (unsigned)(s / 60 % 60), (unsigned)(s % 60), msg);
    g_signal_emit(self, signals[SIGNAL_LOG], 0, line);
}

/* The supply states of supply_name() in the reader's language. */
static const struct {
    const char *name;
    const char *words;
} supply_words[] = {
    {"unprovisioned", NC_("supply state", "unprovisioned")},
    {"over-power", NC_("supply state", "over-power")},
    {"cut-off", NC_("supply state", "cut-off")},
    {"tripped", NC_("supply state", "tripped")},
    {"reclosed", NC_("supply state", "reclosed")},
    {"emergency", NC_("supply state", "emergency")},
    {"normal", NC_("supply state", "normal")},
};

const char *kv_meter_supply_words(const char *supply)
{
    for (gsize i = 0; i < G_N_ELEMENTS(supply_words); i++)
        if (g_strcmp0(supply, supply_words[i].name) == 0)
            return g_dpgettext2(NULL, "supply state", supply_words[i].words);
    return supply;
}

char *kv_meter_format_decimal(gint64 value, guint places)
{
    guint64 a = (guint64)(value < 0 ? -value : value), unit = 1;
    const char *point = localeconv()->decimal_point;

    for (guint i = 0; i < places; i++)
        unit *= 10;
    return g_strdup_printf("%s%" G_GUINT64_FORMAT "%s%0*" G_GUINT64_FORMAT, value < 0 ? "-" : "",
                           a / unit, point && *point ? point : ".", (int)places, a % unit);
}

/* The memories into STATE_DIR (nv.bin, secure.bin: host_files.h),
 * atomically, when the meter wrote to them.  A leftover ram.bin of
 * kilovend-meter-sim (its RAM kept between its commands) no longer matches
 * them: it goes, so the simulator powers up from them as a meter would. */
static void save_nv(KvMeterModel *self)
{
    g_autofree char *ram = NULL;
    char err[4300];
    unsigned written = self->board->nv_bytes_written + self->board->sec_bytes_written;

    if (written == self->nv_saved_at)
        return;
    if (host_board_save_files(self->board, self->state_dir, err, sizeof err) != 0) {
        emit_log(self, "%s", err);
        return;
    }
    self->nv_saved_at = written;
    ram = g_build_filename(self->state_dir, "ram.bin", NULL);
    g_unlink(ram);
}

/* Tells the log what changed since it last looked, then the views. */
static void notify_changed(KvMeterModel *self)
{
    host_board *b = self->board;
    const meter *m = &b->m;
    int relay = host_board_relay_closed(b);
    const char *supply = supply_name(m);
    unsigned fresh = 0;

    /* New events: the log is newest first, so find how far the entries we
     * saw last time have moved down. */
    while (fresh < METER_EVENTS &&
           memcmp(m->st.events + fresh, self->seen_events, METER_EVENTS - fresh) != 0)
        fresh++;
    for (unsigned i = fresh; i-- > 0;) {
        char name[16];
        if (m->st.events[i])
            emit_log(self, _("meter event: %s"), evlog_name(m->st.events[i], name));
    }
    memcpy(self->seen_events, m->st.events, METER_EVENTS);

    if (strcmp(supply, self->seen_supply) != 0) {
        emit_log(self, _("supply %s"), kv_meter_supply_words(supply));
        g_strlcpy(self->seen_supply, supply, sizeof self->seen_supply);
    }
    if (relay != self->seen_relay) {
        if (!relay)
            emit_log(self, "%s", _("relay open"));
        else if (b->p.relay_stuck && !b->relay_cmd)
            emit_log(self, "%s", _("relay closed (contacts welded: commanded open)"));
        else
            emit_log(self, "%s", _("relay closed"));
        self->seen_relay = relay;
    }
    if (b->lamps != self->seen_lamps) {
        unsigned on = b->lamps & ~self->seen_lamps, off = self->seen_lamps & ~b->lamps;
        if (on & METER_LAMP_RED)
            emit_log(self, "%s", _("red lamp on: credit below the alarm level"));
        if (on & METER_LAMP_YELLOW)
            emit_log(self, "%s", _("yellow lamp on: credit below the pre-trip level"));
        if (off & METER_LAMP_RED)
            emit_log(self, "%s", _("red lamp off"));
        if (off & METER_LAMP_YELLOW)
            emit_log(self, "%s", _("yellow lamp off"));
        self->seen_lamps = b->lamps;
    }
    save_nv(self);
    g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
}

/* ---- the card ----------------------------------------------------------- */

/* One line into the vcard's control FIFO.  Non-blocking open: with no
 * vcard reading it the open fails at once (ENXIO) instead of hanging. */
static gboolean vcard_command(KvMeterModel *self, const char *cmd, GError **error)
{
    g_autofree char *line = g_strdup_printf("%s\n", cmd);
    size_t len = strlen(line);
    int fd = open(self->vcard_control, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
    ssize_t n;

    if (fd < 0) {
        g_set_error(error, KV_METER_ERROR, KV_METER_ERROR_VCARD,
                    _("The station's virtual reader does not answer on %s (%s): start "
                      "kilovend-vcard with --control %s, or run without --vcard-control"),
                    self->vcard_control, g_strerror(errno), self->vcard_control);
        return FALSE;
    }
    n = write(fd, line, len);
    close(fd);
    if (n != (ssize_t)len) {
        g_set_error(error, KV_METER_ERROR, KV_METER_ERROR_VCARD,
                    _("Could not send '%s' to the virtual reader on %s"), cmd, self->vcard_control);
        return FALSE;
    }
    return TRUE;
}

/* The card the station's reader holds: the station writes its file's
 * path beside the virtual reader's control FIFO when it puts another card
 * in (kv_demo_insert_card); without that, the card of --card.  The meter
 * must get the card that was at the counter, whichever meter it is for,
 * and tell a card of another meter by itself. */
static char *reader_card_path(KvMeterModel *self)
{
    g_autofree char *pointer = NULL;
    g_autofree char *text = NULL;

    if (self->vcard_control == NULL)
        return g_strdup(self->card_path);
    pointer = g_strconcat(self->vcard_control, ".card", NULL);
    if (g_file_get_contents(pointer, &text, NULL, NULL) && *g_strstrip(text) != '\0')
        return g_strdup(text);
    return g_strdup(self->card_path);
}

/* The card file into the meter's slot: the meter reads it at once. */
static void card_into_meter(KvMeterModel *self)
{
    g_autoptr(GError) error = NULL;
    sle4442 card;
    kv_identity id;
    int rc, user;
    guint32 loaded_before = self->board->m.st.cumulative_loaded;
    g_autofree char *before = kv_meter_format_decimal(self->board->m.st.remaining, 2);
    g_autofree char *after = NULL;
    g_autofree char *text = NULL;

    g_free(self->slot_path);
    self->slot_path = reader_card_path(self);
    if (!vcard_store_load(self->slot_path, &card, &error)) {
        self->place = KV_CARD_AT_STATION;
        text = g_strdup_printf(_("card not inserted: %s"), error->message);
        emit_log(self, "%s", text);
        if (self->vcard_control)
            vcard_command(self, "insert", NULL);
        g_signal_emit(self, signals[SIGNAL_CARD_RESULT], 0, -1, text);
        notify_changed(self);
        return;
    }
    user = kv_card_identity(card.main, &id) == KV_OK && id.card_type == KV_CARD_USER;
    rc = host_board_insert(self->board, &card);
    /* What the meter wrote (the readback) goes to the file at once: the
     * card stays in the slot, and the file is the card. */
    card = self->board->chip;
    if (!vcard_store_save(self->slot_path, &card, &error))
        emit_log(self, _("cannot write the card file back: %s"), error->message);
    self->place = KV_CARD_IN_METER;
    after = kv_meter_format_decimal(self->board->m.st.remaining, 2);
    if (rc == 0 && user && self->board->m.st.cumulative_loaded == loaded_before)
        /* The user's own card with its credit already in the meter: a
         * balance check (or the reclose of a pre-trip), nothing to load. */
        text = g_strdup_printf(_("card read: no new credit on it (%s kWh remaining)"), after);
    else if (rc == 0)
        text = g_strdup_printf(_("card accepted: %s kWh -> %s kWh"), before, after);
    else
        /* TRANSLATORS: "Err %02d" is the code the meter's display shows: keep it. */
        text = g_strdup_printf(_("card refused, Err %02d: %s"), rc, kv_strerror(rc));
    emit_log(self, "%s", text);
    g_signal_emit(self, signals[SIGNAL_CARD_RESULT], 0, rc, text);
    notify_changed(self);
}

static gboolean on_handover_done_cb(gpointer data)
{
    KvMeterModel *self = data;

    self->handover_id = 0;
    card_into_meter(self);
    return G_SOURCE_REMOVE;
}

/* ---- the clock ---------------------------------------------------------- */

static gboolean on_tick_cb(gpointer data)
{
    KvMeterModel *self = data;
    guint32 seconds;

    self->ms_owed += (guint64)TICK_MS * self->speed;
    seconds = (guint32)(self->ms_owed / 1000);
    self->ms_owed %= 1000;
    if (seconds)
        kv_meter_model_advance(self, seconds);
    return G_SOURCE_CONTINUE;
}

/* ---- GObject ------------------------------------------------------------ */

static void kv_meter_model_dispose(GObject *object)
{
    KvMeterModel *self = KV_METER_MODEL(object);

    g_clear_handle_id(&self->tick_id, g_source_remove);
    g_clear_handle_id(&self->handover_id, g_source_remove);
    if (self->board) {
        /* The window closes: the supply fails.  The brown-out save keeps
         * the energy measured since the last record. */
        meter_power_fail(&self->board->m);
        save_nv(self);
        meter_wipe(&self->board->m);
        kv_wipe(self->provision, sizeof self->provision);
        g_clear_pointer(&self->board, g_free);
    }
    G_OBJECT_CLASS(kv_meter_model_parent_class)->dispose(object);
}

static void kv_meter_model_finalize(GObject *object)
{
    KvMeterModel *self = KV_METER_MODEL(object);

    g_free(self->state_dir);
    g_free(self->card_path);
    g_free(self->slot_path);
    g_free(self->vcard_control);
    G_OBJECT_CLASS(kv_meter_model_parent_class)->finalize(object);
}

static void kv_meter_model_class_init(KvMeterModelClass *klass)
{
    GObjectClass *object_class = G_OBJECT_CLASS(klass);

    object_class->dispose = kv_meter_model_dispose;
    object_class->finalize = kv_meter_model_finalize;

    signals[SIGNAL_CHANGED] = g_signal_new("changed", G_TYPE_FROM_CLASS(klass),
                                           G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                           G_TYPE_NONE, 0);
    signals[SIGNAL_CARD_RESULT] = g_signal_new("card-result", G_TYPE_FROM_CLASS(klass),
                                               G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                                               G_TYPE_NONE, 2, G_TYPE_INT, G_TYPE_STRING);
    signals[SIGNAL_LOG] = g_signal_new("log", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
                                       NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
}

static void kv_meter_model_init(KvMeterModel *self)
{
    self->seen_relay = -1;
    self->place = KV_CARD_AT_STATION;
}

/* ---- public API --------------------------------------------------------- */

KvMeterModel *kv_meter_model_new(const char *state_dir, const char *config_path, GError **error)
{
    g_autoptr(KvMeterModel) self = g_object_new(KV_TYPE_METER_MODEL, NULL);
    g_autofree char *prov = NULL;
    char err[4300];
    gsize len = 0;
    GError *local = NULL;

    if (g_mkdir_with_parents(state_dir, 0700) != 0) {
        g_set_error(error, KV_METER_ERROR, KV_METER_ERROR_STATE,
                    _("Cannot create the meter's state directory %s: %s"), state_dir,
                    g_strerror(errno));
        return NULL;
    }
    self->state_dir = g_strdup(state_dir);

    if (!g_file_get_contents(config_path, &prov, &len, &local)) {
        g_set_error(error, KV_METER_ERROR, KV_METER_ERROR_CONFIG,
                    _("Cannot read the provisioning block: %s (make one with "
                      "kilovendctl meter provision --meter N --out FILE)"),
                    local->message);
        g_error_free(local);
        return NULL;
    }
    if (len == KV_PROVISION_LEN) {
        memcpy(self->provision, prov, KV_PROVISION_LEN);
        self->have_provision = TRUE;
    }
    kv_wipe(prov, len);

    self->board = g_new0(host_board, 1);
    host_board_init(self->board, PROC_CLOCKS);
    if (host_board_load_files(self->board, state_dir, err, sizeof err) < 0) {
        g_set_error(error, KV_METER_ERROR, KV_METER_ERROR_STATE, "%s", err);
        return NULL;
    }
    /* An invalid block leaves the meter showing UnProG, as a real meter
     * with a bad block does; the window shows it. */
    host_board_boot(self->board, self->have_provision ? self->provision : NULL);
    notify_changed(self);
    return g_steal_pointer(&self);
}

void kv_meter_model_set_card(KvMeterModel *self, const char *card_path, const char *vcard_control)
{
    g_return_if_fail(KV_IS_METER_MODEL(self));
    g_free(self->card_path);
    g_free(self->vcard_control);
    self->card_path = g_strdup(card_path);
    self->vcard_control = vcard_control && *vcard_control ? g_strdup(vcard_control) : NULL;
}

gboolean kv_meter_model_insert_card(KvMeterModel *self, GError **error)
{
    g_return_val_if_fail(KV_IS_METER_MODEL(self), FALSE);
    if (!self->card_path) {
        g_set_error(error, KV_METER_ERROR, KV_METER_ERROR_CARD,
                    _("No card to insert: start the meter window with --card FILE"));
        return FALSE;
    }
    if (self->place != KV_CARD_AT_STATION) {
        g_set_error(error, KV_METER_ERROR, KV_METER_ERROR_SLOT,
                    _("The card is already in the meter: take it out first"));
        return FALSE;
    }
    if (self->vcard_control) {
        if (!vcard_command(self, "remove", error))
            return FALSE;
        self->place = KV_CARD_MOVING;
        emit_log(self, "%s", _("card taken out of the station's reader"));
        self->handover_id = g_timeout_add(HANDOVER_MS, on_handover_done_cb, self);
        g_signal_emit(self, signals[SIGNAL_CHANGED], 0);
        return TRUE;
    }
    card_into_meter(self);
    return TRUE;
}

gboolean kv_meter_model_remove_card(KvMeterModel *self, GError **error)
{
    g_autoptr(GError) local = NULL;
    sle4442 card;

    g_return_val_if_fail(KV_IS_METER_MODEL(self), FALSE);
    if (self->place != KV_CARD_IN_METER) {
        g_set_error(error, KV_METER_ERROR, KV_METER_ERROR_SLOT,
                    _("There is no card in the meter"));
        return FALSE;
    }
    host_board_remove(self->board, &card);
    self->place = KV_CARD_AT_STATION;
    if (!vcard_store_save(self->slot_path != NULL ? self->slot_path : self->card_path, &card,
                          &local))
        emit_log(self, _("cannot write the card file back: %s"), local->message);
    emit_log(self, "%s", _("card taken out of the meter"));
    if (self->vcard_control) {
        if (!vcard_command(self, "insert", error)) {
            notify_changed(self);
            return FALSE;
        }
        emit_log(self, "%s", _("card back in the station's reader"));
    }
    notify_changed(self);
    return TRUE;
}

KvCardPlace kv_meter_model_get_card_place(KvMeterModel *self)
{
    g_return_val_if_fail(KV_IS_METER_MODEL(self), KV_CARD_AT_STATION);
    return self->place;
}

void kv_meter_model_press_button(KvMeterModel *self)
{
    g_return_if_fail(KV_IS_METER_MODEL(self));
    meter_button(&self->board->m);
    notify_changed(self);
}

gboolean kv_meter_model_hold_button(KvMeterModel *self)
{
    gboolean taken;

    g_return_val_if_fail(KV_IS_METER_MODEL(self), FALSE);
    /* As the simulator's button --hold: the press, then the hold. */
    meter_button(&self->board->m);
    taken = meter_emergency(&self->board->m) != 0;
    if (taken)
        emit_log(self, _("button held %d s: emergency credit taken"), METER_HOLD_SECONDS);
    else
        emit_log(self, _("button held %d s: emergency credit not taken"), METER_HOLD_SECONDS);
    notify_changed(self);
    return taken;
}

void kv_meter_model_set_load(KvMeterModel *self, guint phase, gint32 watts)
{
    g_autofree char *kw = NULL;

    g_return_if_fail(KV_IS_METER_MODEL(self) && phase < 3);
    if (self->watts[phase] == watts)
        return;
    self->watts[phase] = watts;
    kw = kv_meter_format_decimal(watts, 3);
    emit_log(self, _("load L%u %s kW"), phase + 1, kw);
}

gint32 kv_meter_model_get_load(KvMeterModel *self, guint phase)
{
    g_return_val_if_fail(KV_IS_METER_MODEL(self) && phase < 3, 0);
    return self->watts[phase];
}

void kv_meter_model_set_relay_welded(KvMeterModel *self, gboolean welded)
{
    g_return_if_fail(KV_IS_METER_MODEL(self));
    self->board->p.relay_stuck = welded ? 1 : 0;
    emit_log(self, "%s", welded ? _("relay contacts welded (fault)") : _("relay contacts repaired"));
    notify_changed(self);
}

gboolean kv_meter_model_get_relay_welded(KvMeterModel *self)
{
    g_return_val_if_fail(KV_IS_METER_MODEL(self), FALSE);
    return self->board->p.relay_stuck;
}

void kv_meter_model_set_speed(KvMeterModel *self, guint speed)
{
    g_return_if_fail(KV_IS_METER_MODEL(self));
    self->speed = speed;
    if (speed && !self->tick_id)
        self->tick_id = g_timeout_add(TICK_MS, on_tick_cb, self);
    else if (!speed)
        g_clear_handle_id(&self->tick_id, g_source_remove);
}

guint kv_meter_model_get_speed(KvMeterModel *self)
{
    g_return_val_if_fail(KV_IS_METER_MODEL(self), 0);
    return self->speed;
}

void kv_meter_model_advance(KvMeterModel *self, guint32 seconds)
{
    g_return_if_fail(KV_IS_METER_MODEL(self));
    host_board_run(self->board, self->watts, 7, seconds);
    self->clock_s += seconds;
    notify_changed(self);
}

guint64 kv_meter_model_get_clock(KvMeterModel *self)
{
    g_return_val_if_fail(KV_IS_METER_MODEL(self), 0);
    return self->clock_s;
}

const char *kv_meter_model_get_text(KvMeterModel *self)
{
    g_return_val_if_fail(KV_IS_METER_MODEL(self), "");
    return self->board->text;
}

guint kv_meter_model_get_icons(KvMeterModel *self)
{
    g_return_val_if_fail(KV_IS_METER_MODEL(self), 0);
    return self->board->icons;
}

gboolean kv_meter_model_get_red(KvMeterModel *self)
{
    g_return_val_if_fail(KV_IS_METER_MODEL(self), FALSE);
    return (self->board->lamps & METER_LAMP_RED) != 0;
}

gboolean kv_meter_model_get_yellow(KvMeterModel *self)
{
    g_return_val_if_fail(KV_IS_METER_MODEL(self), FALSE);
    return (self->board->lamps & METER_LAMP_YELLOW) != 0;
}

gboolean kv_meter_model_get_relay_closed(KvMeterModel *self)
{
    g_return_val_if_fail(KV_IS_METER_MODEL(self), FALSE);
    return host_board_relay_closed(self->board);
}

gboolean kv_meter_model_get_provisioned(KvMeterModel *self)
{
    g_return_val_if_fail(KV_IS_METER_MODEL(self), FALSE);
    return self->board->m.provisioned;
}

guint32 kv_meter_model_get_meter_number(KvMeterModel *self)
{
    g_return_val_if_fail(KV_IS_METER_MODEL(self), 0);
    return self->board->m.cfg.meter_number;
}

gint32 kv_meter_model_get_remaining(KvMeterModel *self)
{
    g_return_val_if_fail(KV_IS_METER_MODEL(self), 0);
    return self->board->m.st.remaining;
}

guint32 kv_meter_model_get_total_energy(KvMeterModel *self)
{
    g_return_val_if_fail(KV_IS_METER_MODEL(self), 0);
    return meter_total_energy(&self->board->m);
}

guint32 kv_meter_model_get_power(KvMeterModel *self)
{
    g_return_val_if_fail(KV_IS_METER_MODEL(self), 0);
    return self->board->m.run.power_w;
}

const char *kv_meter_model_get_supply(KvMeterModel *self)
{
    g_return_val_if_fail(KV_IS_METER_MODEL(self), "");
    return supply_name(&self->board->m);
}

void kv_meter_model_get_events(KvMeterModel *self, guint8 out[9])
{
    g_return_if_fail(KV_IS_METER_MODEL(self));
    memcpy(out, self->board->m.st.events, METER_EVENTS);
    out[METER_EVENTS] = 0;
}
