/* kv-signin-page.h - sign in, open a shift (with a supervisor), close it. */
#pragma once

#include <adwaita.h>

#include "kv-session.h"

G_BEGIN_DECLS

#define KV_TYPE_SIGNIN_PAGE (kv_signin_page_get_type())
G_DECLARE_FINAL_TYPE(KvSigninPage, kv_signin_page, KV, SIGNIN_PAGE, GtkWidget)

void kv_signin_page_set_session(KvSigninPage *self, KvSession *session);
void kv_signin_page_show_credentials(KvSigninPage *self);
void kv_signin_page_show_shift(KvSigninPage *self);
void kv_signin_page_sign_out(KvSigninPage *self);
/* The station could not open: say why and what to do; nothing else works. */
void kv_signin_page_show_problem(KvSigninPage *self, const char *message);
/* Show the demonstration accounts. */
void kv_signin_page_set_demo(KvSigninPage *self, gboolean demo);
/* Ask for the cash counted, then close the shift through the core. */
void kv_signin_page_close_shift(KvSigninPage *self, GtkWindow *parent);

G_END_DECLS
