/* kv_card.h - the Kilovend card contract: layout, keys, tokens, readback.
 *
 * This header and docs/card-format.md are the single definition of what is
 * written on an SLE4442 card.  The station (through OpenSSL-checked tests) and
 * the meter firmware both compile this code; nothing here allocates, and every
 * context belongs to the caller.  All multi-byte integers are big-endian.
 *
 * Card memory map (256 bytes main memory):
 *   0x00..0x03  ATR header written by the card maker (never written by us)
 *   0x04..0x14  identity (17 bytes), locked with the protection bits at issue
 *   0x15..0x1F  left as delivered (many cards carry an ISO 7816-5 AID here)
 *   0x20..0x4F  token slot A (48 bytes)      written by the station
 *   0x50..0x7F  token slot B (48 bytes)      written by the station
 *   0x80..0xAF  readback slot A (48 bytes)   written by the meter
 *   0xB0..0xDF  readback slot B (48 bytes)   written by the meter
 *   0xE0..0xFF  reserved, left 0xFF
 *
 * Tearing rule: a writer never touches the slot that holds the newest valid
 * record; it writes the other one, and the record's MAC is its commit mark.
 * A write cut after any byte leaves that slot failing its MAC, so a reader
 * sees the old record; once the last byte is written it sees the new one.
 */
#ifndef KV_CARD_H
#define KV_CARD_H

#include <stddef.h>
#include <stdint.h>

#include "kv_cmac.h"
#include "kv_err.h"

#define KV_CARD_SIZE 256
#define KV_FORMAT_VERSION 1

#define KV_ID_OFF 0x04
#define KV_ID_LEN 17          /* 0x04..0x14 */
#define KV_ID_AUTH_LEN 15     /* the identity bytes covered by every MAC */
#define KV_LOCK_END 0x20      /* bytes 0x00..0x1F are locked at issue */

#define KV_TOKEN_A 0x20
#define KV_TOKEN_B 0x50
#define KV_READBACK_A 0x80
#define KV_READBACK_B 0xB0
#define KV_SLOT_LEN 48

#define KV_TOKEN_BODY_LEN 32
#define KV_MAC_LEN 8
#define KV_TOKEN_USED 48      /* bytes of a token slot the contract writes:
                               * 46..47 hold the issuer (0xFF 0xFF: none) */
#define KV_ISSUER_MAX 0x7FFF  /* issuer numbers are 1..32767; 0 = none */
#define KV_READBACK_USED 48
#define KV_READBACK_EVENTS 4

#define KV_PSC_LEN 3

/* Card types (identity byte 0x05). */
typedef enum {
    KV_CARD_USER = 0x01,         /* purchase card: carries credit tokens */
    KV_CARD_CHECK = 0x10,        /* collects a meter's readback */
    KV_CARD_PARAMETER = 0x11,    /* sets alarm, pre-trip, hoarding, max power */
    KV_CARD_CLEAR_TAMPER = 0x12, /* clears the tamper state */
    KV_CARD_KEY_CHANGE = 0x13,   /* moves the meter to a new key version */
    KV_CARD_TEST = 0x14,         /* runs the display/relay/lamp self test */
    /* Added in the third revision; never renumber. */
    KV_CARD_CLEAR_CREDIT = 0x15  /* empties the meter's remaining credit */
} kv_card_type;

/* Token kinds (token byte 0).  Each card type carries the kind
 * kv_card_token_kind() names; a key-change card may also carry the first
 * revision's key change (0x04), which only meters without a transport key
 * take.  Check cards of the first revision carry no token and are refused. */
typedef enum {
    KV_TOKEN_CREDIT = 0x01,
    KV_TOKEN_PARAMETERS = 0x02,
    KV_TOKEN_CLEAR_TAMPER = 0x03,
    KV_TOKEN_KEY_CHANGE = 0x04,
    KV_TOKEN_TEST = 0x05,
    /* Added in the second revision; never renumber. */
    KV_TOKEN_KEY_CHANGE_T = 0x06, /* key change sealed under the transport key */
    KV_TOKEN_CHECK = 0x07,        /* authenticates a check card */
    /* Added in the third revision; never renumber. */
    KV_TOKEN_CLEAR_CREDIT = 0x08  /* empties the remaining credit, once */
} kv_token_kind;

/* ---- Identity ---------------------------------------------------------- */

typedef struct {
    uint8_t format_version;  /* KV_FORMAT_VERSION */
    uint8_t card_type;       /* kv_card_type */
    uint32_t utility_code;   /* the utility that issued the card, non-zero */
    uint32_t card_serial;    /* unique per utility, non-zero */
    uint32_t meter_number;   /* meter the card is bound to (with check digit) */
    uint8_t key_version;     /* PSC key version of the meter at issue */
} kv_identity;

/* Encode 17 bytes (with CRC-16) / decode and check them.  decode returns
 * KV_E_BLANK for an erased area (all 0xFF), KV_E_CHECKSUM, KV_E_FORMAT or
 * KV_E_CARD_TYPE. */
kv_err kv_identity_encode(const kv_identity *id, uint8_t out[KV_ID_LEN]);
kv_err kv_identity_decode(const uint8_t in[KV_ID_LEN], kv_identity *id);
int kv_card_type_valid(unsigned type);

/* Meter numbers are 9 decimal digits (leading zeros allowed): 8 digits of
 * serial then a Luhn check digit.  1 if n is such a number and non-zero. */
int kv_meter_number_valid(uint32_t n);
/* The Luhn check digit for an 8-digit base. */
unsigned kv_meter_check_digit(uint32_t base);
/* The kind the station seals on this card type (0 for an unknown type). */
kv_token_kind kv_card_token_kind(kv_card_type type);
/* 1 if a token of this kind may stand on this card type. */
int kv_card_kind_allowed(unsigned card_type, unsigned kind);

/* Is this card for this meter?  KV_E_UTILITY, KV_E_METER or KV_OK. */
kv_err kv_identity_check(const kv_identity *id, uint32_t utility_code, uint32_t meter_number);

/* ---- Keys --------------------------------------------------------------- */

/* The per-meter keys.  The station derives them from the utility master key;
 * the meter receives k_meter and k_psc in its provisioning block and derives
 * the rest.  Wipe with kv_meter_keys_wipe(). */
typedef struct {
    uint8_t key_version;   /* version of k_meter (tokens, readback) */
    uint8_t k_meter[16];
    uint8_t k_enc[16];     /* token body encryption (AES-CTR) */
    uint8_t k_mac[16];     /* token authentication (CMAC) */
    uint8_t k_rb[16];      /* readback authentication (CMAC), meter -> station */
    uint8_t k_psc[16];     /* derives each card's PSC; does not rotate */
    uint8_t has_transport; /* 1 once kv_meter_keys_set_transport() ran */
    uint8_t k_transport[16]; /* wraps new meter keys; never derived from k_meter */
    uint8_t k_tenc[16];    /* key-change body encryption, from k_transport */
    uint8_t k_tmac[16];    /* key-change authentication, from k_transport */
    /* k_enc, k_mac and k_rb made ready once (key schedules, CMAC subkeys):
     * a token load then runs no key schedule at all */
    kv_aes128_ctx a_enc;
    kv_cmac_key c_mac;
    kv_cmac_key c_rb;
} kv_meter_keys;

/* k_meter = KDF(master, "kilovend meter", utility || meter || version) */
void kv_derive_meter_key(const uint8_t master[16], uint32_t utility_code,
                         uint32_t meter_number, uint8_t key_version, uint8_t out[16]);
/* k_psc = KDF(master, "kilovend psc", utility || meter || version) */
void kv_derive_psc_key(const uint8_t master[16], uint32_t utility_code,
                       uint32_t meter_number, uint8_t psc_key_version, uint8_t out[16]);
/* k_transport = KDF(master, "kilovend transport", utility || meter || version),
 * version = the PSC key version (the master key the meter was provisioned
 * under): it does not rotate with k_meter, so the holder of an old meter key
 * cannot open the key-change token that replaces it. */
void kv_derive_transport_key(const uint8_t master[16], uint32_t utility_code,
                             uint32_t meter_number, uint8_t version, uint8_t out[16]);
/* Fill k_enc, k_mac, k_rb from k_meter; copies k_meter and k_psc in.  The
 * transport key is cleared: set it again with kv_meter_keys_set_transport. */
void kv_meter_keys_init(kv_meter_keys *keys, const uint8_t k_meter[16],
                        uint8_t key_version, const uint8_t k_psc[16]);
/* Copy k_transport in and derive k_tenc, k_tmac from it. */
void kv_meter_keys_set_transport(kv_meter_keys *keys, const uint8_t k_transport[16]);
void kv_meter_keys_wipe(kv_meter_keys *keys);

/* The card's PSC: out = KDF(k_psc, "kilovend card psc", serial); the PSC is
 * the first of the 3-byte groups out[0..2], out[3..5], ... out[12..14] that is
 * neither FF FF FF (the factory code) nor 00 00 00. */
void kv_card_psc(const kv_meter_keys *keys, uint32_t card_serial, uint8_t psc[KV_PSC_LEN]);

/* ---- Tokens ------------------------------------------------------------- */

typedef struct {
    uint32_t cumulative;  /* credit ever sold to this meter, 0.01 kWh */
    uint32_t amount;      /* this purchase, 0.01 kWh (informative) */
    uint32_t issued_at;   /* seconds since 1970-01-01 UTC */
    uint32_t sale_ref;    /* the station's sale number */
    uint16_t office;      /* issuing office */
} kv_credit;

typedef struct {
    uint32_t alarm_level;     /* red lamp below this, 0.01 kWh */
    uint32_t pretrip_level;   /* yellow lamp and trip below this, 0.01 kWh */
    uint32_t hoarding_limit;  /* max remaining credit after a load, 0.01 kWh */
    uint32_t max_power;       /* W, 0 = no limit */
    uint16_t reconnect_delay; /* s after an over-power trip */
    uint32_t issued_at;
    uint8_t emergency_kwh;    /* emergency allowance, whole kWh, 0 = none
                               * (body byte 22, zero in every token sealed
                               * before it existed; fourth revision) */
} kv_parameters;

typedef struct {
    uint8_t new_key_version;
    uint8_t new_k_meter[16];
    uint32_t issued_at;
} kv_key_change;

typedef struct {
    uint8_t kind;          /* kv_token_kind */
    uint8_t key_version;   /* version of the meter key that sealed it */
    uint32_t seq;          /* per-meter token sequence, strictly increasing */
    uint16_t issuer;       /* issuing office or station, 1..KV_ISSUER_MAX, in
                            * the counter block; 0 = none (first revision) */
    union {
        kv_credit credit;
        kv_parameters params;
        kv_key_change key_change;
        uint32_t issued_at; /* clear-tamper, test, check and clear-credit
                             * tokens */
    } u;
} kv_token;

/* Seal a token for the card described by id into a 48-byte slot image
 * (bytes 46..47 are 0xFF, never written).  Fails with KV_E_KEY_VERSION if
 * token->key_version differs from keys->key_version, KV_E_KIND if the kind
 * does not belong on this card type, KV_E_FIELD for bad field values. */
kv_err kv_token_seal(const kv_meter_keys *keys, const kv_identity *id,
                     const kv_token *token, uint8_t slot[KV_SLOT_LEN]);

/* Open one slot: KV_E_EMPTY (never written), KV_E_KEY_VERSION,
 * KV_E_TRANSPORT (a transport-sealed key change and keys without a
 * transport key), KV_E_MAC (forged, damaged or torn), KV_E_KIND,
 * KV_E_FIELD.  On error *token is zeroed. */
kv_err kv_token_open(const kv_meter_keys *keys, const kv_identity *id,
                     const uint8_t slot[KV_SLOT_LEN], kv_token *token);

/* The AES-CTR initial counter block of the token in a sealed slot:
 * kind, key version, meter, card serial, sequence, then (issuer << 1) in
 * bytes 14..15 (the body's second block adds 1).  With issuer 0 it is the
 * first revision's block.  KV_E_FIELD if the slot's issuer bytes are not a
 * valid issuer. */
kv_err kv_token_counter_block(const kv_identity *id, const uint8_t slot[KV_SLOT_LEN],
                              uint8_t block[16]);

/* The loading rule, shared by the meter (which applies it) and the station
 * (which predicts refusals before it takes money).  The token carries the
 * credit ever sold to the meter; the meter loads the difference from what it
 * has already loaded, so a copy, a restored dump or an old card loads nothing
 * (KV_E_REPLAY).  The load is all or nothing: if remaining + new credit would
 * exceed the hoarding limit it is refused (KV_E_HOARD) and stays on the card.
 * A negative (over-zero) remaining is offset by the new credit.  On KV_OK the
 * new remaining and cumulative-loaded values are written to *new_*. */
kv_err kv_credit_load(const kv_credit *credit, int32_t remaining, uint32_t cumulative_loaded,
                      uint32_t hoarding_limit, int32_t *new_remaining,
                      uint32_t *new_cumulative);

/* ---- Meter readback ----------------------------------------------------- */

enum {
    KV_RB_RELAY_CLOSED = 0x01,
    KV_RB_RED = 0x02,
    KV_RB_YELLOW = 0x04,
    KV_RB_TRIPPED = 0x08,   /* opened below pre-trip, card can reclose */
    KV_RB_CUTOFF = 0x10,    /* opened at zero, only a purchase restores */
    KV_RB_TAMPER = 0x20,
    KV_RB_LOCKOUT = 0x40,   /* refusing cards after repeated bad ones */
    KV_RB_OVERPOWER = 0x80
};

typedef struct {
    uint8_t status;            /* KV_RB_* */
    uint8_t key_version;       /* meter's current key version */
    uint32_t counter;          /* readbacks written by this meter, increasing */
    int32_t remaining;         /* 0.01 kWh, negative = over-zero */
    uint32_t cumulative_loaded;/* 0.01 kWh */
    uint32_t total_energy;     /* 0.01 kWh, never decreases */
    uint32_t phase_energy[3];  /* L1, L2, L3, 0.01 kWh */
    uint32_t last_seq;         /* seq of the last token the meter accepted */
    uint8_t result;            /* kv_err of this insertion (0 = loaded/ok) */
    uint8_t events[KV_READBACK_EVENTS]; /* last event codes, newest first;
                                         * not on a clear-credit card */
    uint32_t cleared;          /* clear-credit card only (readback format 2,
                                * in the events' place): credit ever cleared
                                * by clear-credit tokens, 0.01 kWh */
    uint32_t emergency;        /* parameter card only (readback format 3, in
                                * the events' place): the meter's emergency
                                * allowance, 0.01 kWh */
    uint8_t format;            /* set by kv_readback_open: 1, 2 or 3 (a
                                * parameter card read by a meter older than
                                * format 3 carries 1: events, no allowance) */
} kv_readback;

kv_err kv_readback_seal(const kv_meter_keys *keys, const kv_identity *id,
                        const kv_readback *rb, uint8_t slot[KV_SLOT_LEN]);
kv_err kv_readback_open(const kv_meter_keys *keys, const kv_identity *id,
                        const uint8_t slot[KV_SLOT_LEN], kv_readback *rb);

/* ---- Whole card --------------------------------------------------------- */

/* What a reader with the keys makes of a card image. */
typedef struct {
    kv_identity id;
    kv_err token_err;      /* KV_OK if a token was found */
    kv_token token;        /* newest valid token */
    uint8_t token_slot;    /* 0 = A, 1 = B: where the newest token is */
    uint8_t token_torn;    /* the other slot holds a damaged record */
    kv_err readback_err;   /* KV_OK if a readback was found */
    kv_readback readback;  /* newest valid readback */
    uint8_t readback_slot;
    uint8_t readback_torn;
} kv_card_view;

/* Identity only, no keys needed (what any reader can see). */
kv_err kv_card_identity(const uint8_t image[KV_CARD_SIZE], kv_identity *id);

/* Decode everything.  Returns the identity error if the identity is bad;
 * otherwise KV_OK with token_err/readback_err telling what was found.
 * keys must belong to the meter the card is bound to (caller checks
 * id.meter_number before deriving them, see kv_card_identity). */
kv_err kv_card_decode(const kv_meter_keys *keys, const uint8_t image[KV_CARD_SIZE],
                      kv_card_view *view);

/* Offset where the next token (resp. readback) must be written: the slot
 * that does not hold the newest valid record.  view from kv_card_decode. */
unsigned kv_card_next_token_offset(const kv_card_view *view);
unsigned kv_card_next_readback_offset(const kv_card_view *view);

/* Which of the slot's first `used` bytes differ from the card: the writer
 * writes only those, in increasing address order, so the MAC (the last 8
 * used bytes, the commit mark) is written last.  Returns the number of
 * differing bytes and fills order[] (capacity KV_SLOT_LEN) with offsets
 * within the slot. */
unsigned kv_slot_write_plan(const uint8_t old_slot[KV_SLOT_LEN],
                            const uint8_t new_slot[KV_SLOT_LEN], unsigned used,
                            uint8_t order[KV_SLOT_LEN]);

#endif
