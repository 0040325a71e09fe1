#include <criterion/criterion.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "host_services.h"
#include "log.h"
#include "plugin_loader.h"
#include "redact.h"

static char plugin_dir[1024];

static void setup(void)
{
    const char *root = getenv("NBSOAR_BUILD_ROOT");
    cr_assert_not_null(root, "NBSOAR_BUILD_ROOT is set by meson test");
    snprintf(plugin_dir, sizeof(plugin_dir), "%s/tests/host/plugins", root);
}

static void fini(void)
{
    redact_clear();
}

TestSuite(loader, .init = setup, .fini = fini);

static const char *refusal(const struct plugin_set *set, const char *file)
{
    char path[1200];
    snprintf(path, sizeof(path), "%s/%s", plugin_dir, file);
    for (size_t i = 0; i < set->n_refused; i++)
        if (strcmp(set->refused[i].path, path) == 0)
            return set->refused[i].reason;
    return NULL;
}

static void load_dir(struct plugin_set *set)
{
    char *dirs[] = {plugin_dir, NULL};
    memset(set, 0, sizeof(*set));
    cr_assert_eq(plugin_set_load(set, dirs), 0);
}

static void expect_refusal(const struct plugin_set *set, const char *file, const char *fmt, ...)
{
    char want[4096], body[1500];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(body, sizeof(body), fmt, ap);
    va_end(ap);
    snprintf(want, sizeof(want), "%s/%s: %s", plugin_dir, file, body);
    const char *got = refusal(set, file);
    cr_assert_not_null(got, "%s is refused", file);
    cr_assert_str_eq(got, want);
}

Test(loader, loads_good_plugins_and_derives_roles)
{
    struct plugin_set set;
    load_dir(&set);
    const struct loaded_plugin *good = plugin_set_find(&set, "good");
    cr_assert_not_null(good);
    cr_assert_str_eq(good->def.version, "1.2.3");
    cr_assert_eq(good->roles, NBSOAR_ROLE_SOURCE);
    char roles[64];
    cr_assert_str_eq(plugin_roles_text(good->roles, roles, sizeof(roles)), "source");
    cr_assert_not_null(plugin_set_find(&set, "init_fail"), "a failing init is only seen at init");
    cr_assert_not_null(plugin_set_find(&set, "twin"));
    cr_assert_eq(set.n_plugins, 4);
    cr_assert_eq(set.n_refused, 7);
    plugin_set_free(&set);
}

Test(loader, refuses_a_different_abi_major_naming_both_versions)
{
    struct plugin_set set;
    load_dir(&set);
    expect_refusal(&set, "abi_major.so",
                   "plugin ABI %d.%d, host ABI %d.%d: major versions differ; rebuild the plugin "
                   "against this host's <nbsoar/plugin.h>",
                   NBSOAR_ABI_MAJOR + 1, NBSOAR_ABI_MINOR, NBSOAR_ABI_MAJOR, NBSOAR_ABI_MINOR);
    plugin_set_free(&set);
}

Test(loader, refuses_a_newer_abi_minor)
{
    struct plugin_set set;
    load_dir(&set);
    expect_refusal(&set, "abi_minor_newer.so",
                   "plugin ABI %d.%d is newer than host ABI %d.%d; upgrade nbsoar",
                   NBSOAR_ABI_MAJOR, NBSOAR_ABI_MINOR + 1, NBSOAR_ABI_MAJOR, NBSOAR_ABI_MINOR);
    plugin_set_free(&set);
}

Test(loader, refuses_a_missing_entry_symbol_with_dlerror_and_ldd_hint)
{
    struct plugin_set set;
    load_dir(&set);
    const char *got = refusal(&set, "no_symbol.so");
    cr_assert_not_null(got);
    char prefix[1200];
    snprintf(prefix, sizeof(prefix), "%s/no_symbol.so: no symbol nbsoar_plugin_entry: ", plugin_dir);
    cr_assert(strncmp(got, prefix, strlen(prefix)) == 0, "got: %s", got);
    cr_assert(strstr(got, "undefined symbol: nbsoar_plugin_entry") != NULL, "dlerror text kept: %s", got);
    cr_assert(strstr(got, "(missing dependencies? check with ldd(1))") != NULL);
    plugin_set_free(&set);
}

Test(loader, refuses_a_struct_smaller_than_abi_1_0)
{
    struct plugin_set set;
    load_dir(&set);
    expect_refusal(&set, "small_struct.so",
                   "struct_size 16 is smaller than the ABI 1.0 plugin struct (%zu bytes) (plugin "
                   "ABI %d.%d, host ABI %d.%d); build it with NBSOAR_PLUGIN_HEADER",
                   NBSOAR_PLUGIN_MIN_SIZE, NBSOAR_ABI_MAJOR, NBSOAR_ABI_MINOR, NBSOAR_ABI_MAJOR,
                   NBSOAR_ABI_MINOR);
    plugin_set_free(&set);
}

Test(loader, refuses_null_name_and_null_entry)
{
    struct plugin_set set;
    load_dir(&set);
    expect_refusal(&set, "null_name.so", "plugin has no name (name is NULL)");
    expect_refusal(&set, "null_entry.so", "nbsoar_plugin_entry() returned NULL");
    plugin_set_free(&set);
}

Test(loader, refuses_a_duplicate_name_naming_both_files)
{
    struct plugin_set set;
    load_dir(&set);
    const struct loaded_plugin *twin = plugin_set_find(&set, "twin");
    char first[1200];
    snprintf(first, sizeof(first), "%s/dup_a.so", plugin_dir);
    cr_assert_str_eq(twin->path, first, "the first one found wins");
    expect_refusal(&set, "dup_b.so",
                   "duplicate plugin name 'twin': already loaded from %s; this file is ignored", first);
    plugin_set_free(&set);
}

Test(loader, refuses_a_file_that_is_not_a_shared_object)
{
    char dir[] = "/tmp/nbsoar-plugins-XXXXXX";
    cr_assert_not_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof(path), "%s/junk.so", dir);
    FILE *f = fopen(path, "w");
    fputs("not an ELF file\n", f);
    fclose(f);
    struct plugin_set set = {0};
    cr_assert_eq(plugin_set_add_file(&set, path), -1);
    cr_assert_eq(set.n_refused, 1);
    char prefix[200];
    snprintf(prefix, sizeof(prefix), "%s: cannot load: ", path);
    cr_assert(strncmp(set.refused[0].reason, prefix, strlen(prefix)) == 0, "%s", set.refused[0].reason);
    cr_assert(strstr(set.refused[0].reason, "(missing dependencies? check with ldd(1))") != NULL);
    plugin_set_free(&set);
    unlink(path);
    rmdir(dir);
}

Test(loader, search_path_keeps_order_and_drops_repeats_and_empty_entries)
{
    char **dirs = plugin_search_path("/conf/plugins", "/env/a::/env/b:/conf/plugins", "/build/x",
                                     "/usr/lib/nbsoar/plugins");
    const char *want[] = {"/conf/plugins", "/env/a", "/env/b", "/build/x", "/usr/lib/nbsoar/plugins"};
    for (size_t i = 0; i < 5; i++)
        cr_assert_str_eq(dirs[i], want[i]);
    cr_assert_null(dirs[5]);
    plugin_dirs_free(dirs);
    dirs = plugin_search_path(NULL, NULL, NULL, NULL);
    cr_assert_null(dirs[0]);
    plugin_dirs_free(dirs);
}

Test(loader, missing_directories_are_skipped)
{
    char *dirs[] = {"/nonexistent/plugins", plugin_dir, NULL};
    struct plugin_set set = {0};
    cr_assert_eq(plugin_set_load(&set, dirs), 0);
    cr_assert_not_null(plugin_set_find(&set, "good"));
    cr_assert_eq(set.n_dirs, 2);
    plugin_set_free(&set);
}

static int plugin_counter(const struct loaded_plugin *p, const char *name)
{
    int *counter = dlsym(p->handle, name);
    cr_assert_not_null(counter, "%s exported by the test plugin", name);
    return *counter;
}

Test(loader, failed_init_is_reported_with_the_plugin_error_and_shutdown_still_runs)
{
    char logbuf[4096] = "";
    FILE *log_file = fmemopen(logbuf, sizeof(logbuf), "w");
    log_setup(NBSOAR_LOG_INFO, LOG_FORMAT_HUMAN, log_file);
    struct plugin_set set;
    load_dir(&set);
    const struct loaded_plugin *p = plugin_set_find(&set, "init_fail");
    struct host_env *env = host_env_new(NULL, NULL);
    json_t *cfg = json_pack("{s:s, s:s}", "url", "https://hive.example", "token", "tok-SECRET-42");
    redact_add("tok-SECRET-42");
    struct plugin_instance *inst = (void *)1;
    char err[512];
    int rc = plugin_instance_start(env, p, "hive-prod", cfg, 1, &inst, err, sizeof(err));
    cr_assert_eq(rc, NBSOAR_ERROR);
    cr_assert_null(inst);
    cr_assert_str_eq(err, "init of plugin 'init_fail' failed: cannot reach https://hive.example with token ***");
    cr_assert_eq(plugin_counter(p, "test_init_calls"), 1);
    cr_assert_eq(plugin_counter(p, "test_shutdown_calls"), 1, "shutdown after a failed init");
    cr_assert_eq(plugin_counter(p, "test_last_check_mode"), 1);
    fclose(log_file);
    cr_assert(strstr(logbuf, "[hive-prod] cannot reach https://hive.example with token ***") != NULL,
              "log line carries the instance name, secret masked: %s", logbuf);
    cr_assert(strstr(logbuf, "tok-SECRET-42") == NULL);
    json_decref(cfg);
    host_env_free(env);
    plugin_set_free(&set);
}

Test(loader, good_plugin_starts_and_stops_once)
{
    struct plugin_set set;
    load_dir(&set);
    const struct loaded_plugin *p = plugin_set_find(&set, "good");
    struct host_env *env = host_env_new(NULL, NULL);
    struct plugin_instance *inst = NULL;
    char err[256];
    cr_assert_eq(plugin_instance_start(env, p, "g1", NULL, 0, &inst, err, sizeof(err)), NBSOAR_OK);
    cr_assert_not_null(inst);
    cr_assert_str_eq(inst->host.instance, "g1");
    cr_assert_eq(plugin_counter(p, "test_last_check_mode"), 0);
    cr_assert_eq(plugin_instance_poll(inst), NBSOAR_OK);
    cr_assert_eq(plugin_instance_apply(inst, NULL, NULL, NULL), NBSOAR_ERROR, "not a sink");
    plugin_instance_stop(inst);
    cr_assert_eq(plugin_counter(p, "test_init_calls"), 1);
    cr_assert_eq(plugin_counter(p, "test_shutdown_calls"), 1);
    host_env_free(env);
    plugin_set_free(&set);
}
