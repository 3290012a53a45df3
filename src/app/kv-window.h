/* kv-window.h - the station window: sign-in, then the five screens. */
#pragma once

#include <adwaita.h>

#include "kv-application.h"
#include "kv-session.h"

G_BEGIN_DECLS

#define KV_TYPE_WINDOW (kv_window_get_type())
G_DECLARE_FINAL_TYPE(KvWindow, kv_window, KV, WINDOW, AdwApplicationWindow)

KvWindow *kv_window_new(KvApplication *app, KvSession *session);
KvSession *kv_window_get_session(KvWindow *self);

/* The screens: "sell", "customers", "cards", "reports", "admin". */
void kv_window_show_page(KvWindow *self, const char *name);
const char *kv_window_get_visible_page(KvWindow *self);
/* "signin" or "station". */
const char *kv_window_get_mode(KvWindow *self);

void kv_window_add_toast(KvWindow *self, const char *text);
/* The station cannot work (no database...): the sign-in page says why. */
void kv_window_show_problem(KvWindow *self, const char *message);

G_END_DECLS
