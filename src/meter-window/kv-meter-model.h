/* kv-meter-model.h - the meter firmware on the host board, as a GObject.
 *
 * The same code as kilovend-meter-sim (firmware/core, the SLE4442 wire
 * driver, the host board's plant model), kept running in this process: a
 * clock that runs faster than real time drives the meter's ticks, a load
 * per phase draws energy through the relay, and the card slot takes the
 * card file that the station's virtual reader (kilovend-vcard) holds.
 *
 * The meter's non-volatile memories live in STATE_DIR/nv.bin (the EEPROM)
 * and STATE_DIR/secure.bin (the MCU's internal flash), the files
 * kilovend-meter-sim keeps there, so the command-line simulator can go on
 * from where the window stopped (and the other way round).  Starting the
 * model is a power-up of the meter; disposing it is a power failure (the
 * meter saves its state, as its brown-out interrupt does).
 *
 * No GTK here: the window (kv-meter-window.c) is a view over this object.
 */
#pragma once

#include <glib-object.h>

G_BEGIN_DECLS

#define KV_METER_ERROR (kv_meter_error_quark())
GQuark kv_meter_error_quark(void);

typedef enum {
    KV_METER_ERROR_CONFIG,     /* provisioning block missing or unreadable */
    KV_METER_ERROR_STATE,      /* state directory, nv.bin or secure.bin unusable */
    KV_METER_ERROR_CARD,       /* no card file, or not a card file */
    KV_METER_ERROR_SLOT,       /* card already in the meter / not in it */
    KV_METER_ERROR_VCARD       /* the virtual card's control FIFO did not answer */
} KvMeterError;

/* Where the card is. */
typedef enum {
    KV_CARD_AT_STATION,   /* in the station's reader (or on the desk) */
    KV_CARD_MOVING,       /* the station's reader let it go; not yet in the meter */
    KV_CARD_IN_METER
} KvCardPlace;

#define KV_TYPE_METER_MODEL (kv_meter_model_get_type())
G_DECLARE_FINAL_TYPE(KvMeterModel, kv_meter_model, KV, METER_MODEL, GObject)

/* Powers up a meter: provisioning block from config_path (96 bytes, from
 * `kilovendctl meter provision`; a missing or invalid block leaves the
 * meter unprovisioned, as a real one would be), NV from state_dir (created
 * if missing).  The clock is stopped until kv_meter_model_set_speed(). */
KvMeterModel *kv_meter_model_new(const char *state_dir, const char *config_path, GError **error);

/* The card this meter window moves: a card file (docs/card-file.md) and, if
 * the card sits in kilovend-vcard's reader, the vcard's control FIFO (its
 * --control PATH; NULL when no virtual reader holds the card). */
void kv_meter_model_set_card(KvMeterModel *self, const char *card_path, const char *vcard_control);

/* Takes the card out of the station's reader (asks the vcard to remove it)
 * and puts it into the meter, which reads it, loads credit or refuses it,
 * and writes its readback.  Asynchronous when a vcard holds the card: the
 * result arrives with the "card-result" signal.  FALSE with an error if the
 * card cannot move (no card file, already in the meter, vcard not running). */
gboolean kv_meter_model_insert_card(KvMeterModel *self, GError **error);
/* Takes the card out of the meter and gives it back to the station's
 * reader (the vcard inserts it again, reading the file the meter wrote). */
gboolean kv_meter_model_remove_card(KvMeterModel *self, GError **error);
KvCardPlace kv_meter_model_get_card_place(KvMeterModel *self);

void kv_meter_model_press_button(KvMeterModel *self);
/* The button held METER_HOLD_SECONDS: at a cut-off, the meter takes its
 * emergency allowance once (meter_emergency).  TRUE if it was taken. */
gboolean kv_meter_model_hold_button(KvMeterModel *self);

/* The load behind the relay, W per phase (L1..L3). */
void kv_meter_model_set_load(KvMeterModel *self, guint phase, gint32 watts);
gint32 kv_meter_model_get_load(KvMeterModel *self, guint phase);

/* Welds (or repairs) the relay contacts: energy then flows while the meter
 * commands the relay open (over-zero credit). */
void kv_meter_model_set_relay_welded(KvMeterModel *self, gboolean welded);
gboolean kv_meter_model_get_relay_welded(KvMeterModel *self);

/* Meter seconds per real second (0 stops the clock); default 0. */
void kv_meter_model_set_speed(KvMeterModel *self, guint speed);
guint kv_meter_model_get_speed(KvMeterModel *self);
/* Runs the meter for this many meter seconds now (the clock's step). */
void kv_meter_model_advance(KvMeterModel *self, guint32 seconds);
/* Meter seconds since the board's clock started. */
guint64 kv_meter_model_get_clock(KvMeterModel *self);

/* What the meter shows and holds. */
const char *kv_meter_model_get_text(KvMeterModel *self);   /* segment LCD text */
guint kv_meter_model_get_icons(KvMeterModel *self);         /* METER_ICON_* */
gboolean kv_meter_model_get_red(KvMeterModel *self);
gboolean kv_meter_model_get_yellow(KvMeterModel *self);
gboolean kv_meter_model_get_relay_closed(KvMeterModel *self); /* physically */
gboolean kv_meter_model_get_provisioned(KvMeterModel *self);
guint32 kv_meter_model_get_meter_number(KvMeterModel *self);
gint32 kv_meter_model_get_remaining(KvMeterModel *self);    /* 0.01 kWh */
guint32 kv_meter_model_get_total_energy(KvMeterModel *self); /* 0.01 kWh */
guint32 kv_meter_model_get_power(KvMeterModel *self);       /* W, last measured */
/* Supply state in words: unprovisioned, normal, tripped, reclosed,
 * cut-off, over-power. */
const char *kv_meter_model_get_supply(KvMeterModel *self);
/* The meter's event log, newest first (codes, 0-terminated, at most 8). */
void kv_meter_model_get_events(KvMeterModel *self, guint8 out[9]);

/* value / 10^places with the decimal mark of the locale (LC_NUMERIC), as
 * the window's spin buttons show numbers: integer arithmetic only. */
char *kv_meter_format_decimal(gint64 value, guint places);
/* A supply state of kv_meter_model_get_supply() in the reader's language. */
const char *kv_meter_supply_words(const char *supply);

/* Signals:
 *   "changed"      ()                       display, lamps, relay, credit
 *   "card-result"  (gint code, gchar *text) a card was read: 0 accepted,
 *                                           else the error the meter shows
 *   "log"          (gchar *line)            what happened, for the event log
 */

G_END_DECLS
