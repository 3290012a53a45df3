/* kv-payments.h - how a sale is paid: cash, mobile money, bank card, bank
 * transfer, and the payment's reference (layer: base, no database).
 *
 * The rules (docs/station.md, "Payment types"):
 *  - cash takes no reference;
 *  - mobile money and bank transfer need the provider's reference (the
 *    transaction id the customer shows, the transfer's reference);
 *  - a bank card may carry the terminal's approval code;
 *  - a reference is 1 to 64 characters of A-Z a-z 0-9 - _ . / (what
 *    providers print), so that it is one word in the audit detail;
 *  - a reference is used once per type: the station refuses a second live
 *    sale with the same type and reference (kv-sales.c), so a cash sale
 *    cannot be booked as mobile money against a customer's old payment.
 * Only cash goes into the shift's expected cash.
 */
#ifndef KV_PAYMENTS_H
#define KV_PAYMENTS_H

#include <glib.h>

G_BEGIN_DECLS

/* Stored as these numbers in sales.payment (db/008-money.sql): never
 * renumber. */
typedef enum {
    KV_PAYMENT_CASH = 0,
    KV_PAYMENT_MOBILE = 1,
    KV_PAYMENT_CARD = 2,
    KV_PAYMENT_TRANSFER = 3,
} KvPaymentType;
#define KV_PAYMENT_N_TYPES 4
#define KV_PAYMENT_REF_MAX 64

/* The stable key ("cash", "mobile-money", "bank-card", "bank-transfer"):
 * CSV, JSON, the command line, the audit detail. */
const char *kv_payment_key(KvPaymentType t);
/* The name for people, in the station's language. */
const char *kv_payment_label(KvPaymentType t);
/* A key (or, for people, "mobile", "card", "transfer") to its type;
 * INVALID with the list of keys otherwise. */
gboolean kv_payment_parse(const char *text, KvPaymentType *out, GError **error);
/* Whether the type must carry a reference, and whether it may. */
gboolean kv_payment_needs_reference(KvPaymentType t);
/* A payment as a sale takes it: the type known, the reference present
 * where needed, absent for cash, well formed (INVALID with the reason). */
gboolean kv_payment_check(KvPaymentType t, const char *reference, GError **error);

G_END_DECLS

#endif
