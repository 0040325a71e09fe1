/* Parameter translators: papermill's own expectations, and a fuzz of the
 * Python translator checked by Python itself. */
#include "papermill_translator_cases.h"
#include "pyjson.h"
#include "test_util.h"
#include "translate.h"

#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static json_t *J(const char *text)
{
    char err[256];
    json_t *v = pyjson_loads(text, strlen(text), 0, err, sizeof err);
    cr_assert_not_null(v, "%s: %s", text, err);
    return v;
}

static const struct translator *T(const char *key)
{
    char err[256];
    const struct translator *t = translator_find(key, NULL, err, sizeof err);
    cr_assert_not_null(t, "%s", err);
    return t;
}

static void expect_translation(const char *key, const char *json, const char *expected)
{
    char err[256];
    json_t *v = J(json);
    char *got = translator_value(T(key), v, err, sizeof err);
    cr_expect(got && !strcmp(got, expected), "%s: %s -> [%s], expected [%s] (%s)", key, json, got ? got : "NULL",
              expected, got ? "" : err);
    free(got);
    json_decref(v);
}

Test(translate, papermill_type_tables)
{
    for (size_t i = 0; i < sizeof type_cases / sizeof type_cases[0]; i++)
        expect_translation(type_cases[i].key, type_cases[i].input, type_cases[i].expected);
}

Test(translate, papermill_codify_tables)
{
    for (size_t i = 0; i < sizeof codify_cases / sizeof codify_cases[0]; i++) {
        char err[256];
        json_t *v = J(codify_cases[i].input);
        char *got = translator_codify(T(codify_cases[i].key), v, "Parameters", NULL, err, sizeof err);
        cr_expect(got && !strcmp(got, codify_cases[i].expected), "%s: %s -> [%s], expected [%s]",
                  codify_cases[i].key, codify_cases[i].input, got ? got : err, codify_cases[i].expected);
        free(got);
        json_decref(v);
    }
}

Test(translate, papermill_comment_tables)
{
    for (size_t i = 0; i < sizeof comment_cases / sizeof comment_cases[0]; i++) {
        char *got = translator_comment(T(comment_cases[i].key), comment_cases[i].input);
        cr_expect_str_eq(got, comment_cases[i].expected, "%s comment", comment_cases[i].key);
        free(got);
    }
}

Test(translate, reference_expectations)
{
    expect_translation("python", "\"do\\\\ not\\\\ crash\"", "\"do\\\\ not\\\\ crash\"");
    expect_translation("python", "\"bar=\\\\\\\"baz\\\\\\\"\"", "\"bar=\\\\\\\"baz\\\\\\\"\"");
    expect_translation("python", "\"\\\"Hello\\\"\"", "\"\\\"Hello\\\"\"");
    expect_translation("python", "\"caf\\u00e9 \\t\\n\\r \\u0001 \\u007f \\u20ac \\ud83d\\ude00 '\"",
                       "\"caf\\xe9 \\t\\n\\r \\x01 \\x7f \\u20ac \\U0001f600 '\"");
    expect_translation("python", "123456789012345678901234567890", "123456789012345678901234567890");
    expect_translation("python", "[1e16, 1e-05, 0.0001, -0.0, 5e-324, 1e400, -1e400]",
                       "[1e+16, 1e-05, 0.0001, -0.0, 5e-324, float('inf'), float('-inf')]");
    expect_translation("R", "NaN", "nan");
    expect_translation("julia", "-Infinity", "-inf");
    expect_translation("scala", "123456789012345678901234567890", "123456789012345678901234567890L");
    expect_translation("bash", "[1, \"a b\", null, [true]]", "(1 'a b'  (true))");
    expect_translation("bash", "\"\"", "''");
    expect_translation("matlab", "{\"it's\": \"x\"}", "containers.Map({'it''s'}, {\"x\"})");
    expect_translation(".net-powershell", "{\"a\": 1, \"b\": 2}", "@{\"a\" = 1\n \"b\" = 2}");
    expect_translation(".net-csharp", "[]", "new [] {  }");
}

Test(translate, codify_names_r_underscores_and_matlab_semicolons)
{
    char err[256];
    json_t *p = J("{\"__x\": 1, \"y\": \"s\"}");
    char *r = translator_codify(T("R"), p, "Parameters", NULL, err, sizeof err);
    cr_assert_str_eq(r, "# Parameters\nx = 1\ny = \"s\"\n");
    char *m = translator_codify(T("matlab"), p, "Parameters", NULL, err, sizeof err);
    cr_assert_str_eq(m, "% Parameters\n__x = 1;\ny = \"s\";\n");
    json_t *raw = J("{\"y\": \"RAW\"}");
    char *py = translator_codify(T("python"), p, "", raw, err, sizeof err);
    cr_assert_str_eq(py, "#\n__x = 1\ny = RAW\n");
    free(r);
    free(m);
    free(py);
    json_decref(p);
    json_decref(raw);
}

Test(translate, selection_kernel_first_then_language_and_exact_error)
{
    char err[256];
    cr_assert_eq(translator_find("pysparkkernel", "scala", err, sizeof err), T("python"));
    cr_assert_eq(translator_find("sparkkernel", "python", err, sizeof err), T("scala"));
    cr_assert_eq(translator_find("sparkrkernel", NULL, err, sizeof err), T("R"));
    cr_assert_eq(translator_find("python3", "python", err, sizeof err), T("python"));
    cr_assert_eq(translator_find("ir", "R", err, sizeof err), T("R"));
    cr_assert_str_eq(translator_name(T(".net-fsharp")), "FSharpTranslator");
    cr_assert_null(translator_find("xpython", "cobol", err, sizeof err));
    cr_assert_str_eq(err, "No parameter translator functions specified for kernel 'xpython' or language 'cobol'");
    cr_assert_null(translator_find(NULL, "r", err, sizeof err));
    cr_assert_str_eq(err, "No parameter translator functions specified for kernel 'None' or language 'r'");
}

Test(translate, not_implemented_cases_are_errors)
{
    char err[256];
    json_t *d = J("{\"a\": {\"b\": 1}}");
    cr_assert_null(translator_codify(T("bash"), d, "Parameters", NULL, err, sizeof err));
    cr_assert_str_eq(err, "dict type translation not implemented for <class 'papermill.translators.BashTranslator'>");
    json_t *n = J("[null]");
    cr_assert_null(translator_value(T(".net-csharp"), n, err, sizeof err));
    cr_assert_str_eq(err, "Option type not implemented for C#.");
    json_t *nul = J("\"a\\u0000b\"");
    cr_assert_null(translator_value(T("bash"), nul, err, sizeof err));
    cr_assert_str_eq(err, "a string with a NUL character cannot be given to a Bash kernel");
    json_decref(nul);
    json_decref(d);
    json_decref(n);
}

Test(translate, shlex_quote)
{
    const char *cases[][2] = {
        {"foo", "foo"},       {"foo space", "'foo space'"}, {"foo's", "'foo'\"'\"'s'"},
        {"a@%+=:,./-_9", "a@%+=:,./-_9"}, {"\xc3\xa9", "'\xc3\xa9'"}, {"$x", "'$x'"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *q = py_shlex_quote(cases[i][0], strlen(cases[i][0]));
        cr_expect_str_eq(q, cases[i][1]);
        free(q);
    }
}

/* ---- fuzz: random values, translated, evaluated by Python ---- */

static uint64_t rng;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

static size_t put_cp(char *o, unsigned cp)
{
    if (cp < 0x80)
        return (size_t)(o[0] = (char)cp, 1);
    if (cp < 0x800)
        return o[0] = (char)(0xC0 | (cp >> 6)), o[1] = (char)(0x80 | (cp & 0x3F)), 2;
    if (cp < 0x10000)
        return o[0] = (char)(0xE0 | (cp >> 12)), o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)),
               o[2] = (char)(0x80 | (cp & 0x3F)), 3;
    return o[0] = (char)(0xF0 | (cp >> 18)), o[1] = (char)(0x80 | ((cp >> 12) & 0x3F)),
           o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)), o[3] = (char)(0x80 | (cp & 0x3F)), 4;
}

/* Code points from every plane, weighted towards the troublesome ones. */
static unsigned random_cp(void)
{
    static const char special[] = "\"'\\\n\r\t\b\f\v{}[]#$`%";
    switch (rnd() % 8) {
    case 0: return (unsigned)special[rnd() % (sizeof special - 1)];
    case 1: return (unsigned)(rnd() % 0x20); /* controls, NUL included */
    case 2: return 0x7f + (unsigned)(rnd() % 0x81);
    case 3: {
        unsigned cp = (unsigned)(rnd() % 0x10000);
        return cp >= 0xD800 && cp <= 0xDFFF ? 0x2028 + (cp & 1) : cp;
    }
    case 4: return 0x10000 + (unsigned)(rnd() % 0x100000);
    default: return 0x20 + (unsigned)(rnd() % 0x5f);
    }
}

static json_t *random_string(void)
{
    char buf[24 * 4];
    size_t n = 0, len = rnd() % 24;
    for (size_t i = 0; i < len; i++)
        n += put_cp(buf + n, random_cp());
    return json_stringn(buf, n);
}

static json_t *random_value(int depth)
{
    union {
        uint64_t u;
        double d;
    } bits;
    char digits[80];
    switch (rnd() % (depth < 4 ? 10 : 7)) {
    case 0: return json_null();
    case 1: return json_boolean(rnd() & 1);
    case 2:
        switch (rnd() % 3) {
        case 0: return json_integer((json_int_t)(rnd() % 2001) - 1000);
        case 1: return json_integer((json_int_t)rnd());
        default: {
            size_t n = 0, len = 19 + rnd() % 50;
            if (rnd() & 1)
                digits[n++] = '-';
            digits[n++] = (char)('1' + rnd() % 9);
            while (n < len)
                digits[n++] = (char)('0' + rnd() % 10);
            return pyjson_int_from_text(digits, n);
        }
        }
    case 3:
        switch (rnd() % 6) {
        case 0: return pyjson_float((double[]){NAN, INFINITY, -INFINITY, -0.0, 0.0, 5e-324}[rnd() % 6]);
        case 1: bits.u = rnd() & 0x800FFFFFFFFFFFFFull; return pyjson_float(bits.d); /* subnormal */
        case 2: return pyjson_float((double)(int64_t)(rnd() % 100000) / 100.0);
        default: bits.u = rnd(); return pyjson_float(bits.d);
        }
    case 4: case 5: case 6: return random_string();
    case 7: case 8: {
        json_t *a = json_array();
        for (size_t i = 0, n = rnd() % 5; i < n; i++)
            json_array_append_new(a, random_value(depth + 1));
        return a;
    }
    default: {
        json_t *o = json_object();
        for (size_t i = 0, n = rnd() % 5; i < n; i++) {
            json_t *k = random_string();
            json_object_setn_new(o, json_string_value(k), json_string_length(k), random_value(depth + 1));
            json_decref(k);
        }
        return o;
    }
    }
}

Test(translate, fuzz_python_translation_evaluates_to_the_value, .timeout = 120)
{
    enum { N = 12000 };
    char *dir = tu_mkdtemp();
    char path[1024], script[1024], err[256];
    snprintf(path, sizeof path, "%s/values.txt", dir);
    tu_test_file(script, sizeof script, "translation_check.py");
    rng = (uint64_t)time(NULL) * 2654435761u | 1;
    cr_log_info("fuzz seed %llu", (unsigned long long)rng);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    for (int i = 0; i < N; i++) {
        json_t *v = random_value(0);
        char *code = translator_value(T("python"), v, err, sizeof err);
        char *js = pyjson_dumps(v, -1, 0, NULL);
        cr_assert(code && js, "%s", err);
        cr_assert_null(strchr(code, '\n'), "translation spans lines: %s", code);
        fprintf(f, "%s\n%s\n", code, js);
        free(code);
        free(js);
        json_decref(v);
    }
    fclose(f);
    int rc = tu_system("%s %s %s", tu_python(), script, path);
    cr_assert_eq(rc, 0, "python found mismatches (seed in the log, values in %s)", path);
    tu_rmdir(dir);
    free(dir);
}
