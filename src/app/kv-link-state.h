/* kv-link-state.h - the link to the head office, shown small under the
 * screens: online, offline since a time, records waiting, sync stopped by a
 * conflict.  Read from the core's sync state (kv_sync_status) on the
 * session's worker every few seconds; hidden for a single office. */
#pragma once

#include <gtk/gtk.h>

#include "kv-session.h"

G_BEGIN_DECLS

#define KV_TYPE_LINK_STATE (kv_link_state_get_type())
G_DECLARE_FINAL_TYPE(KvLinkState, kv_link_state, KV, LINK_STATE, GtkWidget)

typedef enum {
    KV_LINK_NONE,      /* no head office: a single office (or not read yet) */
    KV_LINK_ONLINE,
    KV_LINK_WAITING,   /* online, records not yet at head office */
    KV_LINK_OFFLINE,
    KV_LINK_CONFLICT,  /* sync stopped; or the ledger must recover */
} KvLinkMode;

KvLinkState *kv_link_state_new(void);
void kv_link_state_set_session(KvLinkState *self, KvSession *session);
/* Read the sync state now (on the worker; the widget changes when it is
 * back).  The page calls it after an online-only operation was refused. */
void kv_link_state_refresh(KvLinkState *self);

KvLinkMode kv_link_state_get_mode(KvLinkState *self);
/* What the indicator says ("Offline since 14:05"), and its longer text. */
const char *kv_link_state_get_text(KvLinkState *self);
const char *kv_link_state_get_details(KvLinkState *self);
/* The operations that need the head office may go ahead (no head office
 * at all, or online). */
gboolean kv_link_state_allows_online_only(KvLinkState *self);
/* Why an operation that needs the head office cannot be done now, as a
 * sentence for the screen ("A key-change card needs the head office…"),
 * or NULL when it can.  what: the operation, capitalised. */
char *kv_link_state_refusal(KvLinkState *self, const char *what);

G_END_DECLS
