/* kv-payments.c - payment types and their references (rules in
 * kv-payments.h). */
#include <string.h>

#include "kv-i18n.h"
#include "kv-core-error.h"
#include "kv-payments.h"

static const struct {
    const char *key;
    const char *alias;
    const char *label; /* NC_("payment type", ...) */
    gboolean needs_ref;
} types[KV_PAYMENT_N_TYPES] = {
    [KV_PAYMENT_CASH] = { "cash", "cash", NC_("payment type", "cash"), FALSE },
    [KV_PAYMENT_MOBILE] = { "mobile-money", "mobile", NC_("payment type", "mobile money"), TRUE },
    [KV_PAYMENT_CARD] = { "bank-card", "card", NC_("payment type", "bank card"), FALSE },
    [KV_PAYMENT_TRANSFER] = { "bank-transfer", "transfer", NC_("payment type", "bank transfer"),
                              TRUE },
};

static gboolean known(KvPaymentType t)
{
    return (guint)t < KV_PAYMENT_N_TYPES;
}

const char *kv_payment_key(KvPaymentType t)
{
    return known(t) ? types[t].key : "?";
}

const char *kv_payment_label(KvPaymentType t)
{
    return known(t) ? C_("payment type", types[t].label) : "?";
}

gboolean kv_payment_parse(const char *text, KvPaymentType *out, GError **error)
{
    for (guint i = 0; text && i < KV_PAYMENT_N_TYPES; i++)
        if (g_ascii_strcasecmp(text, types[i].key) == 0 ||
            g_ascii_strcasecmp(text, types[i].alias) == 0) {
            *out = (KvPaymentType)i;
            return TRUE;
        }
    g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                _("unknown payment type '%s': cash, mobile-money, bank-card or bank-transfer"),
                text ? text : "");
    return FALSE;
}

gboolean kv_payment_needs_reference(KvPaymentType t)
{
    return known(t) && types[t].needs_ref;
}

gboolean kv_payment_check(KvPaymentType t, const char *reference, GError **error)
{
    gsize n = reference ? strlen(reference) : 0;

    if (!known(t)) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID, _("unknown payment type %d"),
                    (int)t);
        return FALSE;
    }
    if (t == KV_PAYMENT_CASH && n) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("a cash payment takes no reference"));
        return FALSE;
    }
    if (!n) {
        if (!types[t].needs_ref)
            return TRUE;
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("a %s payment needs its reference (--reference)"), kv_payment_label(t));
        return FALSE;
    }
    if (n > KV_PAYMENT_REF_MAX || strspn(reference, "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
                                                    "abcdefghijklmnopqrstuvwxyz"
                                                    "0123456789-_./") != n) {
        g_set_error(error, KV_CORE_ERROR, KV_CORE_ERROR_INVALID,
                    _("a payment reference is 1 to %d characters: letters, digits, - _ . /"),
                    KV_PAYMENT_REF_MAX);
        return FALSE;
    }
    return TRUE;
}
