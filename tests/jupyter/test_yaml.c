/* The PyYAML-compatible loader against PyYAML itself, and its errors. */
#include "pyjson.h"
#include "pyyaml.h"
#include "test_util.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

Test(yaml, agrees_with_pyyaml_nodates_safeloader_on_a_corpus, .timeout = 120)
{
    char *dir = tu_mkdtemp();
    char script[1024], corpus_path[1024], results_path[1024], err[512];
    tu_test_file(script, sizeof script, "yaml_corpus.py");
    snprintf(corpus_path, sizeof corpus_path, "%s/corpus.json", dir);
    snprintf(results_path, sizeof results_path, "%s/results.json", dir);
    unsigned seed = (unsigned)time(NULL);
    cr_log_info("yaml corpus seed %u", seed);
    cr_assert_eq(tu_system("%s %s make %u %s", tu_python(), script, seed, corpus_path), 0);
    size_t len;
    char *text = tu_read_file(corpus_path, &len);
    json_t *corpus = pyjson_loads(text, len, 0, err, sizeof err);
    cr_assert_not_null(corpus, "%s", err);
    free(text);
    json_t *results = json_array();
    size_t i;
    json_t *doc;
    json_array_foreach(corpus, i, doc)
    {
        json_t *v = pyyaml_load(json_string_value(doc), json_string_length(doc), "<yaml>", err, sizeof err);
        json_array_append_new(results, v ? json_pack("[bo]", 1, v) : json_pack("[bs]", 0, err));
    }
    char *out = pyjson_dumps(results, -1, 0, &len);
    cr_assert_eq(tu_write_file(results_path, out, len), 0);
    free(out);
    json_decref(results);
    json_decref(corpus);
    cr_assert_eq(tu_system("%s %s check %s %s", tu_python(), script, corpus_path, results_path), 0,
                 "differences from PyYAML (seed %u)", seed);
    tu_rmdir(dir);
    free(dir);
}

static void expect_error(const char *yaml, const char *needle)
{
    char err[512] = "";
    json_t *v = pyyaml_load(yaml, strlen(yaml), "p.yaml", err, sizeof err);
    cr_expect_null(v, "accepted: %s", yaml);
    json_decref(v);
    cr_expect(strstr(err, needle) != NULL, "error \"%s\" lacks \"%s\"", err, needle);
}

Test(yaml, errors_name_file_line_and_column)
{
    expect_error("a: 1\nb: [1, 2\n", "p.yaml: line 3, column 1:");
    expect_error("a: '", "p.yaml: line 1, column 5: found unexpected end of stream");
    expect_error("a: 1\nb: *nope", "p.yaml: line 2, column 4: found undefined alias 'nope'");
    expect_error("a: &x 1\nb: &x 2", "found duplicate anchor 'x'");
    expect_error("--- 1\n--- 2", "expected a single document");
    expect_error("a:\n  - &r [*r]", "recursive alias");
    expect_error("x: !!binary aGk=", "'tag:yaml.org,2002:binary' is not supported");
    expect_error("x: !foo 1", "could not determine a constructor for the tag '!foo'");
    expect_error("x: =", "tag:yaml.org,2002:value");
    expect_error("{[1]: 2}", "line 1, column 2: found unhashable key");
    expect_error("a: 0b_", "invalid literal for int() with base 2");
}

Test(yaml, alias_bomb_is_refused_quickly, .timeout = 10)
{
    const char *bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
                       "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
                       "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
                       "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
                       "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
                       "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
                       "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n";
    expect_error(bomb, "aliases expand to more than");
}

Test(yaml, dates_stay_strings_and_big_ints_are_exact)
{
    char err[256];
    const char *y = "d: 2019-01-01\nbig: 123456789012345678901234567890\nhex: 0xFFFFFFFFFFFFFFFFFF\n";
    json_t *v = pyyaml_load(y, strlen(y), "t", err, sizeof err);
    cr_assert_not_null(v, "%s", err);
    cr_assert_str_eq(json_string_value(json_object_get(v, "d")), "2019-01-01");
    cr_assert_str_eq(pyjson_bigint_digits(json_object_get(v, "big")), "123456789012345678901234567890");
    cr_assert_str_eq(pyjson_bigint_digits(json_object_get(v, "hex")), "4722366482869645213695");
    json_decref(v);
}
