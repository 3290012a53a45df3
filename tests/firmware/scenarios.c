/* scenarios.c - the meter's rules as a table of scenarios (see scenarios.h). */
/* The scenario table leaves unused fields of each step out on purpose. */
#include "scenarios.h"

#include <string.h>

#include "fw_version.h"
#include "fwcards.h"
#include "host_board.h"
#include "kvtest.h"

enum op {
    END,
    BOOT,      /* a=alarm b=pretrip c=hoard d=max power e=reconnect; n: 0 block
                * version 2, 1 none, 2 version 1 (no transport key) */
    REBOOT,    /* power cut and back (NV kept, RAM lost) */
    ISSUE,     /* card[n] = new card of type a, serial b */
    FOREIGN,   /* card[n] = user card of meter base a (another meter), utility b;
                * c: a card of type c with its engineering token instead */
    SELL,      /* sell a (0.01 kWh) onto card[n]; b>0: torn after b-1 bytes */
    SELL_ONLY, /* a sale recorded at the office but never written (skipped) */
    LOADS,     /* b times: sell a onto card[n] and insert it (each loads) */
    PARAMS,    /* parameter token on card[n]: a alarm b pretrip c hoard d max e reconnect,
                * cum the emergency allowance (kWh) */
    TOKEN,     /* clear-tamper / test / clear-credit token on card[n]; b>0: the
                * write torn after b-1 bytes */
    KEYCHANGE, /* key-change token on card[n] to version a, sealed under the
                * transport key; b=1: the office keeps its key (a refusal) */
    KEYCHANGE1,/* the same, of the first revision (under the meter key) */
    FAKECHECK, /* card[n] = home-made check card, serial a: identity with a
                * valid CRC, no token, factory PSC */
    TRIES,     /* card[n] has a PSC tries left and no readback written */
    FORGE,     /* flip byte a of card[n]'s token slot b (0=A,1=B) */
    CLONE,     /* card[n] = card[a]'s memory copied onto a factory blank */
    INSERT,    /* insert card[n]; expect result a */
    RUN,       /* a W on each phase with weights from b (3 nibbles), c s, phase_ok d */
    RUNW,      /* watts a,b,c on L1..L3 for d s (negative = reverse) */
    STUCK,     /* relay welded: a=1 / healed: a=0 */
    COVER,     /* terminal cover open a=1 / closed a=0 */
    BUTTON,
    HOLD,      /* the button held (meter_emergency): a = 1 taken, 0 not */
    NVFAIL,    /* non-volatile writes fail (a=1) / work again (a=0) */
    CORRUPT,   /* one bit of the newest state record flips (MAC fails) */
    EXPECT,    /* checks selected by mask */
    RB,        /* readback on card[n]: result a, remaining b (mask) */
    NVKEEP,    /* keep a copy of the whole EEPROM */
    NVBACK     /* put the copy back (an EEPROM image restored), power cycle */
};

enum {
    C_REM = 1 << 0, C_RELAY = 1 << 1, C_LAMPS = 1 << 2, C_TEXT = 1 << 3, C_CUM = 1 << 4,
    C_ENERGY = 1 << 5, C_TAMPER = 1 << 6, C_EVENT = 1 << 7, C_LOCK = 1 << 8,
    C_PHASES = 1 << 9, C_RBREM = 1 << 10, C_RBEV = 1 << 11, C_SUPPLY = 1 << 12,
    C_PREFIX = 1 << 13, /* C_TEXT compares only the start */
    C_BAL = 1 << 14,    /* remaining = cumulative loaded - total energy */
    C_NEG = 1 << 15,    /* remaining below zero (the tick overshot it) */
    C_RBSTAT = 1 << 16, /* readback status bits equal .supply */
    C_RBCLR = 1 << 17,  /* readback of a clear-credit card: cleared equals .cum */
    C_CLR = 1 << 18,    /* the meter's credit ever cleared equals .energy */
    C_RBEMG = 1 << 19   /* readback of a parameter card: allowance equals .cum */
};

typedef struct {
    uint8_t op;
    uint8_t n;
    int32_t a, b, c, d, e;
    unsigned mask;
    int32_t rem;
    int relay;
    unsigned lamps;
    const char *text;
    uint32_t cum, energy;
    uint32_t phase[3];
    uint8_t tamper, event, supply;
    uint32_t lock;
} step;

typedef struct {
    const char *name;
    step steps[40];
} scenario;

#define RED METER_LAMP_RED
#define YEL METER_LAMP_YELLOW
#define U KV_CARD_USER
#define ALL 7

/* Default levels: alarm 20 kWh, pre-trip 5 kWh, hoarding 100 kWh,
 * no power limit, reconnect 30 s. */
#define BOOT_DEFAULT {BOOT, 0, 2000, 500, 10000, 0, 30}

/* No pre-trip, 1 kWh loaded, an emergency allowance of 5 kWh. */
#define EMERGENCY_METER                                                                  \
    {BOOT, 0, 2000, 0, 10000, 0, 30}, {ISSUE, 0, U, 1001}, {SELL, 0, 100},                \
        {INSERT, 0, KV_OK}, {ISSUE, 1, KV_CARD_PARAMETER, 5001},                          \
        {PARAMS, 1, 2000, 0, 10000, 0, 30, .cum = 5}, {INSERT, 1, KV_OK}

static const scenario table[] = {
    {"load: credit loaded, readback written, result shown",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001},
      {SELL, 0, 5000},
      {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_REM | C_CUM | C_RELAY | C_LAMPS | C_TEXT, .rem = 5000, .cum = 5000,
       .relay = 1, .lamps = 0, .text = "Ld 0050.00kWh"},
      {RB, 0, KV_OK, 5000, .mask = C_RBREM | C_RBEV, .event = METER_EV_LOAD},
      {RUNW, 0, 0, 0, 0, 10},
      {EXPECT, .mask = C_TEXT, .text = "0050.00kWh"},
      {SELL, 0, 1000},
      {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_REM | C_CUM, .rem = 6000, .cum = 6000},
      {END}}},
    {"load: a card of another meter is refused, nothing changes",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 3000}, {INSERT, 0, KV_OK},
      {FOREIGN, 1, 22222222, 0}, {INSERT, 1, KV_E_METER},
      {EXPECT, .mask = C_REM | C_CUM | C_TEXT, .rem = 3000, .cum = 3000, .text = "Err 07"},
      {END}}},
    {"load: a card of another utility is refused",
     {BOOT_DEFAULT,
      {FOREIGN, 1, 12345678, 77}, {INSERT, 1, KV_E_UTILITY},
      {EXPECT, .mask = C_REM | C_TEXT, .rem = 0, .text = "Err 06"},
      {END}}},
    {"load: a forged token is refused, nothing changes",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 3000}, {FORGE, 0, 10, 0}, {INSERT, 0, KV_E_MAC},
      {EXPECT, .mask = C_REM | C_CUM | C_TEXT, .rem = 0, .cum = 0, .text = "Err 10"},
      {END}}},
    {"balance check: the same card again loads nothing, shows the balance, no error",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 3000}, {INSERT, 0, KV_OK},
      {RUNW, 0, 3600, 0, 0, 100},
      /* on another page, so the credit after "bALAncE" is the message's */
      {BUTTON}, {EXPECT, .mask = C_TEXT, .text = "E 0000.10kWh"},
      {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_REM | C_CUM | C_TEXT | C_RELAY, .rem = 2990, .cum = 3000,
       .text = "bALAncE", .relay = 1},
      /* the readback is written, with the result "ok" and no refusal */
      {RB, 0, KV_OK, 2990, .mask = C_RBREM | C_RBEV, .event = METER_EV_LOAD},
      {RUNW, 0, 0, 0, 0, 4},
      {EXPECT, .mask = C_TEXT, .text = "bALAncE"},
      {RUNW, 0, 0, 0, 0, 1},
      {EXPECT, .mask = C_TEXT, .text = "0029.90kWh"},
      {RUNW, 0, 0, 0, 0, 5},
      {EXPECT, .mask = C_TEXT, .text = "E 0000.10kWh"},
      /* the button skips the message at once */
      {INSERT, 0, KV_OK}, {BUTTON},
      {EXPECT, .mask = C_TEXT, .text = "E 0000.10kWh"},
      {RUNW, 0, 0, 0, 0, 6},
      {EXPECT, .mask = C_TEXT, .text = "E 0000.10kWh"},
      /* a new sale on the same card loads as usual */
      {SELL, 0, 1000}, {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_REM | C_CUM | C_TEXT, .rem = 3990, .cum = 4000,
       .text = "Ld 0010.00kWh"},
      {END}}},
    {"balance check: while cut off it shows 0000.00kWh, power stays off",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 100}, {INSERT, 0, KV_OK},
      {RUNW, 0, 3600, 0, 0, 1000},
      {EXPECT, .mask = C_RELAY | C_SUPPLY, .relay = 0, .supply = METER_SUP_CUTOFF},
      {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_TEXT | C_RELAY, .text = "bALAncE", .relay = 0},
      {RB, 0, KV_OK, 0, .mask = C_RBREM | C_RBSTAT, .supply = KV_RB_RED | KV_RB_YELLOW |
       KV_RB_CUTOFF},
      {RUNW, 0, 0, 0, 0, 5},
      {EXPECT, .mask = C_TEXT | C_RELAY, .text = "0000.00kWh", .relay = 0},
      {END}}},
    {"old card: a card of this meter older than its ledger shows Err 13, not counted",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 3000}, {INSERT, 0, KV_OK},
      /* the card is replaced; the new one carries the next sale */
      {ISSUE, 1, U, 1002}, {SELL, 1, 2000}, {INSERT, 1, KV_OK},
      {EXPECT, .mask = C_REM | C_CUM, .rem = 5000, .cum = 5000},
      {INSERT, 0, KV_E_REPLAY},
      {EXPECT, .mask = C_REM | C_CUM | C_TEXT | C_EVENT, .rem = 5000, .cum = 5000,
       .text = "Err 13", .event = METER_EV_REFUSED | KV_E_REPLAY},
      {RB, 0, KV_E_REPLAY, 5000, .mask = C_RBREM | C_RBEV,
       .event = METER_EV_REFUSED | KV_E_REPLAY},
      {RUNW, 0, 0, 0, 0, 5},
      {EXPECT, .mask = C_TEXT, .text = "Err 13"},
      {INSERT, 0, KV_E_REPLAY}, {INSERT, 0, KV_E_REPLAY}, {INSERT, 0, KV_E_REPLAY},
      {EXPECT, .mask = C_LOCK | C_REM, .lock = 0, .rem = 5000},
      /* tripped: the refusal first, then the reclose (a genuine card) */
      {RUNW, 0, 36000, 0, 0, 4501},
      {EXPECT, .mask = C_RELAY | C_REM, .relay = 0, .rem = 499},
      {INSERT, 0, KV_E_REPLAY},
      {EXPECT, .mask = C_TEXT | C_RELAY | C_SUPPLY, .text = "Err 13", .relay = 1,
       .supply = METER_SUP_RECLOSED},
      {RUNW, 0, 0, 0, 0, 5},
      {EXPECT, .mask = C_TEXT, .text = "rEcLOSE"},
      /* the current card with nothing new: the balance */
      {RUNW, 0, 0, 0, 0, 5},
      {INSERT, 1, KV_OK},
      {EXPECT, .mask = C_TEXT, .text = "bALAncE"},
      {END}}},
    {"load: a torn token loads nothing (the older one is a balance check); the card loads once rewritten",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 2000}, {INSERT, 0, KV_OK},
      {SELL, 0, 1500, 20}, {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_REM | C_CUM, .rem = 2000, .cum = 2000},
      {SELL, 0, 0}, {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_REM | C_CUM, .rem = 3500, .cum = 3500},
      {END}}},
    {"load: a dump restored onto a blank card fails the PSC",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 3000}, {CLONE, 1, 0}, {INSERT, 1, METER_E_PSC},
      {EXPECT, .mask = C_REM | C_TEXT, .rem = 0, .text = "Err 22"},
      {INSERT, 0, KV_OK}, {EXPECT, .mask = C_REM, .rem = 3000},
      {END}}},
    {"load: a blank card is refused",
     {BOOT_DEFAULT,
      {CLONE, 1, -1}, {INSERT, 1, KV_E_BLANK},
      {EXPECT, .mask = C_TEXT, .text = "Err 02"},
      {END}}},
    {"hoarding: refused above the limit, loads later once consumed",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 9000}, {INSERT, 0, KV_OK},
      {SELL, 0, 2000}, {INSERT, 0, KV_E_HOARD},
      {EXPECT, .mask = C_REM | C_CUM | C_TEXT, .rem = 9000, .cum = 9000, .text = "Err 14"},
      /* 3 kW on each phase for 20 min = 3 kWh */
      {RUN, 0, 3000, 0x111, 1200, ALL},
      {EXPECT, .mask = C_REM, .rem = 8700},
      {RUN, 0, 3000, 0x111, 1200, ALL},
      {EXPECT, .mask = C_REM, .rem = 8400},
      {RUN, 0, 3000, 0x111, 1200, ALL},
      {RUN, 0, 3000, 0x111, 1200, ALL},
      {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_REM | C_CUM, .rem = 9800, .cum = 11000},
      {END}}},
    {"hoarding: refused while tripped: Err 14 shown first, then the reclose; readback says refused",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 600}, {INSERT, 0, KV_OK},
      {RUNW, 0, 3600, 0, 0, 1010},
      {EXPECT, .mask = C_RELAY | C_REM, .relay = 0, .rem = 499},
      /* 4.99 + 97.00 kWh is above the 100 kWh limit */
      {SELL, 0, 9700}, {INSERT, 0, KV_E_HOARD},
      {EXPECT, .mask = C_TEXT | C_RELAY | C_REM | C_CUM | C_SUPPLY, .text = "Err 14", .relay = 1,
       .rem = 499, .cum = 600, .supply = METER_SUP_RECLOSED},
      {RB, 0, KV_E_HOARD, 499, .mask = C_RBREM | C_RBEV, .event = METER_EV_REFUSED | KV_E_HOARD},
      {RUNW, 0, 0, 0, 0, 4},
      {EXPECT, .mask = C_TEXT, .text = "Err 14"},
      {RUNW, 0, 0, 0, 0, 1},
      {EXPECT, .mask = C_TEXT | C_RELAY, .text = "rEcLOSE", .relay = 1},
      {RUNW, 0, 0, 0, 0, 5},
      {EXPECT, .mask = C_TEXT | C_RELAY, .text = "0004.99kWh", .relay = 1},
      /* the button skips the messages at once */
      {INSERT, 0, KV_E_HOARD}, {BUTTON},
      {EXPECT, .mask = C_TEXT, .text = "0004.99kWh"},
      {RUNW, 0, 0, 0, 0, 6},
      {EXPECT, .mask = C_TEXT, .text = "0004.99kWh"},
      {END}}},
    {"hoarding: exactly at the limit loads",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 10000}, {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_REM, .rem = 10000},
      {END}}},
    {"energy: per phase and total, exact, no drift over 10 hours",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 10000}, {INSERT, 0, KV_OK},
      /* 1234 W, 567 W, 89 W for 10 h: 12.34, 5.67, 0.89 kWh per hour */
      {RUNW, 0, 1234, 567, 89, 36000},
      {EXPECT, .mask = C_PHASES | C_ENERGY | C_REM, .phase = {1234, 567, 89}, .energy = 1890,
       .rem = 10000 - 1890},
      /* 7 s at 1 W: far below one pulse; carried, never lost */
      {RUNW, 0, 1, 1, 1, 7},
      {EXPECT, .mask = C_PHASES, .phase = {1234, 567, 89}},
      {RUNW, 0, 1, 1, 1, 35993},
      {EXPECT, .mask = C_PHASES | C_ENERGY, .phase = {1235, 568, 90}, .energy = 1893},
      {END}}},
    {"energy: survives a power cut, never goes backwards",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 5000}, {INSERT, 0, KV_OK},
      {RUNW, 0, 3600, 0, 0, 3600},
      {EXPECT, .mask = C_ENERGY | C_REM, .energy = 360, .rem = 4640},
      {REBOOT},
      {EXPECT, .mask = C_ENERGY | C_REM | C_CUM, .energy = 360, .rem = 4640, .cum = 5000},
      {END}}},
    {"rollback: the newest state record damaged after a load: tamper, the load is kept, not "
     "given twice, the unknown energy charged",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 3000}, {INSERT, 0, KV_OK},
      {RUNW, 0, 3600, 0, 0, 1000},
      {SELL, 0, 2000}, {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_REM | C_CUM | C_BAL, .rem = 4900, .cum = 5000},
      /* the load's record is the newest: a complete record that fails its
       * MAC is tampering; the one before wins, the floor in internal
       * flash carries the load, and the energy the meter can no longer
       * vouch for (up to one floor step past the floor's 1.00 kWh) is
       * charged */
      {CORRUPT},
      {REBOOT},
      {EXPECT, .mask = C_REM | C_CUM | C_BAL | C_ENERGY | C_TAMPER, .rem = 3900, .cum = 5000,
       .energy = 1100, .tamper = METER_TAMPER_NV},
      {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_REM | C_CUM | C_BAL | C_TEXT, .rem = 3900, .cum = 5000,
       .text = "bALAncE"},
      /* and the carried load survives the next power cut */
      {REBOOT},
      {EXPECT, .mask = C_REM | C_CUM | C_BAL | C_TAMPER, .rem = 3900, .cum = 5000,
       .tamper = METER_TAMPER_NV},
      {END}}},
    {"rollback: a damaged energy record: tamper, nothing of the credit loaded moves",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 3000}, {INSERT, 0, KV_OK},
      {RUNW, 0, 3600, 0, 0, 1000},
      {CORRUPT},
      {REBOOT},
      {EXPECT, .mask = C_CUM | C_BAL | C_TAMPER, .cum = 3000, .tamper = METER_TAMPER_NV},
      {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_CUM | C_BAL, .cum = 3000},
      {END}}},
    {"alarm: red lamp below the alarm level",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 2100}, {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_LAMPS | C_RELAY, .lamps = 0, .relay = 1},
      {RUNW, 0, 3600, 0, 0, 1000},  /* 1.00 kWh: 20.00 kWh left, not below */
      {EXPECT, .mask = C_LAMPS | C_REM, .lamps = 0, .rem = 2000},
      {RUNW, 0, 3600, 0, 0, 10},
      {EXPECT, .mask = C_LAMPS | C_RELAY | C_REM, .lamps = RED, .relay = 1, .rem = 1999},
      {END}}},
    {"pre-trip: yellow and trip, user card recloses until 0, then cut-off",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 600}, {INSERT, 0, KV_OK},
      {RUNW, 0, 3600, 0, 0, 1000},  /* 1.00 kWh: 5.00 left, not below */
      {EXPECT, .mask = C_RELAY | C_LAMPS, .relay = 1, .lamps = RED},
      {RUNW, 0, 3600, 0, 0, 10},
      {EXPECT, .mask = C_RELAY | C_LAMPS | C_REM | C_EVENT, .relay = 0, .lamps = RED | YEL,
       .rem = 499, .event = METER_EV_PRETRIP},
      /* open relay: no energy flows */
      {RUNW, 0, 3600, 0, 0, 600},
      {EXPECT, .mask = C_REM, .rem = 499},
      {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_RELAY | C_LAMPS | C_TEXT | C_EVENT, .relay = 1, .lamps = RED | YEL,
       .text = "rEcLOSE", .event = METER_EV_RECLOSE},
      {RUNW, 0, 3600, 0, 0, 4980},
      {EXPECT, .mask = C_RELAY | C_REM, .relay = 1, .rem = 1},
      {RUNW, 0, 3600, 0, 0, 10},
      {EXPECT, .mask = C_RELAY | C_REM | C_TEXT | C_EVENT | C_SUPPLY, .relay = 0, .rem = 0,
       .text = "0000.00kWh", .event = METER_EV_CUTOFF, .supply = METER_SUP_CUTOFF},
      /* only a load restores power: the user card alone does not */
      {INSERT, 0, KV_OK},
      {RUNW, 0, 0, 0, 0, 10},
      {EXPECT, .mask = C_RELAY | C_TEXT, .relay = 0, .text = "0000.00kWh"},
      {REBOOT},
      {EXPECT, .mask = C_RELAY | C_TEXT, .relay = 0, .text = "0000.00kWh"},
      {SELL, 0, 300}, {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_RELAY | C_REM | C_LAMPS, .relay = 1, .rem = 300, .lamps = RED | YEL},
      {SELL, 0, 5000}, {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_RELAY | C_REM | C_LAMPS | C_SUPPLY, .relay = 1, .rem = 5300,
       .lamps = 0, .supply = 0},
      {END}}},
    {"cut-off: energy of the last tick overshoots zero, the display still shows 0000.00kWh",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 600}, {INSERT, 0, KV_OK},
      {RUNW, 0, 3600, 0, 0, 1010},
      {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_RELAY | C_REM, .relay = 1, .rem = 499},
      /* 3 x 30 kW: 2.5 units a second, so the tick that reaches zero
       * carries energy drawn (legitimately, relay closed) past it */
      {RUNW, 0, 30000, 30000, 30000, 300},
      {EXPECT, .mask = C_RELAY | C_TEXT | C_SUPPLY | C_BAL | C_NEG, .relay = 0,
       .text = "0000.00kWh", .supply = METER_SUP_CUTOFF},
      {REBOOT},
      {EXPECT, .mask = C_RELAY | C_TEXT, .relay = 0, .text = "0000.00kWh"},
      /* the energy is charged, not given away: the load offsets it */
      {SELL, 0, 1000}, {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_RELAY | C_BAL, .relay = 1},
      {END}}},
    {"over-zero: after a welded relay the negative credit stays shown across a power cut",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 100}, {INSERT, 0, KV_OK},
      {STUCK, 0, 1}, {RUNW, 0, 3600, 0, 0, 2000}, {STUCK, 0, 0},
      {EXPECT, .mask = C_REM | C_TEXT, .rem = -100, .text = "-001.00kWh"},
      {REBOOT},
      {EXPECT, .mask = C_REM | C_TEXT | C_RELAY, .rem = -100, .text = "-001.00kWh", .relay = 0},
      /* a load that clears the debt ends the over-zero: a later cut-off
       * overshoot is not shown as over-zero */
      {SELL, 0, 600}, {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_REM | C_RELAY, .rem = 500, .relay = 1},
      {RUNW, 0, 30000, 30000, 30000, 10},
      {EXPECT, .mask = C_RELAY | C_EVENT, .relay = 0, .event = METER_EV_PRETRIP},
      {INSERT, 0, KV_OK},
      {RUNW, 0, 30000, 30000, 30000, 300},
      {EXPECT, .mask = C_RELAY | C_TEXT | C_BAL | C_NEG, .relay = 0, .text = "0000.00kWh"},
      {END}}},
    {"readback: the status written on the card is the meter's state after the insertion",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 100}, {INSERT, 0, KV_OK},
      {RB, 0, KV_OK, 100, .mask = C_RBREM | C_RBSTAT,
       .supply = KV_RB_RELAY_CLOSED | KV_RB_RED | KV_RB_YELLOW},
      {RUNW, 0, 3600, 0, 0, 1000},
      {EXPECT, .mask = C_RELAY | C_REM, .relay = 0, .rem = 0},
      /* a load ends the cut-off: relay closed, lamps off */
      {SELL, 0, 5000}, {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_RELAY | C_LAMPS, .relay = 1, .lamps = 0},
      {RB, 0, KV_OK, 5000, .mask = C_RBREM | C_RBSTAT, .supply = KV_RB_RELAY_CLOSED},
      /* a user card that recloses a pre-trip reports the relay closed */
      {RUNW, 0, 36000, 0, 0, 4501},
      {EXPECT, .mask = C_RELAY | C_REM, .relay = 0, .rem = 499},
      {INSERT, 0, KV_OK},
      {RB, 0, KV_OK, 499, .mask = C_RBREM | C_RBSTAT,
       .supply = KV_RB_RELAY_CLOSED | KV_RB_RED | KV_RB_YELLOW},
      {END}}},
    {"pre-trip: survives a power cut (tripped stays tripped)",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 600}, {INSERT, 0, KV_OK},
      {RUNW, 0, 3600, 0, 0, 1010},
      {EXPECT, .mask = C_RELAY | C_REM, .relay = 0, .rem = 499},
      {REBOOT},
      {EXPECT, .mask = C_RELAY | C_LAMPS, .relay = 0, .lamps = RED | YEL},
      {END}}},
    {"over-zero: a welded relay drives credit negative, the next load offsets it",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 100}, {INSERT, 0, KV_OK},
      {STUCK, 0, 1},
      {RUNW, 0, 3600, 0, 0, 2000},  /* 2.00 kWh: 1.00 -> -1.00 */
      {EXPECT, .mask = C_REM | C_RELAY | C_TEXT | C_EVENT, .rem = -100, .relay = 0,
       .text = "-001.00kWh", .event = METER_EV_RELAY_FAULT},
      {STUCK, 0, 0},
      {SELL, 0, 1000}, {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_REM | C_RELAY | C_CUM, .rem = 900, .relay = 1, .cum = 1100},
      {END}}},
    {"over-zero: a load smaller than the debt keeps the supply cut",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 100}, {INSERT, 0, KV_OK},
      {STUCK, 0, 1}, {RUNW, 0, 3600, 0, 0, 3000}, {STUCK, 0, 0},
      {EXPECT, .mask = C_REM, .rem = -200},
      {SELL, 0, 150}, {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_REM | C_RELAY | C_TEXT, .rem = -50, .relay = 0,
       .text = "Ld 0001.50kWh"},
      {END}}},
    {"emergency credit: taken once at a cut-off, repaid first by the next loads",
     {{BOOT, 0, 2000, 0, 10000, 0, 30},
      {ISSUE, 0, U, 1001}, {SELL, 0, 1000}, {INSERT, 0, KV_OK},
      {ISSUE, 1, KV_CARD_PARAMETER, 5001},
      {PARAMS, 1, 2000, 0, 10000, 0, 30, .cum = 5}, {INSERT, 1, KV_OK},
      {RB, 1, KV_OK, .mask = C_RBEMG, .cum = 500},
      /* held while there is credit: nothing */
      {HOLD, 0, 0}, {EXPECT, .mask = C_SUPPLY | C_RELAY, .supply = 0, .relay = 1},
      {RUNW, 0, 3600, 0, 0, 10000},
      {EXPECT, .mask = C_REM | C_RELAY | C_TEXT, .rem = 0, .relay = 0, .text = "0000.00kWh"},
      {BUTTON}, {HOLD, 0, 1},
      {EXPECT, .mask = C_RELAY | C_TEXT | C_EVENT | C_SUPPLY | C_LAMPS, .relay = 1,
       .text = "Ec 0005.00kWh", .event = METER_EV_EMERGENCY, .supply = METER_SUP_EMERGENCY,
       .lamps = RED},
      {HOLD, 0, 0},
      {RUNW, 0, 3600, 0, 0, 2000},
      {EXPECT, .mask = C_REM | C_RELAY | C_TEXT | C_BAL, .rem = -200, .relay = 1,
       .text = "Ec 0003.00kWh"},
      /* a power cut neither ends it nor grants it again */
      {REBOOT},
      {EXPECT, .mask = C_REM | C_RELAY | C_SUPPLY, .rem = -200, .relay = 1,
       .supply = METER_SUP_EMERGENCY},
      {HOLD, 0, 0},
      {RUNW, 0, 3600, 0, 0, 5000},
      {EXPECT, .mask = C_REM | C_RELAY | C_TEXT | C_EVENT | C_BAL, .rem = -500, .relay = 0,
       .text = "Ec 0000.00kWh", .event = METER_EV_CUTOFF},
      /* used up: not twice before a load repays it */
      {HOLD, 0, 0}, {REBOOT}, {HOLD, 0, 0},
      {EXPECT, .mask = C_REM | C_RELAY, .rem = -500, .relay = 0},
      /* a load smaller than the debt only reduces it */
      {SELL, 0, 300}, {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_REM | C_RELAY | C_CUM | C_BAL, .rem = -200, .relay = 0, .cum = 1300},
      {HOLD, 0, 0},
      {SELL, 0, 1000}, {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_REM | C_RELAY | C_SUPPLY | C_TEXT | C_BAL, .rem = 800, .relay = 1,
       .supply = 0, .text = "Ld 0010.00kWh"},
      {RB, 0, KV_OK, 800, .mask = C_RBREM | C_RBEV, .event = METER_EV_RESTORED},
      /* repaid: the next cut-off may take it again */
      {RUNW, 0, 3600, 0, 0, 8000},
      {EXPECT, .mask = C_REM | C_RELAY, .rem = 0, .relay = 0},
      {HOLD, 0, 1}, {EXPECT, .mask = C_RELAY, .relay = 1},
      {END}}},
    {"emergency credit: a load while it runs repays it, the power stays on",
     {EMERGENCY_METER,
      {RUNW, 0, 3600, 0, 0, 1000}, {HOLD, 0, 1},
      {RUNW, 0, 3600, 0, 0, 3000},
      {EXPECT, .mask = C_REM | C_RELAY, .rem = -300, .relay = 1},
      {SELL, 0, 100}, {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_REM | C_RELAY | C_SUPPLY, .rem = -200, .relay = 1,
       .supply = METER_SUP_EMERGENCY},
      {SELL, 0, 2500}, {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_REM | C_RELAY | C_SUPPLY | C_BAL, .rem = 2300, .relay = 1, .supply = 0},
      {END}}},
    {"emergency credit: with over-zero, one debt, one repayment; none past the allowance",
     {EMERGENCY_METER,
      {RUNW, 0, 3600, 0, 0, 1000},
      /* the relay welded: energy past zero is over-zero */
      {STUCK, 0, 1}, {RUNW, 0, 3600, 0, 0, 1000}, {STUCK, 0, 0},
      {EXPECT, .mask = C_REM | C_RELAY | C_TEXT, .rem = -100, .relay = 0, .text = "-001.00kWh"},
      {HOLD, 0, 1},
      {EXPECT, .mask = C_RELAY | C_TEXT, .relay = 1, .text = "Ec 0004.00kWh"},
      {RUNW, 0, 3600, 0, 0, 5000},
      {EXPECT, .mask = C_REM | C_RELAY, .rem = -500, .relay = 0},
      {SELL, 0, 1000}, {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_REM | C_RELAY | C_SUPPLY | C_BAL, .rem = 500, .relay = 1, .supply = 0},
      /* over-zero past the allowance: nothing left to give */
      {RUNW, 0, 3600, 0, 0, 5000},
      {STUCK, 0, 1}, {RUNW, 0, 3600, 0, 0, 6000}, {STUCK, 0, 0},
      {EXPECT, .mask = C_REM, .rem = -600},
      {HOLD, 0, 0}, {EXPECT, .mask = C_RELAY, .relay = 0},
      {END}}},
    {"emergency credit: an EEPROM image from before the take, put back, is the state before it",
     {EMERGENCY_METER,
      {RUNW, 0, 3600, 0, 0, 1000},
      {NVKEEP},
      {HOLD, 0, 1}, {RUNW, 0, 3600, 0, 0, 5000},
      {EXPECT, .mask = C_REM | C_RELAY | C_ENERGY, .rem = -500, .relay = 0, .energy = 600},
      {NVBACK},
      /* the energy since the image is the known rollback within one floor
       * step; the take adds nothing to it: cut off at 0 as before it */
      {EXPECT, .mask = C_REM | C_RELAY | C_SUPPLY | C_ENERGY | C_BAL, .rem = 0, .relay = 0,
       .supply = METER_SUP_CUTOFF, .energy = 100},
      {HOLD, 0, 1}, {RUNW, 0, 3600, 0, 0, 8000},
      {EXPECT, .mask = C_REM | C_RELAY | C_BAL, .rem = -500, .relay = 0},
      {END}}},
    {"emergency credit: allowance 0 (the default, or set back to 0) takes nothing",
     {{BOOT, 0, 2000, 0, 10000, 0, 30},
      {ISSUE, 0, U, 1001}, {SELL, 0, 100}, {INSERT, 0, KV_OK},
      {RUNW, 0, 3600, 0, 0, 1000},
      {EXPECT, .mask = C_REM | C_RELAY, .rem = 0, .relay = 0},
      {HOLD, 0, 0}, {EXPECT, .mask = C_RELAY | C_SUPPLY, .relay = 0, .supply = METER_SUP_CUTOFF},
      {ISSUE, 1, KV_CARD_PARAMETER, 5001},
      {PARAMS, 1, 2000, 0, 10000, 0, 30, .cum = 5}, {INSERT, 1, KV_OK},
      {ISSUE, 2, KV_CARD_PARAMETER, 5002},
      {PARAMS, 2, 2000, 0, 10000, 0, 30, .cum = 0}, {INSERT, 2, KV_OK},
      {RB, 2, KV_OK, .mask = C_RBEMG, .cum = 0},
      {REBOOT},
      {HOLD, 0, 0}, {EXPECT, .mask = C_RELAY, .relay = 0},
      {END}}},
    {"parameters: changed by an authenticated card only, once",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 2500}, {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_LAMPS, .lamps = 0},
      {ISSUE, 1, KV_CARD_PARAMETER, 5001},
      {PARAMS, 1, 3000, 2600, 20000, 0, 30}, {INSERT, 1, KV_OK},
      {EXPECT, .mask = C_LAMPS | C_RELAY | C_TEXT | C_EVENT, .lamps = RED | YEL, .relay = 0,
       .text = "PArA donE", .event = METER_EV_PRETRIP},
      {INSERT, 1, KV_E_REPLAY},
      {FORGE, 1, 12, 1}, {INSERT, 1, KV_E_MAC},
      {REBOOT},
      {EXPECT, .mask = C_LAMPS | C_RELAY, .lamps = RED | YEL, .relay = 0},
      /* the new hoarding limit (200 kWh) applies */
      {SELL, 0, 15000}, {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_REM | C_LAMPS | C_RELAY, .rem = 17500, .lamps = 0, .relay = 1},
      {END}}},
    {"parameters: an unused card expires once the meter took 32 newer tokens (Err 18, not counted)",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 1000}, {INSERT, 0, KV_OK},
      {ISSUE, 1, KV_CARD_PARAMETER, 5001}, {PARAMS, 1, 3000, 2600, 20000, 0, 30},
      {ISSUE, 2, KV_CARD_PARAMETER, 5002}, {PARAMS, 2, 3000, 2500, 20000, 0, 30},
      {LOADS, 0, 10, 32},
      /* the first is 33 tokens behind the meter: expired, however often */
      {INSERT, 1, KV_E_EXPIRED}, {INSERT, 1, KV_E_EXPIRED}, {INSERT, 1, KV_E_EXPIRED},
      {EXPECT, .mask = C_TEXT | C_LOCK, .text = "Err 18", .lock = 0},
      /* the second, 32 behind, still applies */
      {INSERT, 2, KV_OK},
      {EXPECT, .mask = C_TEXT, .text = "PArA donE"},
      {INSERT, 2, KV_E_REPLAY},
      {INSERT, 1, KV_E_REPLAY},
      {END}}},
    {"max power: trip above the limit, countdown, reconnect",
     {{BOOT, 0, 2000, 500, 10000, 10000, 30},
      {ISSUE, 0, U, 1001}, {SELL, 0, 5000}, {INSERT, 0, KV_OK},
      {RUNW, 0, 3000, 3000, 3000, 5},
      {EXPECT, .mask = C_RELAY, .relay = 1},
      {RUNW, 0, 4000, 4000, 4000, 5},
      {EXPECT, .mask = C_RELAY | C_TEXT | C_PREFIX | C_EVENT, .relay = 0, .text = "OL 002",
       .event = METER_EV_OVERPOWER},
      {RUNW, 0, 4000, 4000, 4000, 20},
      {EXPECT, .mask = C_RELAY | C_TEXT | C_PREFIX, .relay = 0, .text = "OL 000"},
      {RUNW, 0, 1000, 1000, 1000, 10},
      {EXPECT, .mask = C_EVENT | C_RELAY, .event = METER_EV_RECONNECT, .relay = 1},
      {RUNW, 0, 1000, 1000, 1000, 5},
      {EXPECT, .mask = C_RELAY | C_TEXT | C_PREFIX, .relay = 1, .text = "00"},
      {END}}},
    {"max power: a power cut during the reconnect countdown restarts it in full",
     {{BOOT, 0, 2000, 500, 10000, 10000, 30},
      {ISSUE, 0, U, 1001}, {SELL, 0, 5000}, {INSERT, 0, KV_OK},
      {RUNW, 0, 4000, 4000, 4000, 5},
      {RUNW, 0, 0, 0, 0, 10},
      {EXPECT, .mask = C_RELAY | C_TEXT | C_PREFIX, .relay = 0, .text = "OL 001"},
      {REBOOT},
      {EXPECT, .mask = C_RELAY | C_TEXT, .relay = 0, .text = "OL 0030"},
      {RUNW, 0, 1000, 1000, 1000, 29},
      {EXPECT, .mask = C_RELAY | C_TEXT, .relay = 0, .text = "OL 0001"},
      {RUNW, 0, 1000, 1000, 1000, 1},
      {EXPECT, .mask = C_RELAY | C_EVENT, .relay = 1, .event = METER_EV_RECONNECT},
      /* once reconnected, a power cut does not trip it again */
      {REBOOT},
      {EXPECT, .mask = C_RELAY | C_TEXT | C_PREFIX, .relay = 1, .text = "00"},
      {END}}},
    {"tamper: cover, reverse energy, phase loss logged, shown, cleared by card",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 5000}, {INSERT, 0, KV_OK},
      {COVER, 0, 1}, {RUNW, 0, 0, 0, 0, 1}, {COVER, 0, 0},
      {EXPECT, .mask = C_TAMPER | C_EVENT, .tamper = METER_TAMPER_COVER, .event = METER_EV_COVER},
      {RUNW, 0, -3600, 0, 0, 100},
      {EXPECT, .mask = C_TAMPER | C_EVENT | C_REM, .event = METER_EV_REVERSE, .rem = 4990,
       .tamper = METER_TAMPER_COVER | METER_TAMPER_REVERSE},
      {RUN, 0, 1000, 0x110, 10, 3},
      {EXPECT, .mask = C_TAMPER | C_EVENT, .event = METER_EV_PHASE_LOSS,
       .tamper = METER_TAMPER_COVER | METER_TAMPER_REVERSE | METER_TAMPER_PHASE},
      {BUTTON}, {BUTTON}, {BUTTON}, {BUTTON}, {BUTTON}, {BUTTON},
      {EXPECT, .mask = C_TEXT, .text = "tAMP CrP"},
      {BUTTON},
      {REBOOT},
      {EXPECT, .mask = C_TAMPER, .tamper = 7},
      {ISSUE, 1, KV_CARD_CLEAR_TAMPER, 6001}, {TOKEN, 1}, {INSERT, 1, KV_OK},
      {EXPECT, .mask = C_TAMPER | C_TEXT | C_EVENT, .tamper = 0, .text = "tAMP CLr",
       .event = METER_EV_TAMPER_CLEARED},
      {INSERT, 1, KV_E_REPLAY},
      {END}}},
    {"clear credit: empties the credit, reports it on the same card; clear twice refused",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 5000}, {INSERT, 0, KV_OK},
      {RUNW, 0, 3600, 0, 0, 100},
      {ISSUE, 1, KV_CARD_CLEAR_CREDIT, 8001}, {TOKEN, 1}, {INSERT, 1, KV_OK},
      {EXPECT, .mask = C_REM | C_CUM | C_TEXT | C_EVENT | C_BAL | C_CLR, .rem = 0, .cum = 5000,
       .text = "CrEd CLr", .event = METER_EV_CREDIT_CLEARED, .energy = 4990},
      {RB, 1, KV_OK, 0, .mask = C_RBREM | C_RBCLR, .cum = 4990},
      /* clear twice: the same card again clears nothing, the report stays */
      {INSERT, 1, KV_E_REPLAY},
      {EXPECT, .mask = C_REM | C_CLR | C_BAL, .rem = 0, .energy = 4990},
      {RB, 1, KV_E_REPLAY, 0, .mask = C_RBREM | C_RBCLR, .cum = 4990},
      /* replayed after a new sale loaded: the new credit stays */
      {SELL, 0, 2000}, {INSERT, 0, KV_OK}, {INSERT, 1, KV_E_REPLAY},
      {EXPECT, .mask = C_REM | C_CUM | C_CLR | C_BAL, .rem = 2000, .cum = 7000, .energy = 4990},
      /* the total cleared survives a power cut; a new card clears the rest */
      {REBOOT},
      {EXPECT, .mask = C_REM | C_CLR | C_BAL, .rem = 2000, .energy = 4990},
      {ISSUE, 2, KV_CARD_CLEAR_CREDIT, 8002}, {TOKEN, 2}, {INSERT, 2, KV_OK},
      {EXPECT, .mask = C_REM | C_CLR | C_BAL, .rem = 0, .energy = 6990},
      {RB, 2, KV_OK, 0, .mask = C_RBREM | C_RBCLR, .cum = 6990},
      /* the old card loads nothing back */
      {INSERT, 0, KV_OK}, {EXPECT, .mask = C_REM | C_CUM, .rem = 0, .cum = 7000},
      {END}}},
    {"clear credit: a card of another meter, a card older than the last token, a torn card",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 3000}, {INSERT, 0, KV_OK},
      {FOREIGN, 1, 22222222, 0, KV_CARD_CLEAR_CREDIT}, {INSERT, 1, KV_E_METER},
      {EXPECT, .mask = C_REM | C_CLR | C_TEXT, .rem = 3000, .energy = 0, .text = "Err 07"},
      /* issued, then a sale loaded before it: the sale is not emptied */
      {ISSUE, 2, KV_CARD_CLEAR_CREDIT, 8001}, {TOKEN, 2}, {SELL, 0, 1000}, {INSERT, 0, KV_OK},
      {INSERT, 2, KV_E_REPLAY},
      {EXPECT, .mask = C_REM | C_CLR | C_BAL, .rem = 4000, .energy = 0},
      /* the station's write of the token cut short: nothing valid, refused */
      {ISSUE, 3, KV_CARD_CLEAR_CREDIT, 8002}, {TOKEN, 3, 0, 30}, {INSERT, 3, KV_E_MAC},
      {EXPECT, .mask = C_REM | C_CLR, .rem = 4000, .energy = 0},
      {END}}},
    {"clear credit: an EEPROM image from before the clear, put back, brings no credit back",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 3000}, {INSERT, 0, KV_OK},
      {NVKEEP},
      {ISSUE, 1, KV_CARD_CLEAR_CREDIT, 8001}, {TOKEN, 1}, {INSERT, 1, KV_OK},
      {EXPECT, .mask = C_REM | C_CLR | C_BAL, .rem = 0, .energy = 3000},
      {NVBACK},
      /* one save back looks like a cut between floor and state: no tamper
       * flag, but the floor's credit cleared holds */
      {EXPECT, .mask = C_REM | C_CLR | C_BAL, .rem = 0, .energy = 3000},
      /* nor does the user card, loaded before the image was taken */
      {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_REM | C_CUM | C_CLR | C_BAL, .rem = 0, .cum = 3000, .energy = 3000},
      {END}}},
    {"check card: collects the readback with the event log",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 5000}, {INSERT, 0, KV_OK},
      {RUNW, 0, 1000, 2000, 3000, 3600},
      {ISSUE, 1, KV_CARD_CHECK, 7001}, {TOKEN, 1}, {INSERT, 1, KV_OK},
      {EXPECT, .mask = C_TEXT, .text = "CHEc donE"},
      {RB, 1, KV_OK, 4400, .mask = C_RBREM | C_RBEV, .event = METER_EV_CHECK},
      {END}}},
    {"lockout: three bad cards lock, doubling, surviving a power cut",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 5000},
      {FOREIGN, 1, 22222222, 0},
      {INSERT, 1, KV_E_METER}, {INSERT, 1, KV_E_METER}, {INSERT, 1, KV_E_METER},
      {EXPECT, .mask = C_LOCK | C_EVENT, .lock = 60, .event = METER_EV_LOCKOUT},
      {INSERT, 0, METER_E_LOCKOUT},
      {EXPECT, .mask = C_TEXT | C_REM, .text = "Loc 0001", .rem = 0},
      {REBOOT},
      {INSERT, 0, METER_E_LOCKOUT},
      {RUNW, 0, 0, 0, 0, 60},
      {EXPECT, .mask = C_LOCK, .lock = 0},
      {INSERT, 1, KV_E_METER}, {INSERT, 1, KV_E_METER}, {INSERT, 1, KV_E_METER},
      {EXPECT, .mask = C_LOCK, .lock = 120},
      {RUNW, 0, 0, 0, 0, 120},
      {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_REM | C_LOCK, .rem = 5000, .lock = 0},
      /* a good card resets the count, not the doubling: that decays with
       * time (see the decay scenario) */
      {INSERT, 1, KV_E_METER}, {INSERT, 1, KV_E_METER}, {INSERT, 1, KV_E_METER},
      {EXPECT, .mask = C_LOCK, .lock = 240},
      {END}}},
    {"check card: one forged with a CRC only is refused before any PSC is sent, and counted",
     {BOOT_DEFAULT,
      {FAKECHECK, 1, 7002},
      {INSERT, 1, KV_E_MAC},
      {EXPECT, .mask = C_TEXT | C_LOCK | C_EVENT, .text = "Err 10", .lock = 0,
       .event = METER_EV_REFUSED | KV_E_MAC},
      /* the meter presented no PSC (the card's tries are untouched) and
       * wrote nothing to it */
      {TRIES, 1, 3},
      {INSERT, 1, KV_E_MAC}, {INSERT, 1, KV_E_MAC},
      {EXPECT, .mask = C_LOCK | C_EVENT, .lock = 60, .event = METER_EV_LOCKOUT},
      {TRIES, 1, 3},
      {END}}},
    {"check card: one of the first revision (no token) is refused; re-issued with a check token it works",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 5000}, {INSERT, 0, KV_OK},
      {ISSUE, 1, KV_CARD_CHECK, 7001},
      {INSERT, 1, KV_E_MAC},
      {TOKEN, 1}, {INSERT, 1, KV_OK},
      {EXPECT, .mask = C_TEXT, .text = "CHEc donE"},
      {RB, 1, KV_OK, 5000, .mask = C_RBREM | C_RBEV, .event = METER_EV_CHECK},
      /* a check card is used again and again */
      {INSERT, 1, KV_OK}, {INSERT, 1, KV_OK},
      {END}}},
    {"lockout: forged check cards lock the meter; the count and the doubling decay with time",
     {BOOT_DEFAULT,
      {FAKECHECK, 1, 7002},
      {INSERT, 1, KV_E_MAC}, {INSERT, 1, KV_E_MAC},
      /* an hour without a bad card takes one off the count */
      {RUNW, 0, 0, 0, 0, 3600},
      {INSERT, 1, KV_E_MAC},
      {EXPECT, .mask = C_LOCK, .lock = 0},
      {INSERT, 1, KV_E_MAC},
      {EXPECT, .mask = C_LOCK | C_EVENT, .lock = 60, .event = METER_EV_LOCKOUT},
      {RUNW, 0, 0, 0, 0, 60},
      {INSERT, 1, KV_E_MAC}, {INSERT, 1, KV_E_MAC}, {INSERT, 1, KV_E_MAC},
      {EXPECT, .mask = C_LOCK, .lock = 120},
      {RUNW, 0, 0, 0, 0, 120},
      /* a power cut restarts the decay, it never speeds it up: 6000 s in
       * two halves do not take one off */
      {INSERT, 1, KV_E_MAC}, {INSERT, 1, KV_E_MAC},
      {RUNW, 0, 0, 0, 0, 3000}, {REBOOT}, {RUNW, 0, 0, 0, 0, 3000},
      {INSERT, 1, KV_E_MAC},
      {EXPECT, .mask = C_LOCK, .lock = 240},
      {RUNW, 0, 0, 0, 0, 240},
      /* two days without a bad card: the doubling is down by two */
      {RUNW, 0, 0, 0, 0, 2 * 86400},
      {INSERT, 1, KV_E_MAC}, {INSERT, 1, KV_E_MAC}, {INSERT, 1, KV_E_MAC},
      {EXPECT, .mask = C_LOCK, .lock = 120},
      {END}}},
    {"key change: a meter with a transport key refuses one sealed under its old key (Err 17)",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 1000}, {INSERT, 0, KV_OK},
      /* what the holder of the old meter key can make (or what the station
       * makes only when forced) */
      {ISSUE, 1, KV_CARD_KEY_CHANGE, 8001}, {KEYCHANGE1, 1, 2, 1},
      {INSERT, 1, KV_E_TRANSPORT},
      {EXPECT, .mask = C_TEXT, .text = "Err 17"},
      /* the key did not move: a token of the old key still loads */
      {SELL, 0, 500}, {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_REM, .rem = 1500},
      /* the transport-sealed one moves it */
      {KEYCHANGE, 1, 2}, {INSERT, 1, KV_OK},
      {EXPECT, .mask = C_TEXT | C_EVENT, .text = "CodE donE", .event = METER_EV_KEY_CHANGE},
      {SELL, 0, 500}, {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_REM, .rem = 2000},
      /* and never back to a version whose key may be out there */
      {KEYCHANGE, 1, 1, 1}, {INSERT, 1, KV_E_KEY_VERSION},
      {SELL, 0, 500}, {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_REM, .rem = 2500},
      {END}}},
    {"key change: a meter provisioned with a version 1 block refuses the transport kind, uncounted, and takes the old one",
     {{BOOT, 2, 2000, 500, 10000, 0, 30},
      {ISSUE, 0, U, 1001}, {SELL, 0, 1000}, {INSERT, 0, KV_OK},
      {ISSUE, 1, KV_CARD_KEY_CHANGE, 8001}, {KEYCHANGE, 1, 2, 1},
      {INSERT, 1, KV_E_TRANSPORT}, {INSERT, 1, KV_E_TRANSPORT},
      {INSERT, 1, KV_E_TRANSPORT}, {INSERT, 1, KV_E_TRANSPORT},
      {EXPECT, .mask = C_TEXT | C_LOCK, .text = "Err 17", .lock = 0},
      {KEYCHANGE1, 1, 2}, {INSERT, 1, KV_OK},
      {EXPECT, .mask = C_TEXT, .text = "CodE donE"},
      {SELL, 0, 500}, {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_REM, .rem = 1500},
      {END}}},
    {"lockout: the bad-card count is kept while the memory fails, and saved once it works",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 5000},
      {FOREIGN, 1, 22222222, 0},
      {NVFAIL, 0, 1},
      {INSERT, 1, KV_E_METER}, {INSERT, 1, KV_E_METER},
      {EXPECT, .mask = C_TEXT, .text = "Err 07"},
      {INSERT, 1, KV_E_METER},
      {EXPECT, .mask = C_LOCK | C_EVENT, .lock = 60, .event = METER_EV_LOCKOUT},
      {INSERT, 0, METER_E_LOCKOUT},
      {RUNW, 0, 0, 0, 0, 5},
      {EXPECT, .mask = C_LOCK, .lock = 55},
      /* the memory recovers: the next tick saves what waited */
      {NVFAIL, 0, 0},
      {RUNW, 0, 0, 0, 0, 1},
      {REBOOT},
      {EXPECT, .mask = C_LOCK, .lock = 54},
      {INSERT, 0, METER_E_LOCKOUT},
      {END}}},
    {"lockout: balance checks and hoarding refusals do not count; a check is a good card",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 5000}, {INSERT, 0, KV_OK},
      {INSERT, 0, KV_OK}, {INSERT, 0, KV_OK}, {INSERT, 0, KV_OK}, {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_LOCK | C_TEXT, .lock = 0, .text = "bALAncE"},
      /* two bad cards, a check, two bad cards: the check reset the count */
      {FOREIGN, 1, 22222222, 0},
      {INSERT, 1, KV_E_METER}, {INSERT, 1, KV_E_METER}, {INSERT, 0, KV_OK},
      {INSERT, 1, KV_E_METER}, {INSERT, 1, KV_E_METER},
      {EXPECT, .mask = C_LOCK, .lock = 0},
      {INSERT, 1, KV_E_METER},
      {EXPECT, .mask = C_LOCK, .lock = 60},
      {RUNW, 0, 0, 0, 0, 60},
      {SELL, 0, 6000},
      {INSERT, 0, KV_E_HOARD}, {INSERT, 0, KV_E_HOARD}, {INSERT, 0, KV_E_HOARD},
      {EXPECT, .mask = C_LOCK | C_REM, .lock = 0, .rem = 5000},
      {END}}},
    {"key change: new key loads, tokens of the old key are refused",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 1000}, {INSERT, 0, KV_OK},
      {ISSUE, 1, KV_CARD_KEY_CHANGE, 8001}, {KEYCHANGE, 1, 2}, {INSERT, 1, KV_OK},
      {EXPECT, .mask = C_TEXT | C_EVENT, .text = "CodE donE", .event = METER_EV_KEY_CHANGE},
      {RB, 1, KV_OK, 1000, .mask = C_RBREM},
      {REBOOT},
      {INSERT, 0, KV_E_KEY_VERSION},
      {ISSUE, 2, U, 1002}, {SELL, 2, 700}, {INSERT, 2, KV_OK},
      {EXPECT, .mask = C_REM, .rem = 1700},
      {END}}},
    {"key version: a token of an older key version shows Err 08, not counted as a bad card",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 1000}, {INSERT, 0, KV_OK},
      {ISSUE, 1, KV_CARD_KEY_CHANGE, 8001}, {KEYCHANGE, 1, 2}, {INSERT, 1, KV_OK},
      /* the user's card still holds the token sold before the rotation */
      {INSERT, 0, KV_E_KEY_VERSION}, {INSERT, 0, KV_E_KEY_VERSION},
      {INSERT, 0, KV_E_KEY_VERSION}, {INSERT, 0, KV_E_KEY_VERSION},
      {EXPECT, .mask = C_LOCK | C_TEXT | C_REM, .lock = 0, .text = "Err 08", .rem = 1000},
      /* neither counted nor forgiven: two bad cards, an old key, a bad card */
      {FOREIGN, 2, 22222222, 0},
      {INSERT, 2, KV_E_METER}, {INSERT, 2, KV_E_METER}, {INSERT, 0, KV_E_KEY_VERSION},
      {EXPECT, .mask = C_LOCK, .lock = 0},
      {INSERT, 2, KV_E_METER},
      {EXPECT, .mask = C_LOCK, .lock = 60},
      {END}}},
    {"key version: a token of a newer key version shows Err 08, not counted, loads after the key change",
     {BOOT_DEFAULT,
      /* the office rotates the key, but the key-change card is not yet in */
      {ISSUE, 1, KV_CARD_KEY_CHANGE, 8001}, {KEYCHANGE, 1, 2},
      {ISSUE, 0, U, 1001}, {SELL, 0, 1000},
      {INSERT, 0, KV_E_KEY_VERSION}, {INSERT, 0, KV_E_KEY_VERSION},
      {INSERT, 0, KV_E_KEY_VERSION}, {INSERT, 0, KV_E_KEY_VERSION},
      {EXPECT, .mask = C_LOCK | C_TEXT | C_REM, .lock = 0, .text = "Err 08", .rem = 0},
      {INSERT, 1, KV_OK},
      {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_REM, .rem = 1000},
      {END}}},
    {"key version: a torn token beside an old one is a failed authentication, counted",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 1000}, {INSERT, 0, KV_OK},
      {SELL, 0, 500}, {INSERT, 0, KV_OK},
      {ISSUE, 1, KV_CARD_KEY_CHANGE, 8001}, {KEYCHANGE, 1, 2}, {INSERT, 1, KV_OK},
      /* a sale under the new key torn after 19 bytes: one slot fails its
       * MAC, the other holds a token of the old key */
      {SELL, 0, 700, 20},
      {INSERT, 0, KV_E_MAC},
      {EXPECT, .mask = C_TEXT | C_REM, .text = "Err 10", .rem = 1500},
      {INSERT, 0, KV_E_MAC}, {INSERT, 0, KV_E_MAC},
      {EXPECT, .mask = C_LOCK, .lock = 60},
      {RUNW, 0, 0, 0, 0, 60},
      {SELL, 0, 0}, {INSERT, 0, KV_OK},
      {EXPECT, .mask = C_REM, .rem = 2200},
      {END}}},
    {"test card: display test, harmless and repeatable",
     {BOOT_DEFAULT,
      {ISSUE, 1, KV_CARD_TEST, 9001}, {TOKEN, 1}, {INSERT, 1, KV_OK},
      {EXPECT, .mask = C_TEXT | C_EVENT, .text = "8.8.8.8.8.8.8.8.8.8.", .event = METER_EV_TEST},
      {INSERT, 1, KV_OK},
      {END}}},
    {"unprovisioned: shows it and does nothing else",
     {{BOOT, 1},
      {EXPECT, .mask = C_TEXT | C_RELAY | C_LAMPS, .text = "UnProG", .relay = 0, .lamps = 0},
      {ISSUE, 0, U, 1001}, {SELL, 0, 5000}, {INSERT, 0, KV_E_PROVISION},
      {RUNW, 0, 1000, 1000, 1000, 60},
      {EXPECT, .mask = C_TEXT | C_RELAY | C_REM, .text = "UnProG", .relay = 0, .rem = 0},
      {END}}},
    {"display: pages through the button",
     {BOOT_DEFAULT,
      {ISSUE, 0, U, 1001}, {SELL, 0, 5000}, {INSERT, 0, KV_OK},
      {RUNW, 0, 3600, 7200, 0, 3600},
      {EXPECT, .mask = C_TEXT, .text = "0039.20kWh"},
      {BUTTON}, {EXPECT, .mask = C_TEXT, .text = "E 0010.80kWh"},
      {BUTTON}, {EXPECT, .mask = C_TEXT, .text = "1 0003.60kWh"},
      {BUTTON}, {EXPECT, .mask = C_TEXT, .text = "2 0007.20kWh"},
      {BUTTON}, {EXPECT, .mask = C_TEXT, .text = "3 0000.00kWh"},
      {BUTTON}, {EXPECT, .mask = C_TEXT, .text = "P 0010.800"},
      {BUTTON}, {EXPECT, .mask = C_TEXT, .text = "tAMP ---"},
      /* the meter number from the provisioning block, as the office
       * prints it (8 digits and the check digit), then the firmware */
      {BUTTON}, {EXPECT, .mask = C_TEXT, .text = "n123456782"},
      {BUTTON}, {EXPECT, .mask = C_TEXT, .text = "UEr " PACKAGE_VERSION},
      {BUTTON}, {EXPECT, .mask = C_TEXT, .text = "FLt ----"},
      {BUTTON}, {EXPECT, .mask = C_TEXT, .text = "0039.20kWh"},
      {END}}},
};

/* ---- the engine --------------------------------------------------------- */

static host_board board;
static sle4442 cards[4];
static fw_office office;
static fw_office foreign;
static uint8_t prov[KV_PROVISION_LEN];
static int provisioned;
static uint8_t nv_kept[METER_NV_SIZE];

static void fail(const char *scn, unsigned i, const char *what)
{
    kvtest_puts("  scenario \"");
    kvtest_puts(scn);
    kvtest_puts("\" step ");
    kvtest_print_u32("", i);
    kvtest_fail_at(__FILE__, __LINE__, what);
}

#define CHECK(cond, what)                 \
    do {                                  \
        kvtest_checks++;                  \
        if (!(cond))                      \
            fail(sc->name, i, what);      \
    } while (0)

static void do_run(const int32_t w[3], uint8_t phase_ok, uint32_t secs)
{
    host_board_run(&board, w, phase_ok, secs);
}

static void expect(const scenario *sc, unsigned i, const step *s)
{
    const meter *m = &board.m;
    if (s->mask & C_REM)
        CHECK(m->st.remaining == s->rem, "remaining credit");
    if (s->mask & C_CUM)
        CHECK(m->st.cumulative_loaded == s->cum, "cumulative loaded");
    if (s->mask & C_RELAY)
        CHECK(board.relay_cmd == s->relay, "relay");
    if (s->mask & C_LAMPS)
        CHECK(board.lamps == s->lamps, "lamps");
    if (s->mask & C_TEXT) {
        size_t n = (s->mask & C_PREFIX) ? strlen(s->text) : sizeof board.text;
        CHECK(strncmp(board.text, s->text, n) == 0, "display text");
        if (strncmp(board.text, s->text, n) != 0) {
            kvtest_puts("    shows \"");
            kvtest_puts(board.text);
            kvtest_puts("\", expected \"");
            kvtest_puts(s->text);
            kvtest_puts("\"\n");
        }
    }
    if (s->mask & C_ENERGY)
        CHECK(meter_total_energy(m) == s->energy, "total energy");
    if (s->mask & C_PHASES)
        for (int p = 0; p < 3; p++)
            CHECK(m->st.phase_energy[p] == s->phase[p], "phase energy");
    if (s->mask & C_TAMPER)
        CHECK(m->st.tamper == s->tamper, "tamper flags");
    if (s->mask & C_EVENT)
        CHECK(m->st.events[0] == s->event, "newest event");
    if (s->mask & C_LOCK)
        CHECK(m->st.lockout_left == s->lock, "lockout seconds");
    if (s->mask & C_SUPPLY)
        CHECK(m->st.supply == s->supply, "supply flags");
    if (s->mask & C_BAL)
        CHECK((int64_t)m->st.remaining + meter_total_energy(m) + m->st.cleared ==
                  (int64_t)m->st.cumulative_loaded,
              "ledger balance");
    if (s->mask & C_CLR)
        CHECK(m->st.cleared == s->energy, "credit cleared");
    if (s->mask & C_NEG)
        CHECK(m->st.remaining < 0, "remaining below zero");
}

/* Power cut and back: RAM gone, NV and plant stay. */
static void reboot(void)
{
    host_persist keep = board.p;
    meter_wipe(&board.m);
    memset(&board.m, 0, sizeof board.m);
    host_board_boot(&board, provisioned ? prov : NULL);
    keep.run = board.m.run;
    board.p = keep;
    board.relay_cmd = board.m.run.relay_closed;
}

static void run_one(const scenario *sc)
{
    for (unsigned i = 0; sc->steps[i].op != END; i++) {
        const step *s = &sc->steps[i];
        sle4442 *c = &cards[s->n];
        switch (s->op) {
        case BOOT:
            host_board_init(&board, 301);
            fw_office_init(&office, 0x4B560001u, 12345678);
            provisioned = s->n != 1;
            if (s->n == 2)
                office.block_version = KV_PROVISION_V1;
            if (provisioned)
                fw_office_provision(&office, (uint32_t)s->a, (uint32_t)s->b, (uint32_t)s->c,
                                    (uint32_t)s->d, (uint16_t)s->e, prov);
            host_board_boot(&board, provisioned ? prov : NULL);
            break;
        case REBOOT:
            reboot();
            break;
        case ISSUE:
            fw_card_issue(c, &office, (uint8_t)s->a, (uint32_t)s->b);
            break;
        case FOREIGN:
            fw_office_init(&foreign, s->b ? (uint32_t)s->b : office.utility, (uint32_t)s->a);
            if (s->c) {
                kv_token t;
                memset(&t, 0, sizeof t);
                t.u.issued_at = 1760000000u;
                fw_card_issue(c, &foreign, (uint8_t)s->c, 4242);
                CHECK(fw_card_token(c, &foreign, &t, -1) == KV_OK, "foreign token");
                break;
            }
            fw_card_issue(c, &foreign, KV_CARD_USER, 4242);
            fw_card_sell(c, &foreign, 1000, -1);
            break;
        case SELL:
            if (s->a == 0) { /* rewrite the last sale (the station's retry) */
                office.seq--;
                CHECK(fw_card_sell(c, &office, 0, -1) == KV_OK, "sell");
            } else {
                CHECK(fw_card_sell(c, &office, (uint32_t)s->a, s->b ? s->b - 1 : -1) == KV_OK,
                      "sell");
            }
            break;
        case PARAMS: {
            kv_token t;
            memset(&t, 0, sizeof t);
            t.u.params.alarm_level = (uint32_t)s->a;
            t.u.params.pretrip_level = (uint32_t)s->b;
            t.u.params.hoarding_limit = (uint32_t)s->c;
            t.u.params.max_power = (uint32_t)s->d;
            t.u.params.reconnect_delay = (uint16_t)s->e;
            t.u.params.emergency_kwh = (uint8_t)s->cum;
            CHECK(fw_card_token(c, &office, &t, -1) == KV_OK, "parameter token");
            break;
        }
        case TOKEN: {
            kv_token t;
            memset(&t, 0, sizeof t);
            t.u.issued_at = 1760000000u;
            CHECK(fw_card_token(c, &office, &t, s->b ? s->b - 1 : -1) == KV_OK, "token");
            break;
        }
        case KEYCHANGE:
        case KEYCHANGE1: {
            kv_token t;
            memset(&t, 0, sizeof t);
            if (s->op == KEYCHANGE1)
                t.kind = KV_TOKEN_KEY_CHANGE;
            t.u.key_change.new_key_version = (uint8_t)s->a;
            kv_derive_meter_key(office.master, office.utility, office.meter, (uint8_t)s->a,
                                t.u.key_change.new_k_meter);
            CHECK(fw_card_token(c, &office, &t, -1) == KV_OK, "key-change token");
            if (s->b == 1)
                break;
            /* from now on the office seals with the new key */
            office.key_version = (uint8_t)s->a;
            memcpy(office.k_meter, t.u.key_change.new_k_meter, 16);
            break;
        }
        case FORGE: {
            unsigned off = (s->b ? KV_TOKEN_B : KV_TOKEN_A) + (unsigned)s->a;
            unsigned slot = s->b ? KV_TOKEN_B : KV_TOKEN_A;
            /* forge the slot that holds a token */
            if (c->main[slot] == 0xFF)
                off = (s->b ? KV_TOKEN_A : KV_TOKEN_B) + (unsigned)s->a;
            c->main[off] ^= 0x01;
            break;
        }
        case LOADS:
            for (int32_t k = 0; k < s->b; k++) {
                CHECK(fw_card_sell(c, &office, (uint32_t)s->a, -1) == KV_OK, "sell");
                CHECK(host_board_insert(&board, c) == KV_OK, "load");
                host_board_remove(&board, c);
            }
            break;
        case FAKECHECK: {
            /* What anyone can make: the identity bytes are public, the CRC
             * is not a secret.  The card keeps its factory PSC, so a PSC
             * the meter presents would show as a failed try. */
            static const uint8_t ff[3] = {0xFF, 0xFF, 0xFF};
            kv_identity id = {KV_FORMAT_VERSION, KV_CARD_CHECK, office.utility,
                              (uint32_t)s->a, office.meter, office.key_version};
            uint8_t idb[KV_ID_LEN];
            fw_card_blank(c);
            kv_identity_encode(&id, idb);
            sle_verify_psc(c, ff);
            for (int k = 0; k < KV_ID_LEN; k++)
                sle_update_main(c, KV_ID_OFF + (unsigned)k, idb[k]);
            sle_power_on(c);
            break;
        }
        case TRIES: {
            unsigned blank = 1;
            for (unsigned k = KV_READBACK_A; k < KV_READBACK_B + KV_SLOT_LEN; k++)
                blank &= c->main[k] == 0xFF;
            CHECK(sle_tries_left(c) == (unsigned)s->a, "PSC tries left (a PSC was presented)");
            CHECK(blank, "no readback written");
            break;
        }
        case CLONE:
            fw_card_blank(c);
            if (s->a >= 0) {
                memcpy(c->main + 4, cards[s->a].main + 4, KV_CARD_SIZE - 4);
                memcpy(c->prot, cards[s->a].prot, 4);
            }
            break;
        case INSERT: {
            int rc = host_board_insert(&board, c);
            host_board_remove(&board, c);
            CHECK(rc == s->a, "card result");
            if (rc != s->a) {
                kvtest_print_u32("    result", (unsigned long)rc);
                kvtest_print_u32("    expected", (unsigned long)s->a);
            }
            break;
        }
        case RUN: {
            int32_t w[3];
            for (int p = 0; p < 3; p++)
                w[p] = s->a * ((s->b >> (8 - 4 * p)) & 0xF);
            do_run(w, (uint8_t)s->d, (uint32_t)s->c);
            break;
        }
        case RUNW: {
            int32_t w[3] = {s->a, s->b, s->c};
            do_run(w, ALL, (uint32_t)s->d);
            break;
        }
        case STUCK:
            board.p.relay_stuck = (uint8_t)s->a;
            break;
        case COVER:
            board.p.cover_open = (uint8_t)s->a;
            break;
        case BUTTON:
            meter_button(&board.m);
            break;
        case HOLD:
            CHECK(meter_emergency(&board.m) == s->a, "emergency credit taken or not");
            break;
        case NVFAIL:
            board.nv_fail = (uint8_t)s->a;
            break;
        case NVKEEP:
            memcpy(nv_kept, board.nv, sizeof nv_kept);
            break;
        case NVBACK:
            memcpy(board.nv, nv_kept, sizeof nv_kept);
            reboot();
            break;
        case CORRUPT: {
            uint32_t slot = board.m.state_seq % NVREC_STATE_SLOTS;
            board.nv[NVREC_STATE_BASE + slot * NVREC_STATE_STRIDE + 20] ^= 0x10;
            break;
        }
        case EXPECT:
            expect(sc, i, s);
            break;
        case RB: {
            kv_readback rb;
            int err = fw_card_readback(c, &office, &rb);
            CHECK(err == KV_OK, "readback on the card");
            if (err == KV_OK) {
                CHECK(rb.result == s->a, "readback result");
                CHECK(rb.cumulative_loaded == board.m.st.cumulative_loaded, "readback cumulative");
                CHECK(rb.total_energy == meter_total_energy(&board.m), "readback energy");
                if (s->mask & C_RBREM)
                    CHECK(rb.remaining == s->b, "readback remaining");
                if (s->mask & C_RBSTAT)
                    CHECK(rb.status == s->supply, "readback status");
                if (s->mask & C_RBCLR)
                    CHECK(rb.cleared == s->cum, "readback: credit cleared");
                if (s->mask & C_RBEMG)
                    CHECK(rb.format == 3 && rb.emergency == s->cum,
                          "readback: emergency allowance");
                if (s->mask & C_RBEV)
                    CHECK(memchr(rb.events, s->event, KV_READBACK_EVENTS) != NULL,
                          "event in the readback's last four");
            }
            break;
        }
        default:
            break;
        }
    }
}

unsigned fw_scenarios_count(void)
{
    return sizeof table / sizeof table[0];
}

unsigned fw_scenarios_run(void)
{
    unsigned before = kvtest_failures;
    for (unsigned i = 0; i < fw_scenarios_count(); i++) {
        unsigned f = kvtest_failures;
        run_one(&table[i]);
        kvtest_puts(kvtest_failures == f ? "ok   " : "FAIL ");
        kvtest_puts(table[i].name);
        kvtest_puts("\n");
    }
    return kvtest_failures - before;
}
