/* kv-core-error.c - the KV_CORE_ERROR domain. */
#include "kv-core-error.h"

G_DEFINE_QUARK(kv-core-error-quark, kv_core_error)
