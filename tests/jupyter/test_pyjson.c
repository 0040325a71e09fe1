/* pyjson_loads / pyjson_dumps against Python's json module on random
 * inputs built from edge tokens: same accept/refuse decision, and what is
 * accepted dumps to exactly json.dumps(value, ensure_ascii=False). */
#include "pyjson.h"
#include "test_util.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

Test(pyjson, agrees_with_python_json_on_random_inputs, .timeout = 120)
{
    char *dir = tu_mkdtemp(), path[1024], script[1024];
    snprintf(path, sizeof path, "%s/cases.txt", dir);
    tu_test_file(script, sizeof script, "json_cases.py");
    unsigned seed = (unsigned)time(NULL);
    cr_assert_eq(tu_system("%s %s %u 50000 %s", tu_python(), script, seed, path), 0);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f);
    char *line = NULL;
    size_t cap = 0, n_cases = 0, accepted = 0, bad = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        line[n - 1] = '\0';
        char *tab = strchr(line, '\t');
        cr_assert_not_null(tab);
        *tab = '\0';
        const char *expected = tab + 1;
        size_t len = strlen(line) / 2;
        char *buf = malloc(len + 1);
        for (size_t i = 0; i < len; i++) {
            unsigned x;
            sscanf(line + 2 * i, "%2x", &x);
            buf[i] = (char)x;
        }
        char err[256];
        json_t *v = pyjson_loads(buf, len, 0, err, sizeof err);
        char *got = v ? pyjson_dumps(v, -1, 0, NULL) : NULL;
        /* the expectation escapes newlines; dumps never writes raw ones */
        int ok = v ? !strncmp(expected, "OK ", 3) && !strcmp(expected + 3, got) : !strcmp(expected, "ERR");
        if (!ok && bad++ < 10)
            cr_log_error("input %s: python says [%s], pyjson says [%s]", line, expected, v ? got : err);
        accepted += v != NULL;
        n_cases++;
        free(got);
        json_decref(v);
        free(buf);
    }
    free(line);
    fclose(f);
    cr_log_info("%zu inputs, %zu accepted, seed %u", n_cases, accepted, seed);
    cr_assert_eq(bad, 0, "%zu differences from Python's json (seed %u)", bad, seed);
    cr_assert_gt(accepted, 100);
    tu_rmdir(dir);
    free(dir);
}

Test(pyjson, float_repr_matches_python)
{
    const struct {
        double d;
        const char *repr;
    } cases[] = {
        {0.1, "0.1"},        {1e16, "1e+16"},    {1e15, "1000000000000000.0"}, {1e-4, "0.0001"},
        {1e-5, "1e-05"},     {-0.0, "-0.0"},     {5e-324, "5e-324"},           {1.7976931348623157e308, "1.7976931348623157e+308"},
        {123.0, "123.0"},    {2.5, "2.5"},       {1.0 / 3, "0.3333333333333333"}, {-1.5e-7, "-1.5e-07"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char buf[32];
        pyjson_float_repr(cases[i].d, buf);
        cr_expect_str_eq(buf, cases[i].repr);
    }
}

Test(pyjson, big_int_literals_are_lossless_and_limited_like_python)
{
    char err[256];
    const char *text = "[-123456789012345678901234567890, 9223372036854775807, 9223372036854775808]";
    json_t *v = pyjson_loads(text, strlen(text), 0, err, sizeof err);
    cr_assert_not_null(v, "%s", err);
    cr_assert(pyjson_is_bigint(json_array_get(v, 0)));
    cr_assert(json_is_integer(json_array_get(v, 1)));
    cr_assert_str_eq(pyjson_bigint_digits(json_array_get(v, 2)), "9223372036854775808");
    char *out = pyjson_dumps(v, -1, 0, NULL);
    cr_assert_str_eq(out, text);
    free(out);
    json_decref(v);
    char big[4400] = "[";
    memset(big + 1, '9', 4301);
    strcpy(big + 4302, "]");
    cr_assert_null(pyjson_loads(big, strlen(big), 0, err, sizeof err));
    cr_assert(strstr(err, "Exceeds the limit (4300 digits)") != NULL, "%s", err);
    cr_assert_null(pyjson_loads("NaN", 3, PYJSON_STRICT, err, sizeof err));
    cr_assert_str_eq(err, "Expecting value at line 1 column 1");
}
