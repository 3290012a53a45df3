/* test-admin.c - what the administration screens rely on in the core: the
 * list of tariff codes with their versions and the one in force, and the
 * rules that keep an active admin on the station. */
#include <string.h>

#include "core-fixture.h"

#define JAN_2020 G_GINT64_CONSTANT(1577836800)
#define JAN_2021 G_GINT64_CONSTANT(1609459200)
#define JAN_2022 G_GINT64_CONSTANT(1640995200)

static void add_version(Fx *f, const char *code, gint64 from, guint vat_bp, gint64 price_e4)
{
    g_autoptr(GError) e = NULL;
    KvTariff t = { 0 };

    g_strlcpy(t.code, code, sizeof t.code);
    t.effective_from = from;
    t.vat_bp = vat_bp;
    t.fixed_monthly = 250;
    t.debt_bp = 1000;
    t.n_blocks = 2;
    t.blocks[0].upto = 5000;
    t.blocks[0].price_e4 = price_e4;
    t.blocks[1].price_e4 = price_e4 * 2;
    g_assert_cmpint(kv_tariff_add(f->st, &t, "commercial", &e), >, 0);
    g_assert_no_error(e);
}

/* A change the core must refuse (DENIED), saying text if not NULL. */
static void assert_denied(gboolean ok, GError **e, const char *text)
{
    g_assert_false(ok);
    g_assert_error(*e, KV_CORE_ERROR, KV_CORE_ERROR_DENIED);
    if (text)
        g_assert_nonnull(strstr((*e)->message, text));
    g_clear_error(e);
}

static void test_tariff_list(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(GPtrArray) list = NULL;
    const KvTariffCode *com, *def;
    const KvTariffVersion *v;

    /* COM: one version in the past, one in force, one not yet. */
    add_version(f, "COM", JAN_2020, 1600, 1500000);
    add_version(f, "COM", JAN_2022, 1800, 1700000);
    add_version(f, "COM", JAN_2021, 1700, 1600000);
    list = kv_tariff_list(f->st, JAN_2021 + 86400, &e);
    g_assert_no_error(e);
    g_assert_cmpuint(list->len, ==, 2);
    com = g_ptr_array_index(list, 0);
    def = g_ptr_array_index(list, 1);
    g_assert_cmpstr(com->code, ==, "COM");
    g_assert_cmpstr(def->code, ==, "DEFAULT");

    /* Newest first, the one in force picked like kv_tariff_get_effective. */
    g_assert_cmpuint(com->versions->len, ==, 3);
    g_assert_cmpint(((KvTariffVersion *)g_ptr_array_index(com->versions, 0))->tariff.effective_from,
                    ==, JAN_2022);
    g_assert_cmpint(((KvTariffVersion *)g_ptr_array_index(com->versions, 2))->tariff.effective_from,
                    ==, JAN_2020);
    g_assert_cmpint(com->in_force, ==, 1);
    v = kv_tariff_code_in_force(com);
    g_assert_cmpint(v->tariff.effective_from, ==, JAN_2021);
    g_assert_cmpuint(v->tariff.vat_bp, ==, 1700);
    g_assert_cmpint(v->tariff.fixed_monthly, ==, 250);
    g_assert_cmpuint(v->tariff.debt_bp, ==, 1000);
    g_assert_cmpuint(v->tariff.n_blocks, ==, 2);
    g_assert_cmpint(v->tariff.blocks[0].upto, ==, 5000);
    g_assert_cmpint(v->tariff.blocks[1].price_e4, ==, 3200000);
    g_assert_cmpstr(v->name, ==, "commercial");
    {
        KvTariff eff;
        g_assert_true(kv_tariff_get_effective(f->st, "COM", JAN_2021 + 86400, &eff, &e));
        g_assert_cmpint(eff.id, ==, v->tariff.id);
    }
    g_assert_cmpuint(def->versions->len, ==, 1);
    g_assert_cmpint(def->in_force, ==, 0);
    g_assert_cmpstr(kv_tariff_code_in_force(def)->name, ==, "flat");
    g_clear_pointer(&list, g_ptr_array_unref);

    /* Before any COM version started: listed, none in force. */
    list = kv_tariff_list(f->st, JAN_2020 - 1, &e);
    g_assert_no_error(e);
    com = g_ptr_array_index(list, 0);
    g_assert_cmpint(com->in_force, ==, -1);
    g_assert_null(kv_tariff_code_in_force(com));
    g_clear_pointer(&list, g_ptr_array_unref);

    /* Any signed-in role may list; nobody signed in may not. */
    fx_add_user(f, "carol", KV_ROLE_CASHIER);
    g_assert_true(kv_station_login(f->st, "carol", "carol-password", &e));
    list = kv_tariff_list(f->st, kv_now(), &e);
    g_assert_no_error(e);
    g_assert_cmpuint(list->len, ==, 2);
    kv_station_logout(f->st);
    g_assert_null(kv_tariff_list(f->st, kv_now(), &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_DENIED);
}

static KvUser *find_user(Fx *f, const char *login)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(GPtrArray) users = kv_user_list(f->st, &e);

    g_assert_no_error(e);
    for (guint i = 0; i < users->len; i++) {
        KvUser *u = g_ptr_array_index(users, i);
        if (g_strcmp0(u->login, login) == 0)
            return g_ptr_array_steal_index(users, i);
    }
    g_assert_not_reached();
    return NULL;
}

/* Nothing changed: the admin account is still an active admin. */
static void assert_still_admin(Fx *f)
{
    g_autoptr(KvUser) admin = find_user(f, "admin");
    g_assert_true(admin->active);
    g_assert_cmpint(admin->role, ==, KV_ROLE_ADMIN);
}

static void test_admin_keeps_itself(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;

    assert_denied(kv_user_set_active(f->st, "admin", FALSE, &e), &e, "your own account");
    assert_denied(kv_user_set_role(f->st, "admin", KV_ROLE_SUPERVISOR, &e), &e, NULL);
    /* An admin may still "enable" or keep themselves admin. */
    assert_still_admin(f);
    g_assert_true(kv_user_set_active(f->st, "admin", TRUE, &e));
    g_assert_true(kv_user_set_role(f->st, "admin", KV_ROLE_ADMIN, &e));
    g_assert_no_error(e);
}

/* A new user, and a second station on the same ledger (nobody signed in). */
static KvStation *user_and_other_station(Fx *f, const char *login, KvRole role)
{
    g_autoptr(GError) e = NULL;
    KvStation *other;
    fx_add_user(f, login, role);
    other = kv_station_open(f->db, NULL, &e);
    g_assert_no_error(e);
    return other;
}

static void test_last_admin(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    /* Two admins at two stations on the same ledger. */
    g_autoptr(KvStation) other = user_and_other_station(f, "dora", KV_ROLE_ADMIN);
    g_autoptr(KvUser) dora = NULL;

    g_assert_true(kv_station_login(other, "dora", "dora-password", &e));
    /* Each may disable the other while one stays... */
    g_assert_true(kv_user_set_active(f->st, "dora", FALSE, &e));
    g_assert_no_error(e);
    /* ...but dora, still signed in elsewhere, may not then demote or disable
     * the last active admin. */
    assert_denied(kv_user_set_role(other, "admin", KV_ROLE_CASHIER, &e), &e,
                  "last active admin");
    assert_denied(kv_user_set_active(other, "admin", FALSE, &e), &e, NULL);
    assert_still_admin(f);

    /* Enabled again, dora may be demoted: admin remains. */
    g_assert_true(kv_user_set_active(f->st, "dora", TRUE, &e));
    g_assert_true(kv_user_set_role(f->st, "dora", KV_ROLE_SUPERVISOR, &e));
    g_assert_no_error(e);
    dora = find_user(f, "dora");
    g_assert_cmpint(dora->role, ==, KV_ROLE_SUPERVISOR);
    g_assert_true(dora->active);
}

static void test_reset_and_unlock(Fx *f, gconstpointer d)
{
    g_autoptr(GError) e = NULL;
    g_autoptr(KvStation) other = user_and_other_station(f, "carol", KV_ROLE_CASHIER);
    g_autoptr(KvUser) carol = NULL;

    for (int i = 0; i < 5; i++) {
        g_assert_false(kv_station_login(other, "carol", "wrong-password", &e));
        g_clear_error(&e);
    }
    carol = find_user(f, "carol");
    g_assert_cmpint(carol->locked_until, >, kv_now());
    /* The admin resets the password (no old one needed) and unlocks. */
    g_assert_true(kv_user_set_password(f->st, "carol", NULL, "fresh-password1", &e));
    g_assert_no_error(e);
    g_assert_false(kv_station_login(other, "carol", "fresh-password1", &e));
    g_assert_error(e, KV_CORE_ERROR, KV_CORE_ERROR_AUTH);
    g_clear_error(&e);
    g_assert_true(kv_user_unlock(f->st, "carol", &e));
    g_assert_true(kv_station_login(other, "carol", "fresh-password1", &e));
    g_assert_no_error(e);
}

int main(int argc, char **argv)
{
    g_test_init(&argc, &argv, NULL);
    fx_add("/admin/tariff-list", test_tariff_list);
    fx_add("/admin/users/not-self", test_admin_keeps_itself);
    fx_add("/admin/users/last-admin", test_last_admin);
    fx_add("/admin/users/reset-unlock", test_reset_and_unlock);
    return g_test_run();
}
