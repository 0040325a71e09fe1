#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "diag_check.h"

Test(config, parses_sections_keys_lines_and_comments)
{
    struct diags d = {0};
    struct conf *c = conf_parse("a.conf",
                                "# comment\n"
                                "; another\n"
                                "[host]\n"
                                "workers = 4\n"
                                "\n"
                                "[source spool]\r\n"
                                "plugin=spool\n"
                                "  path =  /var/spool/x # not a comment  \n"
                                "[route all]\n"
                                "match = .*\n",
                                &d);
    cr_assert_not_null(c);
    cr_assert_eq(d.n, 0);
    cr_assert_eq(c->n_sections, 3);
    const struct conf_section *h = conf_host(c);
    cr_assert_not_null(h);
    cr_assert_str_eq(conf_get(h, "workers"), "4");
    const struct conf_section *s = conf_find(c, CONF_SOURCE, "spool");
    cr_assert_not_null(s);
    cr_assert_eq(s->line, 6);
    cr_assert_str_eq(conf_get(s, "plugin"), "spool");
    cr_assert_str_eq(conf_get(s, "path"), "/var/spool/x # not a comment");
    cr_assert_eq(conf_entry_find(s, "path")->line, 8);
    const struct conf_section *r = conf_find(c, CONF_ROUTE, "all");
    cr_assert_not_null(r);
    cr_assert_str_eq(conf_get(r, "match"), ".*");
    cr_assert_null(conf_find(c, CONF_SINK, "spool"));
    cr_assert_eq(conf_next(c, CONF_ROUTE, NULL), r);
    cr_assert_null(conf_next(c, CONF_ROUTE, r));
    cr_assert_null(conf_next(c, CONF_SINK, NULL));
    conf_free(c);
    diags_free(&d);
}

Test(config, reports_every_problem_with_file_line_and_key)
{
    struct diags d = {0};
    struct conf *c = conf_parse("bad.conf",
                                "orphan = 1\n"              /* 1 */
                                "[host]\n"                  /* 2 */
                                "workers = 2\n"             /* 3 */
                                "workers = 3\n"             /* 4 */
                                "[host]\n"                  /* 5 */
                                "[sink]\n"                  /* 6 */
                                "[sink a b]\n"              /* 7 */
                                "[frob x]\n"                /* 8 */
                                "ignored = under a bad header\n" /* 9 */
                                "[sink out\n"               /* 10 */
                                "[source in]\n"             /* 11 */
                                "just words\n"              /* 12 */
                                " = nothing\n"              /* 13 */
                                "bad key = 1\n"             /* 14 */
                                "[host extra]\n"            /* 15 */
                                "[source in]\n",            /* 16 */
                                &d);
    cr_assert_not_null(c);
    dump(&d);
    cr_assert(has_msg(&d, "bad.conf:1: key 'orphan' outside any section"));
    cr_assert(has_msg(&d, "bad.conf:4: duplicate key 'workers' (first set at line 3)"));
    cr_assert(has_msg(&d, "bad.conf:5: duplicate section [host] (first at line 2)"));
    cr_assert(has_msg(&d, "bad.conf:6: [sink] needs a name: [sink NAME]"));
    cr_assert(has_msg(&d, "bad.conf:7: invalid sink name 'a b' (letters, digits, '_', '.', '-' only)"));
    cr_assert(has_msg(&d, "bad.conf:8: unknown section kind 'frob' (expected host, source, executor, sink or route)"));
    cr_assert(has_msg(&d, "bad.conf:10: missing ']' in section header"));
    cr_assert(has_msg(&d, "bad.conf:12: expected 'key = value', '[section]' or a comment, found 'just words'"));
    cr_assert(has_msg(&d, "bad.conf:13: missing key name before '='"));
    cr_assert(has_msg(&d, "bad.conf:14: invalid key name 'bad key' (letters, digits, '_', '.', '-' only)"));
    cr_assert(has_msg(&d, "bad.conf:15: [host] takes no name (found 'extra')"));
    cr_assert(has_msg(&d, "bad.conf:16: duplicate section [source in] (first at line 11)"));
    cr_assert_eq(d.n, 12, "every problem reported once, none for keys under a bad header");
    conf_free(c);
    diags_free(&d);
}

Test(config, expands_environment_variables_in_values)
{
    setenv("NBSOAR_TEST_HOST", "misp.example", 1);
    unsetenv("NBSOAR_TEST_UNSET");
    struct diags d = {0};
    struct conf *c = conf_parse("env.conf",
                                "[sink misp]\n"
                                "url = https://${NBSOAR_TEST_HOST}/api\n"
                                "literal = cost $5 and $${NOT_EXPANDED}\n"
                                "missing = ${NBSOAR_TEST_UNSET}\n"
                                "open = ${NBSOAR_TEST_HOST\n"
                                "weird = ${1BAD}\n",
                                &d);
    const struct conf_section *s = conf_find(c, CONF_SINK, "misp");
    cr_assert_str_eq(conf_get(s, "url"), "https://misp.example/api");
    cr_assert_str_eq(conf_get(s, "literal"), "cost $5 and ${NOT_EXPANDED}");
    cr_assert_null(conf_get(s, "missing"));
    dump(&d);
    cr_assert(has_msg(&d, "env.conf:4: key 'missing': environment variable NBSOAR_TEST_UNSET is not set"));
    cr_assert(has_msg(&d, "env.conf:5: key 'open': unterminated '${' in value"));
    cr_assert(has_msg(&d, "env.conf:6: key 'weird': '${1BAD}' is not a valid environment variable name"));
    cr_assert_eq(d.n, 3);
    conf_free(c);
    diags_free(&d);
}

Test(config, a_leading_bom_is_ignored)
{
    struct diags d = {0};
    struct conf *c = conf_parse("bom.conf", "\xEF\xBB\xBF[host]\r\nworkers = 2\r\n", &d);
    cr_assert_eq(d.n, 0);
    cr_assert_str_eq(conf_get(conf_host(c), "workers"), "2");
    conf_free(c);
    diags_free(&d);
}

Test(config, missing_file_is_reported_not_fatal)
{
    struct diags d = {0};
    struct conf *c = conf_load("/nonexistent/nbsoar.conf", &d);
    cr_assert_null(c);
    cr_assert_eq(d.n, 1);
    cr_assert_str_eq(d.items[0].msg, "/nonexistent/nbsoar.conf: cannot open config: No such file or directory");
    diags_free(&d);
}

Test(config, relative_paths_resolve_against_the_config_directory)
{
    struct diags d = {0};
    struct conf *c = conf_parse("/etc/nbsoar/nbsoar.conf", "[host]\n", &d);
    char *p = conf_resolve_path(c, "vault.py");
    cr_assert_str_eq(p, "/etc/nbsoar/vault.py");
    free(p);
    p = conf_resolve_path(c, "/abs/vault.py");
    cr_assert_str_eq(p, "/abs/vault.py");
    free(p);
    conf_free(c);
    diags_free(&d);
}

Test(config, diagnostics_sort_by_file_then_line)
{
    struct diags d = {0};
    diags_add(&d, "a.conf", 9, "nine");
    diags_add(&d, "a.conf", 2, "two");
    diags_add(&d, "v.py", 1, "vault");
    diags_add(&d, "a.conf", 2, "two again");
    diags_sort(&d);
    cr_assert_str_eq(d.items[0].msg, "a.conf:2: two");
    cr_assert_str_eq(d.items[1].msg, "a.conf:2: two again");
    cr_assert_str_eq(d.items[2].msg, "a.conf:9: nine");
    cr_assert_str_eq(d.items[3].msg, "v.py:1: vault");
    diags_free(&d);
}
