/* kv-window-private.h - KvWindow's fields, shared with kv-window-actions.c. */
#pragma once

#include "kv-admin-page.h"
#include "kv-cards-page.h"
#include "kv-customers-page.h"
#include "kv-link-state.h"
#include "kv-reports-page.h"
#include "kv-sell-page.h"
#include "kv-signin-page.h"
#include "kv-technician-page.h"
#include "kv-window.h"

G_BEGIN_DECLS

struct _KvWindow {
    AdwApplicationWindow parent_instance;

    KvSession *session;
    GSettings *settings;

    /* Template children */
    AdwToastOverlay *toast_overlay;
    GtkStack *main_stack;
    AdwViewStack *view_stack;
    GtkLabel *session_label;
    KvSigninPage *signin_page;
    KvSellPage *sell_page;
    KvCustomersPage *customers_page;
    KvCardsPage *cards_page;
    KvReportsPage *reports_page;
    KvAdminPage *admin_page;
    KvTechnicianPage *technician_page;
    KvLinkState *link_state;
    GMenu *primary_menu;

    gboolean without_shift;   /* a supervisor or admin chose no cash shift */
    gboolean quit_confirmed;  /* closing with a shift open was confirmed */
};

void _kv_window_class_actions_init(KvWindowClass *klass);
void _kv_window_actions_update(KvWindow *self);
/* Reports and administration without a cash shift (supervisor and up). */
void _kv_window_continue_without_shift(KvWindow *self);

G_END_DECLS
