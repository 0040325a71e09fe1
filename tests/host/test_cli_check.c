/* The nbsoar executable end to end: check, plugins, version, --help, exit codes. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test_files.h"

static char *dir;
static char plugin_dir[1024];

static void setup(void)
{
    dir = test_tmpdir("nbsoar-check");
    snprintf(plugin_dir, sizeof(plugin_dir), "%s/tests/host/plugins", getenv("NBSOAR_BUILD_ROOT"));
    unsetenv("NBSOAR_PLUGIN_PATH");
    unsetenv("NBSOAR_VAULT");
}

static void teardown(void)
{
    test_rmtree(dir);
    free(dir);
    dir = NULL;
}

TestSuite(cli, .init = setup, .fini = teardown);

static void write_file(const char *name, const char *text, mode_t mode)
{
    test_write_file(dir, name, text, (size_t)-1);
    char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    cr_assert_eq(chmod(path, mode), 0);
}

/* Runs `nbsoar ARGS` with stderr merged; returns the exit code, output in out. */
static int run(char *out, size_t size, const char *args)
{
    char cmd[2048];
    snprintf(cmd, sizeof(cmd), "'%s' %s 2>&1", getenv("NBSOAR_BIN"), args);
    FILE *p = popen(cmd, "r");
    cr_assert_not_null(p);
    size_t n = fread(out, 1, size - 1, p);
    out[n] = '\0';
    int status = pclose(p);
    cr_assert(WIFEXITED(status), "exited normally: %s", out);
    return WEXITSTATUS(status);
}

static void expect_line(const char *out, const char *fmt, ...)
{
    char want[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(want, sizeof(want), fmt, ap);
    va_end(ap);
    cr_assert(strstr(out, want) != NULL, "missing line:\n  %s\nin output:\n%s", want, out);
}

Test(cli, check_lists_every_problem_with_file_and_line_and_exits_2)
{
    char conf[4096];
    snprintf(conf, sizeof(conf),
             "[host]\n"                            /* 1 */
             "plugin_dir = %s\n"                   /* 2 */
             "vault = keys.py\n"                   /* 3 */
             "workers = many\n"                    /* 4 */
             "colour = blue\n"                     /* 5 */
             "[source inbox]\n"                    /* 6 */
             "plugin = good\n"                     /* 7 */
             "url = vault:missing_name\n"          /* 8 */
             "tokn = x\n"                          /* 9 */
             "[source failing]\n"                  /* 10 */
             "plugin = init_fail\n"                /* 11 */
             "url = https://hive.example\n"        /* 12 */
             "token = vault:hive_key\n"            /* 13 */
             "[sink out]\n"                        /* 14 */
             "plugin = good\n"                     /* 15 */
             "url = x\n"                           /* 16 */
             "[executor nb]\n"                     /* 17 */
             "plugin = nonexistent\n"              /* 18 */
             "[widget x]\n"                        /* 19 */
             "[source inbox]\n"                    /* 20 */
             "[source crashy]\n"                   /* 21 */
             "plugin = init_crash\n"               /* 22 */
             "url = https://x\n",                  /* 23 */
             plugin_dir);
    write_file("nbsoar.conf", conf, 0644);
    write_file("keys.py", "hive_key = 'hive-TOKEN-777'\nbad = os.environ\n", 0600);
    char out[16384], args[256];
    snprintf(args, sizeof(args), "check -c %s/nbsoar.conf", dir);
    int rc = run(out, sizeof(out), args);
    cr_assert_eq(rc, 2, "%s", out);
    expect_line(out, "%s/nbsoar.conf:4: [host]: key 'workers': 'many' is not an integer\n", dir);
    expect_line(out, "%s/nbsoar.conf:5: [host]: unknown key 'colour' for the host (known keys: ", dir);
    expect_line(out, "%s/nbsoar.conf:8: [source inbox]: key 'url': no 'missing_name' in the vault %s/keys.py\n", dir, dir);
    expect_line(out, "%s/nbsoar.conf:9: [source inbox]: unknown key 'tokn' for plugin 'good' (did you mean 'token'?)\n", dir);
    expect_line(out, "%s/nbsoar.conf:10: [source failing]: init of plugin 'init_fail' failed: cannot reach https://hive.example with token ***\n", dir);
    expect_line(out, "%s/nbsoar.conf:15: [sink out]: key 'plugin': plugin 'good' is not a sink (it is: source)\n", dir);
    expect_line(out, "%s/nbsoar.conf:18: [executor nb]: key 'plugin': no plugin named 'nonexistent' (searched %s", dir, plugin_dir);
    expect_line(out, "%s/nbsoar.conf:19: unknown section kind 'widget' (expected host, source, executor, sink or route)\n", dir);
    expect_line(out, "%s/nbsoar.conf:20: duplicate section [source inbox] (first at line 6)\n", dir);
    expect_line(out, "%s/keys.py:2: 'bad': unsupported value 'os.environ' (only strings, numbers, True, False and None)\n", dir);
    expect_line(out, "%s/nbsoar.conf:21: [source crashy]: init of plugin 'init_crash' crashed (Aborted)\n", dir);
    expect_line(out, "nbsoar check: 11 problems in %s/nbsoar.conf\n", dir);
    expect_line(out, "warning: plugin refused: %s/abi_major.so: plugin ABI", plugin_dir);
    cr_assert(strstr(out, "hive-TOKEN-777") == NULL, "the vault secret never printed:\n%s", out);
}

Test(cli, check_finds_bad_routes_missing_references_and_rates)
{
    char conf[4096];
    snprintf(conf, sizeof(conf),
             "[host]\n"                              /* 1 */
             "plugin_dir = %s\n"                     /* 2 */
             "[sink out]\n"                          /* 3 */
             "plugin = good\n"                       /* 4 */
             "rate = fast\n"                         /* 5 */
             "[route bad_regex]\n"                   /* 6 */
             "match.fields.x = ~ /(unclosed/\n"      /* 7 */
             "notebooks = nb.ipynb\n",               /* 8 */
             plugin_dir);
    write_file("r.conf", conf, 0644);
    write_file("nb.ipynb", "{}", 0644);
    char out[16384], args[256];
    snprintf(args, sizeof(args), "check -c %s/r.conf", dir);
    cr_assert_eq(run(out, sizeof(out), args), 2, "%s", out);
    expect_line(out, "%s/r.conf:5: [sink out] rate: 'fast' is not N/s, N/m or N/h\n", dir);
    expect_line(out, "%s/r.conf:7: [route bad_regex] match.fields.x: bad regex /(unclosed/ at offset 9: "
                     "missing closing parenthesis\n", dir);

    /* A table that builds is checked against the sections and files it names. */
    snprintf(conf, sizeof(conf),
             "[host]\n"                              /* 1 */
             "plugin_dir = %s\n"                     /* 2 */
             "[route a]\n"                           /* 3 */
             "match.fields.y = z\n"                  /* 4 */
             "notebooks = nb.ipynb, missing.ipynb\n" /* 5 */
             "executor = remote\n"                   /* 6 */
             "sinks = nosuch\n"                      /* 7 */
             "[route b]\n"                           /* 8 */
             "match.fields.y = w\n"                  /* 9 */
             "notebooks = nb.ipynb\n",               /* 10 */
             plugin_dir);
    write_file("r.conf", conf, 0644);
    cr_assert_eq(run(out, sizeof(out), args), 2, "%s", out);
    expect_line(out, "%s/r.conf:5: [route a] notebooks: 'missing.ipynb' is not a file (looked for %s/missing.ipynb)\n",
                dir, dir);
    expect_line(out, "%s/r.conf:6: [route a] executor: no [executor remote] section\n", dir);
    expect_line(out, "%s/r.conf:7: [route a] sinks: no [sink nosuch] section\n", dir);
    expect_line(out, "%s/r.conf:8: [route b]: no [executor] section to run its notebooks\n", dir);
    expect_line(out, "nbsoar check: 4 problems in %s/r.conf\n", dir);
}

Test(cli, check_on_a_good_config_says_ok_and_exits_0)
{
    char conf[2048];
    snprintf(conf, sizeof(conf),
             "[host]\nplugin_dir = %s\nvault = keys.py\n"
             "[source inbox]\nplugin = good\nurl = https://x\ntoken = vault:k\n"
             "[executor nb]\nplugin = jupyter\n"
             "[route all]\ndefault = true\nnotebooks = nb.ipynb\n",
             plugin_dir);
    write_file("ok.conf", conf, 0644);
    write_file("nb.ipynb", "{}", 0644);
    write_file("keys.py", "k = 'a-long-token'\n", 0600);
    char out[8192], args[256];
    snprintf(args, sizeof(args), "--log-level error check -c %s/ok.conf", dir);
    int rc = run(out, sizeof(out), args);
    cr_assert_eq(rc, 0, "%s", out);
    /* The plugin count depends on what the build holds, so only the summary is checked. */
    expect_line(out, "%s/ok.conf: OK (1 source, 1 executor, 0 sinks, 1 route; ", dir);
}

Test(cli, check_refuses_a_readable_vault_on_the_vault_line)
{
    write_file("v.conf", "[host]\nvault = keys.py\n", 0644);
    write_file("keys.py", "k = 'a-long-token'\n", 0644);
    char out[8192], args[256];
    snprintf(args, sizeof(args), "check -c %s/v.conf", dir);
    cr_assert_eq(run(out, sizeof(out), args), 2);
    expect_line(out, "%s/v.conf:2: [host]: key 'vault': %s/keys.py: vault is accessible by group or others (mode 0644); refusing to read secrets from it: run chmod 600 %s/keys.py\n", dir, dir, dir);
}

Test(cli, plugins_lists_loaded_and_refused_plugins)
{
    char conf[2048];
    snprintf(conf, sizeof(conf), "[host]\nplugin_dir = %s\n", plugin_dir);
    write_file("p.conf", conf, 0644);
    char out[16384], args[256];
    snprintf(args, sizeof(args), "plugins -c %s/p.conf", dir);
    cr_assert_eq(run(out, sizeof(out), args), 0, "%s", out);
    expect_line(out, "good 1.2.3 (ABI 1.0) source\n  purpose-built test plugin\n"
                     "  keys: url (string, required), token (string, secret), timeout (duration, "
                     "default 30s), verify (bool, default true)\n"
                     "  path: %s/good.so\n", plugin_dir);
    expect_line(out, "\nrefused:\n");
    expect_line(out, "  %s/dup_b.so: duplicate plugin name 'twin': already loaded from %s/dup_a.so", plugin_dir, plugin_dir);
}

Test(cli, plugin_path_environment_is_searched)
{
    setenv("NBSOAR_PLUGIN_PATH", plugin_dir, 1);
    char out[16384];
    cr_assert_eq(run(out, sizeof(out), "plugins"), 0, "%s", out);
    expect_line(out, "path: %s/good.so\n", plugin_dir);
}

Test(cli, every_command_has_help_and_exit_codes_are_stable)
{
    char out[8192];
    const char *cmds[] = {"--help", "version --help", "plugins --help", "check --help"};
    for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
        cr_assert_eq(run(out, sizeof(out), cmds[i]), 0, "%s: %s", cmds[i], out);
        cr_assert(strstr(out, "usage: nbsoar") != NULL, "%s", cmds[i]);
    }
    cr_assert_eq(run(out, sizeof(out), "version"), 0);
    expect_line(out, "plugin ABI 1.0\n");
    cr_assert_eq(run(out, sizeof(out), "frobnicate"), 2);
    expect_line(out, "nbsoar: unknown command 'frobnicate'");
    cr_assert_eq(run(out, sizeof(out), "check"), 2);
    expect_line(out, "nbsoar check: -c CONF is required");
    cr_assert_eq(run(out, sizeof(out), "check --bogus"), 2);
    cr_assert_eq(run(out, sizeof(out), "--log-level loud version"), 2);
    expect_line(out, "--log-level: 'loud' is not one of error, warn, info, debug");
    cr_assert_eq(run(out, sizeof(out), ""), 2);
}
