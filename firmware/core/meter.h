/* meter.h - the prepaid three-phase meter, independent of any hardware.
 *
 * The board calls meter_init() once at power-up, meter_tick() with every
 * measurement, meter_card_inserted() when the card-detect switch closes,
 * meter_button() on a key press and meter_power_fail() from its brown-out
 * interrupt.  Everything the meter knows lives in struct meter (no heap);
 * what must survive a power cut is committed through meter_nv_ops.
 *
 * Units: credit and energy in 0.01 kWh, power in W, time in ms / s.
 */
#ifndef METER_H
#define METER_H

#include <stdint.h>

#include "kv_card.h"
#include "kv_provision.h"
#include "meter_io.h"

#define METER_EVENTS 8
#define METER_TEXT_LEN 24
#define METER_MSG_SECONDS 10   /* a card result stays up this long */
#define METER_MSG_FIRST 5      /* of which the first of two messages takes */
#define METER_SAVE_EVERY 10    /* save the energy every 0.1 kWh */
#define METER_BAD_CARDS 3      /* bad cards before a lockout */
#define METER_METERING_SETTLE 10 /* samples the metering IC must answer in a
                                  * row before its fault clears: a flapping
                                  * chip does not chatter the relay */
#define METER_LOCKOUT_BASE 60  /* s, doubled with every further lockout */
#define METER_LOCKOUT_MAX_SHIFT 10
/* Without a bad card, the bad-card count drops by one every
 * METER_BAD_DECAY s and the lockout level by one every METER_LEVEL_DECAY s
 * of powered time (not counting a lockout): a power cut restarts the
 * count-down, so pulling the plug never speeds it up. */
/* An engineering token that changes something (parameters, clear tamper,
 * key change) is valid until the meter has taken more than this many newer
 * tokens of any kind: the meter has no clock, its token sequence is the
 * time it trusts (docs/security-model.md). */
#define METER_ENG_WINDOW 32u
#define METER_BAD_DECAY 3600u
#define METER_LEVEL_DECAY 86400u

/* Error codes of the meter itself, shown as "Err NN" beside the card
 * contract's kv_err codes (1..16).  Never renumber. */
enum {
    METER_E_CARD_ABSENT = 20, /* card pulled during the operation */
    METER_E_CARD_IO = 21,     /* card does not answer (not an SLE4442, dirty) */
    METER_E_PSC = 22,         /* card refused our PSC: not a card we issued */
    METER_E_CARD_LOCKED = 23, /* card's PSC tries used up */
    METER_E_LOCKOUT = 24,     /* too many bad cards: wait for the countdown */
    METER_E_NV = 25,          /* non-volatile memory failed: nothing changed */
    METER_E_NOT_HERE = 26     /* provisioning block names another meter */
};

/* Event codes (event log and the readback's last four events). */
enum {
    METER_EV_POWER_ON = 0x01,
    METER_EV_POWER_FAIL = 0x02,
    METER_EV_LOAD = 0x03,
    METER_EV_PRETRIP = 0x04,     /* relay tripped below the pre-trip level */
    METER_EV_RECLOSE = 0x05,     /* user card reclosed after the pre-trip */
    METER_EV_CUTOFF = 0x06,      /* remaining reached 0: relay open */
    METER_EV_RESTORED = 0x07,    /* a load ended the cut-off */
    METER_EV_OVERPOWER = 0x08,
    METER_EV_RECONNECT = 0x09,   /* reconnect after the over-power countdown */
    METER_EV_RELAY_FAULT = 0x0A, /* energy or feedback while commanded open */
    METER_EV_COVER = 0x0B,
    METER_EV_REVERSE = 0x0C,
    METER_EV_PHASE_LOSS = 0x0D,
    METER_EV_TAMPER_CLEARED = 0x0E,
    METER_EV_PARAMETERS = 0x0F,
    METER_EV_KEY_CHANGE = 0x10,
    METER_EV_TEST = 0x11,
    METER_EV_CHECK = 0x12,
    METER_EV_LOCKOUT = 0x13,
    METER_EV_READBACK_FAIL = 0x14, /* credit loaded, readback not written */
    METER_EV_CARRIED = 0x15,       /* newest state record damaged: an older one
                                    * was restored, loads carried over */
    METER_EV_NV_TAMPER = 0x16,     /* the EEPROM was erased, swapped, edited or
                                    * rolled back: restored from the floor */
    METER_EV_KEYS_MOVED = 0x17,    /* keys of an earlier firmware moved from the
                                    * EEPROM into internal flash */
    METER_EV_WATCHDOG = 0x18,      /* the watchdog restarted the meter */
    METER_EV_CLOCK_FAULT = 0x19,   /* the crystal or the PLL did not start:
                                    * running from the internal oscillator */
    METER_EV_METERING_FAULT = 0x1A, /* the metering IC does not answer */
    METER_EV_NV_FAULT = 0x1B,      /* the EEPROM does not answer */
    METER_EV_CREDIT_CLEARED = 0x1C, /* a clear-credit card emptied the credit */
    METER_EV_EMERGENCY = 0x1D,     /* the customer took the emergency credit */
    METER_EV_REFUSED = 0x40        /* 0x40 | error code: a card refused */
};

/* Tamper bits (state.tamper). */
enum {
    METER_TAMPER_COVER = 0x01,
    METER_TAMPER_REVERSE = 0x02,
    METER_TAMPER_PHASE = 0x04,
    METER_TAMPER_NV = 0x08      /* EEPROM records forged, erased or rolled back */
};

/* Why the MCU started (meter_init_reset). */
enum {
    METER_RESET_POWER = 0,   /* power-on or brown-out */
    METER_RESET_WATCHDOG = 1 /* the independent watchdog fired */
};

/* The floor (core/secrec.h): the internal record is written when the
 * energy has grown this much since it last was (0.01 kWh), and reserves
 * this many readback counter values ahead. */
#define METER_FLOOR_ENERGY_STEP 1000u
#define METER_FLOOR_RB_RESERVE 16u

/* Supply flags (state.supply). */
enum {
    METER_SUP_TRIPPED = 0x01,  /* below pre-trip, open until a user card */
    METER_SUP_RECLOSED = 0x02, /* below pre-trip, reclosed by a user card */
    METER_SUP_CUTOFF = 0x04,   /* at or below 0: open until a load */
    /* Energy was measured while the relay was commanded open (a welded or
     * bypassed relay): a negative remaining is over-zero and shown as
     * such.  Without it, a negative remaining is only the energy of the
     * tick that reached zero, drawn while the relay was still closed: it is
     * charged, but the cut-off shows 0000.00kWh.  Cleared by a load that
     * brings the credit above 0. */
    METER_SUP_OVERZERO = 0x08,
    /* The customer took the emergency credit (meter_emergency): the relay
     * stays closed down to -allowance instead of 0, with no pre-trip.  A
     * load ends it once the credit is above 0 again, as it ends over-zero:
     * the debt is repaid first because the load is added to the negative
     * credit.  Taking it adds no credit, so taking it again (a lost save,
     * a record rolled back) can never let the debt pass the allowance. */
    METER_SUP_EMERGENCY = 0x10
};

/* The button held this long takes the emergency credit. */
#define METER_HOLD_SECONDS 3

/* A card message in two parts: after METER_MSG_FIRST seconds the first
 * part (meter_run.msg) gives way to this. */
enum {
    METER_NEXT_NONE = 0,
    METER_NEXT_RECLOSE = 1, /* a refusal, then "rEcLOSE" */
    METER_NEXT_CREDIT = 2   /* "bALAncE", then the remaining credit */
};

/* Settings that come from the provisioning block and change only through
 * authenticated parameter and key-change cards.  Kept in the internal
 * record, in the MCU's flash (core/secrec.h), never in the EEPROM.
 * key_version is also the minimum key version: a key-change card must
 * raise it. */
typedef struct {
    uint32_t utility_code;
    uint32_t meter_number;
    uint8_t key_version;
    uint8_t k_meter[16];
    uint32_t alarm_level;     /* 0.01 kWh */
    uint32_t pretrip_level;   /* 0.01 kWh */
    uint32_t hoarding_limit;  /* 0.01 kWh */
    uint32_t max_power;       /* W, 0 = none */
    uint16_t reconnect_delay; /* s */
    uint8_t emergency_kwh;    /* emergency allowance, whole kWh, 0 = none */
    uint32_t params_seq;      /* last parameter token applied */
    uint32_t key_seq;         /* last key-change token applied */
} meter_config;

/* The ledger and everything else that survives a power cut.  Saved as the
 * state record, in rotating slots of the EEPROM, each under a MAC. */
typedef struct {
    int32_t remaining;          /* 0.01 kWh, negative = over-zero */
    uint32_t cumulative_loaded; /* credit ever loaded, 0.01 kWh */
    uint32_t phase_energy[3];   /* 0.01 kWh, never decreasing */
    uint16_t phase_frac[3];     /* pulses*100 not yet a whole 0.01 kWh */
    uint32_t last_seq;          /* last token accepted, any kind */
    uint32_t tamper_seq;        /* last clear-tamper token applied */
    uint32_t readback_counter;
    uint32_t lockout_left;      /* s */
    uint8_t supply;             /* METER_SUP_* */
    uint8_t tamper;             /* METER_TAMPER_* */
    uint8_t bad_cards;          /* bad cards since the last authentic one */
    uint8_t lockout_level;      /* lockouts not yet decayed (METER_LEVEL_DECAY) */
    uint8_t overpower;          /* 1 from an over-power trip to its reconnect:
                                 * a power cut restarts the whole countdown */
    uint8_t events[METER_EVENTS]; /* newest first, 0 = none */
    uint16_t wdog_resets;       /* watchdog resets ever (saturates) */
    uint16_t clock_faults;      /* boots without the crystal (saturates) */
    uint32_t cleared;           /* credit ever cleared by clear-credit cards,
                                 * 0.01 kWh: kept in the floor only (the
                                 * ledger: remaining = loaded - energy -
                                 * cleared) */
} meter_state;

/* The floor: what the meter can never lose with its EEPROM, kept beside
 * the config in the internal record (core/secrec.h).  A state record
 * below it is restored up to it at boot. */
typedef struct {
    uint32_t cumulative_loaded; /* written before the state of a load */
    uint32_t last_seq;
    uint32_t rb_ceiling;        /* the readback counter never passes it */
    uint32_t phase_energy[3];   /* lags the state by < METER_FLOOR_ENERGY_STEP */
    uint32_t state_seq;         /* state record sequence this floor goes with */
    uint32_t tamper_seq;        /* last clear-tamper token applied */
    uint8_t tamper;             /* tamper bits set since the last clear */
    uint8_t moving;             /* first boot under way (core/store.h) */
    uint32_t cleared;           /* credit ever cleared (meter_state) */
} meter_floor;

/* What the meter holds only in RAM.  A power cut loses it (the simulator
 * keeps it between commands, as a meter that stays powered does). */
typedef struct {
    uint8_t relay_closed;    /* what we command */
    uint8_t relay_fault;     /* fault logged since the relay last opened */
    uint8_t lamps;
    uint8_t page;            /* button page, 0 = remaining */
    uint8_t last_result;     /* result of the last card, 0 = ok */
    uint16_t overpower_left; /* s until reconnect after an over-power trip */
    uint16_t msg_left;       /* s the card message stays up */
    uint8_t msg_next;        /* METER_NEXT_*: what the second part of the
                              * message shows */
    uint8_t save_pending;    /* the state in RAM is newer than the last save
                              * that worked: retried every tick */
    uint32_t ms_carry;       /* ms not yet a whole second */
    uint32_t power_w;        /* last measured */
    uint32_t unsaved;        /* 0.01 kWh measured since the last save */
    uint32_t lockout_saved;  /* lockout_left at the last save */
    uint32_t calm_s;         /* s without a bad card (METER_BAD_DECAY) */
    uint8_t faults;          /* METER_FAULT_* now (the metering IC's clears
                              * when it answers again) */
    uint8_t faults_logged;   /* logged since power-up: each once, so a part
                              * that comes and goes costs no EEPROM wear */
    uint8_t metering_good;   /* samples answered since the metering IC's
                              * fault (METER_METERING_SETTLE) */
    unsigned icons;
    char msg[METER_TEXT_LEN];
    char text[METER_TEXT_LEN]; /* what the display shows now */
} meter_run;

typedef struct meter {
    /* hardware */
    meter_card_ops card;
    meter_nv_ops nv;
    meter_secure_ops sec;
    meter_out_ops out;

    /* fixed at boot from the provisioning block */
    uint8_t provisioned;     /* 0: shows "UnProG" and does nothing else */
    uint8_t not_here;        /* NV belongs to another meter number */
    uint8_t phases;
    uint16_t meter_constant; /* pulses per kWh */
    uint8_t psc_key[16];
    uint8_t has_transport;   /* the block was version 2 */
    uint8_t transport_key[16]; /* seals key changes; never from the EEPROM */

    meter_config cfg;
    meter_state st;
    kv_meter_keys keys;      /* derived from cfg.k_meter and psc_key */
    uint8_t nv_key[16];      /* MAC key of the EEPROM records (nvrec.h) */
    meter_floor floor;       /* as last written to the internal record */
    uint32_t state_seq;      /* sequence of the newest state record */
    uint32_t secure_seq;     /* sequence of the newest internal record */
    meter_run run;           /* volatile: lost at a power cut */
} meter;

/* Boot: read the provisioning block from internal flash (erased or
 * invalid = unprovisioned), restore the internal record and the newest
 * valid EEPROM records (core/store.h), log the power-on, drive the outputs.
 * Returns 0, or the kv_err / METER_E_* that keeps it from working. */
int meter_init(meter *m, const meter_card_ops *card, const meter_nv_ops *nv,
               const meter_secure_ops *sec, const meter_out_ops *out);
/* The same, telling why the MCU started (METER_RESET_*): a watchdog reset
 * is a power cut to the state logic, and is counted and logged. */
int meter_init_reset(meter *m, const meter_card_ops *card, const meter_nv_ops *nv,
                     const meter_secure_ops *sec, const meter_out_ops *out, unsigned reset);

/* A hardware fault the board found (METER_FAULT_*, at boot or later):
 * logged once per power-up, shown on the fault page, counted for the
 * clock. */
void meter_fault(meter *m, unsigned fault);

/* The simulator's way back into a meter that stayed powered: like
 * meter_init without the power-on event, then the RAM it kept (the ledger
 * in RAM may be ahead of the last saved record). */
int meter_resume(meter *m, const meter_card_ops *card, const meter_nv_ops *nv,
                 const meter_secure_ops *sec, const meter_out_ops *out,
                 const meter_run *run, const meter_state *st);

/* Commit the state record now (energy, counters); 0 on success. */
int meter_save(meter *m);

/* One measurement: energy, power, tamper inputs, elapsed time. */
void meter_tick(meter *m, const meter_sample *s);

/* A card was inserted: read, check, apply, write the readback, show the
 * result.  Returns 0 for a card that was accepted (loaded, or a valid user
 * card that had nothing new: a balance check), else the error code shown
 * (KV_E_REPLAY only for a user card older than what the meter loaded). */
int meter_card_inserted(meter *m);

/* The push button: next display page. */
void meter_button(meter *m);

/* The push button held METER_HOLD_SECONDS: at a cut-off, takes the
 * emergency allowance once (METER_SUP_EMERGENCY).  Returns 1 if taken,
 * 0 if not (none configured, not cut off, taken already and not yet
 * repaid, or the debt already at the allowance). */
int meter_emergency(meter *m);

/* Brown-out warning: save the state record now. */
void meter_power_fail(meter *m);

/* Readable views for the board, the simulator and the GUI. */
uint32_t meter_total_energy(const meter *m);
uint8_t meter_readback_status(const meter *m);
const char *meter_display_text(const meter *m);

/* Derive m->keys from the current meter key, the PSC key and the
 * transport key (after boot and after a key change). */
void meter_keys_load(meter *m);

/* Wipes keys from RAM (before the board powers down, in tests). */
void meter_wipe(meter *m);

#endif
