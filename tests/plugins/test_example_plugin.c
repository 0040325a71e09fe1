/*
 * The out-of-tree plugin story: install the header and nbsoar-plugin.pc into
 * a temporary root, build examples/plugin/ with its Makefile against that
 * install only, then check the .so exports one symbol and speaks the ABI.
 * Also checks the in-tree plugins export nothing but the entry point.
 */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <dlfcn.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fake_host.h"
#include "test_files.h"

static char found_pc[4096];

static int find_pc(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)ftw;
    const char *slash = strrchr(path, '/');
    if (flag == FTW_F && strcmp(slash + 1, "nbsoar-plugin.pc") == 0) {
        snprintf(found_pc, sizeof(found_pc), "%s", path);
        return 1;
    }
    return 0;
}

static int run(const char *cmd)
{
    int rc = system(cmd);
    if (rc != 0)
        fprintf(stderr, "command failed (%d): %s\n", rc, cmd);
    return rc;
}

/* Every defined dynamic symbol of a shared object, space-separated.  OWNED: free(). */
static char *exported_symbols(const char *so)
{
    char cmd[4400];
    snprintf(cmd, sizeof(cmd), "nm -D --defined-only '%s'", so);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    char line[1024], *names = NULL;
    size_t len = 0;
    FILE *mem = open_memstream(&names, &len);
    while (fgets(line, sizeof(line), p) != NULL) {
        char addr[64], type[8], name[512];
        if (sscanf(line, "%63s %7s %511s", addr, type, name) == 3)
            fprintf(mem, "%s%s", ftell(mem) > 0 ? " " : "", name);
    }
    fclose(mem);
    cr_assert_eq(pclose(p), 0, "nm failed on %s", so);
    return names;
}

/* The installed .pc with its prefix moved under root, as a --prefix install
 * into root would have written it; returns the folder to use as
 * PKG_CONFIG_PATH. */
static void relocate_pc(const char *root, const char *pcdir)
{
    char *pc = test_read_file(found_pc, NULL);
    cr_assert_not_null(pc);
    cr_assert_eq(strncmp(pc, "prefix=", 7), 0, "the .pc starts with its prefix: %s", pc);
    char *rest = strchr(pc, '\n');
    cr_assert_not_null(rest);
    *rest = '\0';
    char *text = NULL;
    cr_assert_geq(asprintf(&text, "prefix=%s%s\n%s", root, pc + 7, rest + 1), 0);
    cr_assert_eq(mkdir(pcdir, 0700), 0);
    test_write_file(pcdir, "nbsoar-plugin.pc", text, (size_t)-1);
    free(text);
    free(pc);
}

Test(example_plugin, builds_out_of_tree_against_an_install_and_loads, .timeout = 120)
{
    const char *build = getenv("NBSOAR_BUILD_ROOT"), *src = getenv("NBSOAR_SOURCE_ROOT");
    cr_assert(build != NULL && src != NULL);
    char *tmp = test_tmpdir("nbsoar-example");
    char root[4200], pcdir[4200], out[4200], cmd[16384];
    snprintf(root, sizeof(root), "%s/root", tmp);
    snprintf(pcdir, sizeof(pcdir), "%s/pkgconfig", tmp);
    snprintf(out, sizeof(out), "%s/out", tmp);

    /* Only the headers and the .pc (install tag "devel"); nothing is rebuilt. */
    snprintf(cmd, sizeof(cmd), "meson install -C '%s' --destdir '%s' --no-rebuild --tags devel >&2", build, root);
    cr_assert_eq(run(cmd), 0);
    cr_assert_eq(nftw(root, find_pc, 16, FTW_PHYS), 1, "nbsoar-plugin.pc installed under %s", root);
    relocate_pc(root, pcdir);

    snprintf(cmd, sizeof(cmd), "PKG_CONFIG_PATH='%s' pkg-config --cflags nbsoar-plugin", pcdir);
    FILE *p = popen(cmd, "r");
    char cflags[4096] = "";
    cr_assert_not_null(fgets(cflags, sizeof(cflags), p));
    pclose(p);
    cr_assert_not_null(strstr(cflags, root), "Cflags point into the install: %s", cflags);

    cr_assert_eq(mkdir(out, 0700), 0);
    snprintf(cmd, sizeof(cmd),
             "PKG_CONFIG_PATH='%s' make -s -C '%s' -f '%s/examples/plugin/Makefile' srcdir='%s/examples/plugin' >&2",
             pcdir, out, src, src);
    cr_assert_eq(run(cmd), 0);

    char so[4400];
    snprintf(so, sizeof(so), "%s/stdout.so", out);
    char *syms = exported_symbols(so);
    cr_assert_str_eq(syms, "nbsoar_plugin_entry", "the example exports only its entry point");
    free(syms);

    const struct nbsoar_plugin *plugin = fake_host_load_plugin("stdout", so);
    cr_assert_not_null(plugin);
    cr_assert_eq(plugin->abi_major, NBSOAR_ABI_MAJOR);
    cr_assert_leq(plugin->abi_minor, NBSOAR_ABI_MINOR);
    cr_assert_eq(plugin->struct_size, sizeof(struct nbsoar_plugin));
    cr_assert_str_eq(plugin->name, "stdout");
    cr_assert_str_eq(plugin->operations[0], "*");

    /* And it works: init, one operation, the line on stdout. */
    struct fake_host *fh = fake_host_new("print");
    json_t *conf = fake_host_config(plugin, "{\"prefix\": \"ops> \"}");
    void *state = NULL;
    cr_assert_eq(plugin->init(&fh->host, conf, &state), NBSOAR_OK);
    struct nbsoar_job job = {.id = "job-7"};
    json_t *op = json_pack("{s:s, s:s}", "type", "AddTagToCase", "tag", "x");
    json_t *res = NULL;
    cr_redirect_stdout();
    cr_assert_eq(plugin->apply(state, op, &job, &res), NBSOAR_OK);
    fflush(stdout);
    cr_assert_stdout_eq_str("ops> job-7 {\"tag\":\"x\",\"type\":\"AddTagToCase\"}\n");
    plugin->shutdown(state);
    json_decref(res);
    json_decref(op);
    json_decref(conf);
    fake_host_free(fh);
    test_rmtree(tmp);
    free(tmp);
}

Test(example_plugin, in_tree_plugins_export_only_the_entry_point)
{
    const char *build = getenv("NBSOAR_BUILD_ROOT");
    static const char *const names[] = {"spool", "file", NULL};
    for (int i = 0; names[i] != NULL; i++) {
        char so[4096];
        snprintf(so, sizeof(so), "%s/plugins/%s/%s.so", build, names[i], names[i]);
        char *syms = exported_symbols(so);
        cr_assert_str_eq(syms, "nbsoar_plugin_entry", "%s exports: %s", so, syms);
        free(syms);
    }
}
