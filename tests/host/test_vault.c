#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "diag_check.h"
#include "redact.h"
#include "vault.h"

static const char *str(const struct vault *v, const char *name)
{
    json_t *value = NULL;
    if (vault_get(v, name, &value) < 0)
        return NULL;
    static char buf[256];
    snprintf(buf, sizeof(buf), "%s", json_is_string(value) ? json_string_value(value) : "<not a string>");
    json_decref(value);
    return buf;
}

static void fini(void)
{
    redact_clear();
}

TestSuite(vault, .fini = fini);

Test(vault, reads_keys_py_as_misp_playbooks_write_it)
{
    struct diags d = {0};
    struct vault *v = vault_parse("keys.py",
                                  "# MISP playbook keys\n"
                                  "misp_url = \"https://misp/\"\n"
                                  "misp_key = 'abcdEFGH1234'  # the API key\n"
                                  "misp_verifycert = False\n"
                                  "\n"
                                  "proxy = None\n"
                                  "enabled=True\n"
                                  "retries = 3\n"
                                  "big = 1_000_000\n"
                                  "mask = 0xff\n"
                                  "neg = -7\n"
                                  "ratio = 0.25\n"
                                  "exp = 1e3\n",
                                  &d);
    dump(&d);
    cr_assert_eq(d.n, 0);
    cr_assert_str_eq(str(v, "misp_url"), "https://misp/");
    cr_assert_str_eq(str(v, "misp_key"), "abcdEFGH1234");
    json_t *x = NULL;
    cr_assert_eq(vault_get(v, "misp_verifycert", &x), 0);
    cr_assert(json_is_false(x));
    json_decref(x);
    cr_assert_eq(vault_get(v, "proxy", &x), 0);
    cr_assert(json_is_null(x));
    json_decref(x);
    vault_get(v, "enabled", &x);
    cr_assert(json_is_true(x));
    json_decref(x);
    vault_get(v, "retries", &x);
    cr_assert_eq(json_integer_value(x), 3);
    json_decref(x);
    vault_get(v, "big", &x);
    cr_assert_eq(json_integer_value(x), 1000000);
    json_decref(x);
    vault_get(v, "mask", &x);
    cr_assert_eq(json_integer_value(x), 255);
    json_decref(x);
    vault_get(v, "neg", &x);
    cr_assert_eq(json_integer_value(x), -7);
    json_decref(x);
    vault_get(v, "ratio", &x);
    cr_assert_float_eq(json_real_value(x), 0.25, 1e-12);
    json_decref(x);
    vault_get(v, "exp", &x);
    cr_assert_float_eq(json_real_value(x), 1000.0, 1e-9);
    json_decref(x);
    cr_assert_eq(vault_get(v, "absent", &x), -1);
    vault_free(v);
    diags_free(&d);
}

Test(vault, decodes_python_string_escapes_raw_and_triple_quoted_strings)
{
    struct diags d = {0};
    struct vault *v = vault_parse("keys.py",
                                  "a = 'it\\'s \"q\" \\\\ \\t\\n'\n"
                                  "b = \"\\x41\\u00e9\\U0001F600\\101\"\n"
                                  "c = r'C:\\path\\n\\'x'\n"
                                  "d = '''line1\n"
                                  "line2 'quoted'\n"
                                  "'''\n"
                                  "e = \"keep \\d unknown\"\n"
                                  "f = 'con' \"cat\"\n"
                                  "g = u'unicode prefix'\n",
                                  &d);
    dump(&d);
    cr_assert_eq(d.n, 0);
    cr_assert_str_eq(str(v, "a"), "it's \"q\" \\ \t\n");
    cr_assert_str_eq(str(v, "b"), "A\xc3\xa9\xf0\x9f\x98\x80" "A");
    cr_assert_str_eq(str(v, "c"), "C:\\path\\n\\'x");
    cr_assert_str_eq(str(v, "d"), "line1\nline2 'quoted'\n");
    cr_assert_str_eq(str(v, "e"), "keep \\d unknown");
    cr_assert_str_eq(str(v, "f"), "concat");
    cr_assert_str_eq(str(v, "g"), "unicode prefix");
    vault_free(v);
    diags_free(&d);
}

Test(vault, refuses_anything_but_literals_with_file_and_line)
{
    struct diags d = {0};
    struct vault *v = vault_parse("keys.py",
                                  "import os\n"                       /* 1 */
                                  "key = os.environ['KEY']\n"          /* 2 */
                                  "open = 'never closed\n"             /* 3 */
                                  "ok = 'fine'\n"                      /* 4 */
                                  "hex = '\\xZZ'\n"                    /* 5 */
                                  "nul = '\\x00'\n"                    /* 6 */
                                  "trail = 'a' + 'b'\n"                /* 7 */
                                  "num = 12abc\n"                      /* 8 */
                                  "eq == 1\n"                          /* 9 */
                                  "lead = 007\n"                       /* 10 */
                                  "name = '\\N{BULLET}'\n"             /* 11 */
                                  "    = 3\n",                         /* 12 */
                                  &d);
    dump(&d);
    cr_assert(has_msg(&d, "keys.py:1: expected '=' after 'import' (only NAME = value lines)"));
    cr_assert(has_msg(&d, "keys.py:2: 'key': unsupported value 'os.environ['KEY']' (only strings, numbers, True, False and None)"));
    cr_assert(has_msg(&d, "keys.py:3: 'open': unterminated string (a newline inside '...'; use \\n or triple quotes)"));
    cr_assert(has_msg(&d, "keys.py:5: 'hex': \\x escape needs 2 hex digits"));
    cr_assert(has_msg(&d, "keys.py:6: 'nul': \\x escape is not a valid character (NUL, surrogate or beyond U+10FFFF)"));
    cr_assert(has_msg(&d, "keys.py:7: 'trail': unexpected '+ 'b'' after the value"));
    cr_assert(has_msg(&d, "keys.py:8: 'num': '12abc' is not a number"));
    cr_assert(has_msg(&d, "keys.py:9: expected '=' after 'eq' (only NAME = value lines)"));
    cr_assert(has_msg(&d, "keys.py:10: 'lead': '007' is not a number"));
    cr_assert(has_msg(&d, "keys.py:11: 'name': \\N{...} escapes are not supported; use \\u"));
    cr_assert(has_msg(&d, "keys.py:12: expected NAME = value, found '= 3'"));
    cr_assert_eq(d.n, 11, "one message per bad line");
    cr_assert_str_eq(str(v, "ok"), "fine", "good lines still load");
    cr_assert(vault_is_broken(v, "key"));
    cr_assert(!vault_is_broken(v, "ok"));
    vault_free(v);
    diags_free(&d);
}

Test(vault, windows_line_endings_and_a_bom_are_accepted)
{
    struct diags d = {0};
    struct vault *v = vault_parse("keys.py", "\xEF\xBB\xBF# keys\r\nmisp_key = 'abc-def'\r\n\r\nflag = True  \r\n", &d);
    dump(&d);
    cr_assert_eq(d.n, 0);
    cr_assert_str_eq(str(v, "misp_key"), "abc-def");
    json_t *x = NULL;
    cr_assert_eq(vault_get(v, "flag", &x), 0);
    cr_assert(json_is_true(x));
    json_decref(x);
    vault_free(v);
    diags_free(&d);
}

Test(vault, unterminated_triple_quote_names_the_line_it_started)
{
    struct diags d = {0};
    struct vault *v = vault_parse("keys.py", "a = 1\nb = '''open\nmore\n", &d);
    cr_assert_eq(d.n, 1);
    cr_assert_str_eq(d.items[0].msg, "keys.py:2: 'b': unterminated string");
    vault_free(v);
    diags_free(&d);
}

Test(vault, every_string_value_is_registered_as_a_secret)
{
    struct diags d = {0};
    struct vault *v = vault_parse("keys.py", "thehive_key = 'hive-SECRET-123'\nport = 9000\n", &d);
    char *out = redact_dup("Authorization: Bearer hive-SECRET-123, port 9000");
    cr_assert_str_eq(out, "Authorization: Bearer ***, port 9000");
    free(out);
    vault_free(v);
    diags_free(&d);
}

static char *write_vault(const char *text, mode_t mode)
{
    char *path = strdup("/tmp/nbsoar-vault-XXXXXX");
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    cr_assert_eq(chmod(path, mode), 0);
    return path;
}

Test(vault, group_or_world_readable_vault_is_refused)
{
    char *path = write_vault("misp_key = 'k-123456'\n", 0644);
    struct diags d = {0};
    struct vault *v = vault_load(path, &d);
    cr_assert_null(v);
    cr_assert_eq(d.n, 1);
    char want[512];
    snprintf(want, sizeof(want),
             "%s: vault is accessible by group or others (mode 0644); refusing to read secrets "
             "from it: run chmod 600 %s", path, path);
    cr_assert_str_eq(d.items[0].msg, want);
    diags_free(&d);

    chmod(path, 0640);
    v = vault_load(path, &d);
    cr_assert_null(v, "group-readable is refused too");
    cr_assert(strstr(d.items[0].msg, "(mode 0640)") != NULL);
    diags_free(&d);
    unlink(path);
    free(path);
}

Test(vault, owner_only_vault_is_accepted)
{
    char *path = write_vault("misp_key = 'k-123456'\n", 0600);
    struct diags d = {0};
    struct vault *v = vault_load(path, &d);
    cr_assert_not_null(v);
    cr_assert_eq(d.n, 0);
    cr_assert_str_eq(str(v, "misp_key"), "k-123456");
    cr_assert_str_eq(vault_path(v), path);
    vault_free(v);
    unlink(path);
    free(path);
}

Test(vault, missing_vault_file_is_reported)
{
    struct diags d = {0};
    cr_assert_null(vault_load("/nonexistent/keys.py", &d));
    cr_assert_str_eq(d.items[0].msg, "/nonexistent/keys.py: cannot open vault: No such file or directory");
    diags_free(&d);
}

Test(vault, the_shipped_vault_example_parses_cleanly)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/vault.example", getenv("NBSOAR_SOURCE_ROOT"));
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    static char text[65536];
    size_t n = fread(text, 1, sizeof(text) - 1, f);
    text[n] = '\0';
    fclose(f);
    struct diags d = {0};
    struct vault *v = vault_parse(path, text, &d);
    dump(&d);
    cr_assert_eq(d.n, 0);
    cr_assert_str_eq(str(v, "misp_url"), "https://misp.example.org/");
    cr_assert_str_eq(str(v, "jupyterhub_token"), "fake-hub-token\\with-a-backslash");
    vault_free(v);
    diags_free(&d);
}
