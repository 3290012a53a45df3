/* kv-demo.h - `kilovend --demo`: a station a newcomer can sell from.
 *
 * A demonstration database (a utility, users, a tariff, customers, meters
 * and their cards) is made through the core in a folder, then the app runs
 * again inside tests/pcsc/kv-pcsc-env: a private pcscd with the virtual
 * reader holding the first customer's card.  Nothing of the machine's own
 * card service or data is touched. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Demonstration credentials, shown on the sign-in page in demo mode. */
#define KV_DEMO_CASHIER "ama"
#define KV_DEMO_CASHIER_PASSWORD "cashier-demo"
#define KV_DEMO_SUPERVISOR "kofi"
#define KV_DEMO_SUPERVISOR_PASSWORD "supervisor-demo"
#define KV_DEMO_ADMIN "admin"
#define KV_DEMO_ADMIN_PASSWORD "admin-demo"
#define KV_DEMO_PASSPHRASE "demo passphrase"

/* Files of a demo folder. */
char *kv_demo_db_path(const char *dir);
char *kv_demo_keys_path(const char *dir);
/* Card file of demo card n (1: Ama's, 2: Yaw's, 3: a blocked card, 4: Esi's
 * current card, 5: a blank card). */
char *kv_demo_card_path(const char *dir, guint n);

/* Make the demo station in dir (which must exist and hold no station). */
gboolean kv_demo_create(const char *dir, GError **error);
/* Put a card into demo meter `meter` of dir (the firmware's host build,
 * as the demo does when it is made): the meter loads what the card carries
 * and writes its readback on it.  G_IO_ERROR_NOT_FOUND without the meter
 * program. */
gboolean kv_demo_meter_insert(const char *dir, guint32 meter, const char *card, GError **error);

/* Run argv (the app with --demo-dir) inside kv-pcsc-env with the first
 * card inserted; returns the exit status.  FALSE with an error if the
 * private card service cannot be started (not root, tools missing). */
gboolean kv_demo_run_in_pcsc_env(const char *dir, char **argv, int *status, GError **error);

/* Inside kv-pcsc-env: put another demo card in the virtual reader (0: take
 * the card out). */
gboolean kv_demo_insert_card(guint n, GError **error);

/* Remove a demonstration folder and everything in it (symbolic links are
 * removed, not followed).  FALSE if the folder itself stayed. */
gboolean kv_demo_remove_dir(const char *path);

G_END_DECLS
