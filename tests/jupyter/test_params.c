/* papermill's parameter sources (-p typing, -r, -y, -f, -b, merge order)
 * and parameterize_notebook (placement, report mode, secrets). */
#include "notebook.h"
#include "parameters.h"
#include "pyjson.h"
#include "test_util.h"

#include <criterion/criterion.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *dumps(const json_t *v)
{
    return pyjson_dumps(v, -1, 0, NULL);
}

static void expect_json(const json_t *v, const char *want)
{
    char *got = dumps(v);
    cr_expect_str_eq(got, want);
    free(got);
}

Test(params, resolve_type_examples)
{
    const char *cases[][2] = {
        {"True", "true"},          {"False", "false"},      {"None", "null"},     {"true", "\"true\""},
        {"12.51", "12.51"},        {"10", "10"},            {"hello world", "\"hello world\""},
        {"1_000", "1000"},         {" 12 ", "12"},          {"+5", "5"},          {"-0", "0"},
        {"1e5", "100000.0"},       {"inf", "Infinity"},     {"-Infinity", "-Infinity"}, {"nan", "NaN"},
        {"1__0", "\"1__0\""},      {"0x10", "\"0x10\""},    {"\xd9\xa3", "3"},    {"\xc2\xa0" "7\xe3\x80\x80", "7"},
        {"123456789012345678901234567890", "123456789012345678901234567890"},
        {"", "\"\""},              {".5", "0.5"},           {"5.", "5.0"},        {"1_0e1_0", "100000000000.0"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *v = param_resolve_type(cases[i][0]);
        char *got = dumps(v);
        cr_expect_str_eq(got, cases[i][1], "-p '%s'", cases[i][0]);
        free(got);
        json_decref(v);
    }
}

static uint64_t rng;

static uint64_t rnd(void)
{
    rng ^= rng << 13;
    rng ^= rng >> 7;
    rng ^= rng << 17;
    return rng;
}

Test(params, resolve_type_agrees_with_python_int_and_float, .timeout = 60)
{
    static const char *const tokens[] = {
        "0", "1", "7", "9", "_", "-", "+", ".", "e", "E", " ", "\t", "\xc2\xa0", "\xe3\x80\x80", "inf", "nan",
        "Infinity", "iNF", "x", "a", "\xd9\xa3", "\xef\xbc\x91", "\xe0\xa5\xa8", "\xf0\x9d\x9f\x8e", "00", "True",
        "None", ",", "\xe2\x80\xa8", "\x1c", "j",
    };
    char *dir = tu_mkdtemp();
    char path[1024], script[1024];
    snprintf(path, sizeof path, "%s/pairs.json", dir);
    tu_test_file(script, sizeof script, "resolve_type_check.py");
    rng = (uint64_t)time(NULL) * 0x9E3779B97F4A7C15ull | 1;
    json_t *pairs = json_array();
    char text[256];
    for (int i = 0; i < 5000; i++) {
        size_t n = 0;
        for (size_t k = 0, len = rnd() % 7; k < len; k++)
            n += (size_t)snprintf(text + n, sizeof text - n, "%s", tokens[rnd() % (sizeof tokens / sizeof *tokens)]);
        text[n] = '\0';
        json_array_append_new(pairs, json_pack("[so]", text, param_resolve_type(text)));
    }
    char big[4400];
    memset(big, '7', 4301);
    big[4301] = '\0';
    json_array_append_new(pairs, json_pack("[so]", big, param_resolve_type(big)));
    big[4300] = '\0';
    json_array_append_new(pairs, json_pack("[so]", big, param_resolve_type(big)));
    size_t len;
    char *js = pyjson_dumps(pairs, -1, 0, &len);
    cr_assert_eq(tu_write_file(path, js, len), 0);
    free(js);
    json_decref(pairs);
    cr_assert_eq(tu_system("%s %s %s", tu_python(), script, path), 0, "differences from Python (see %s)", path);
    tu_rmdir(dir);
    free(dir);
}

Test(params, merge_order_is_papermills_whatever_the_command_line_order)
{
    struct param_cli c;
    char err[512];
    param_cli_init(&c);
    /* given in reverse order on purpose */
    cr_assert_eq(param_cli_add(&c, PARAM_RAW, "a", "raw", err, sizeof err), 0);
    cr_assert_eq(param_cli_add(&c, PARAM_TYPED, "a", "1", err, sizeof err), 0);
    cr_assert_eq(param_cli_add(&c, PARAM_TYPED, "b", "2.5", err, sizeof err), 0);
    cr_assert_eq(param_cli_add(&c, PARAM_YAML, "{b: yaml, c: 2019-01-01, d: [1, {e: null}]}", NULL, err, sizeof err),
                 0, "%s", err);
    /* base64 of "{z: 1, c: base}" with junk characters Python skips */
    cr_assert_eq(param_cli_add(&c, PARAM_BASE64, "e3o6IDEsIGM6IGJhc2V9\n!", NULL, err, sizeof err), 0, "%s", err);
    cr_assert_eq(param_cli_add(&c, PARAM_YAML, "", NULL, err, sizeof err), 0, "%s", err);
    param_cli_inject_paths(&c, "in.ipynb", NULL);
    json_t *m = param_cli_merge(&c);
    expect_json(m, "{\"PAPERMILL_INPUT_PATH\": \"in.ipynb\", \"z\": 1, \"c\": \"2019-01-01\", \"b\": 2.5, "
                   "\"d\": [1, {\"e\": null}], \"a\": \"raw\"}");
    json_decref(m);
    param_cli_free(&c);
}

Test(params, source_errors_name_the_option)
{
    struct param_cli c;
    char err[512];
    param_cli_init(&c);
    cr_assert_lt(param_cli_add(&c, PARAM_YAML, "[1, 2]", NULL, err, sizeof err), 0);
    cr_expect(strstr(err, "-y/--parameters_yaml: parameters must be a YAML mapping") != NULL, "%s", err);
    cr_assert_lt(param_cli_add(&c, PARAM_YAML, "a: [1", NULL, err, sizeof err), 0);
    cr_expect(strstr(err, "-y/--parameters_yaml: line ") != NULL, "%s", err);
    cr_assert_lt(param_cli_add(&c, PARAM_BASE64, "e3o6", NULL, err, sizeof err), 0); /* "{z:" */
    cr_expect(strstr(err, "-b/--parameters_base64 (decoded): line") != NULL, "%s", err);
    cr_assert_lt(param_cli_add(&c, PARAM_BASE64, "e3o", NULL, err, sizeof err), 0);
    cr_expect_str_eq(err, "-b/--parameters_base64: Incorrect padding");
    cr_assert_lt(param_cli_add(&c, PARAM_FILE, "/nonexistent/p.yaml", NULL, err, sizeof err), 0);
    cr_expect(strstr(err, "/nonexistent/p.yaml: cannot open") != NULL, "%s", err);
    char *dir = tu_mkdtemp(), path[1024];
    snprintf(path, sizeof path, "%s/p.yaml", dir);
    tu_write_file(path, "a: 1\nb: *x\n", 11);
    cr_assert_lt(param_cli_add(&c, PARAM_FILE, path, NULL, err, sizeof err), 0);
    cr_expect(strstr(err, "p.yaml: line 2, column 4: found undefined alias 'x'") != NULL, "%s", err);
    tu_rmdir(dir);
    free(dir);
    param_cli_free(&c);
}

/* ---- injection ---- */

static json_t *nb_from(const char *cells, const char *kernel)
{
    char *text, err[512];
    cr_assert(asprintf(&text,
                       "{\"nbformat\": 4, \"nbformat_minor\": 4, \"metadata\": {\"kernelspec\": {\"name\": \"%s\", "
                       "\"display_name\": \"k\", \"language\": \"%s\"}}, \"cells\": [%s]}",
                       kernel, !strcmp(kernel, "ir") ? "R" : "python", cells) > 0);
    json_t *nb = notebook_parse(text, strlen(text), "t", err, sizeof err);
    cr_assert_not_null(nb, "%s", err);
    free(text);
    return nb;
}

#define CELL(src, tags) \
    "{\"cell_type\": \"code\", \"metadata\": {\"tags\": " tags "}, \"source\": \"" src "\", \"outputs\": [], " \
    "\"execution_count\": null}"

static const char *src_at(const json_t *nb, size_t i)
{
    return notebook_cell_source(json_array_get(json_object_get(nb, "cells"), i));
}

static json_t *P(const char *text)
{
    char err[256];
    json_t *v = pyjson_loads(text, strlen(text), 0, err, sizeof err);
    cr_assert_not_null(v, "%s", err);
    return v;
}

Test(params, inject_after_first_parameters_cell_upgrading_to_4_5)
{
    json_t *nb = nb_from(CELL("a = 1", "[]") "," CELL("x = 1", "[\"parameters\", \"other\"]") "," CELL(
                             "y = 1", "[\"parameters\"]"),
                         "python3");
    json_t *p = P("{\"x\": 123456789012345678901234567890, \"s\": \"caf\\u00e9\\n\", \"f\": NaN}");
    struct param_inject_opts o = {0};
    char err[256], *warning;
    cr_assert_eq(parameters_inject(nb, p, &o, NULL, &warning, err, sizeof err), 0, "%s", err);
    cr_assert_null(warning);
    cr_assert_eq(json_array_size(json_object_get(nb, "cells")), 4);
    cr_assert_str_eq(src_at(nb, 2), "# Parameters\nx = 123456789012345678901234567890\ns = \"caf\\xe9\\n\"\n"
                                    "f = float('nan')\n");
    json_t *cell = json_array_get(json_object_get(nb, "cells"), 2);
    expect_json(json_object_get(cell, "metadata"), "{\"tags\": [\"injected-parameters\"]}");
    cr_assert_eq(strlen(json_string_value(json_object_get(cell, "id"))), 8);
    cr_assert_eq(json_integer_value(json_object_get(nb, "nbformat_minor")), 5);
    cr_assert(json_is_string(json_object_get(json_array_get(json_object_get(nb, "cells"), 0), "id")));
    expect_json(json_object_get(json_object_get(json_object_get(nb, "metadata"), "papermill"), "parameters"),
                "{\"x\": 123456789012345678901234567890, \"s\": \"caf\xc3\xa9\\n\", \"f\": NaN}");
    char *out = notebook_dumps(nb, NULL);
    cr_assert(strstr(out, "\"x\": 123456789012345678901234567890") != NULL);
    free(out);
    json_decref(p);
    json_decref(nb);
}

Test(params, existing_injected_cell_is_replaced_in_place_and_report_mode_hides_it)
{
    json_t *nb = nb_from(CELL("p = 0", "[\"parameters\"]") "," CELL("a = 1", "[]") "," CELL(
                             "old", "[\"injected-parameters\"]"),
                         "python3");
    json_t *p = P("{\"p\": true}");
    struct param_inject_opts o = {.report_mode = 1};
    char err[256], *warning;
    cr_assert_eq(parameters_inject(nb, p, &o, NULL, &warning, err, sizeof err), 0, "%s", err);
    cr_assert_eq(json_array_size(json_object_get(nb, "cells")), 3);
    cr_assert_str_eq(src_at(nb, 2), "# Parameters\np = True\n");
    expect_json(json_object_get(json_array_get(json_object_get(nb, "cells"), 2), "metadata"),
                "{\"tags\": [\"injected-parameters\"], \"jupyter\": {\"source_hidden\": true}}");
    json_decref(p);
    json_decref(nb);
}

Test(params, no_parameters_tag_goes_first_with_papermills_warning)
{
    json_t *nb = nb_from(CELL("a = 1", "[]"), "ir");
    json_t *p = P("{\"_n\": [1, \"x\"]}");
    struct param_inject_opts o = {0};
    char err[256], *warning;
    cr_assert_eq(parameters_inject(nb, p, &o, NULL, &warning, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(warning, "Input notebook does not contain a cell with tag 'parameters'");
    cr_assert_str_eq(src_at(nb, 0), "# Parameters\nn = list(1, \"x\")\n");
    free(warning);
    json_decref(p);
    json_decref(nb);
}

Test(params, empty_parameters_leave_the_notebook_untouched)
{
    json_t *nb = nb_from(CELL("old", "[\"injected-parameters\"]"), "python3");
    char *before = notebook_dumps(nb, NULL);
    json_t *p = P("{}");
    struct param_inject_opts o = {0};
    char err[256], *warning;
    cr_assert_eq(parameters_inject(nb, p, &o, NULL, &warning, err, sizeof err), 0);
    char *after = notebook_dumps(nb, NULL);
    cr_assert_str_eq(before, after);
    free(before);
    free(after);
    json_decref(p);
    json_decref(nb);
}

Test(params, secrets_come_from_the_environment_and_never_reach_the_notebook)
{
    json_t *nb = nb_from(CELL("api_key = ''", "[\"parameters\"]"), "python3");
    json_t *p = P("{\"api_key\": \"s3cr3t-value\", \"host\": \"h\"}");
    json_t *secrets = P("[\"api_key\"]");
    struct param_inject_opts o = {.secret_names = secrets};
    char err[256], *warning;
    json_t *env;
    cr_assert_eq(parameters_inject(nb, p, &o, &env, &warning, err, sizeof err), 0, "%s", err);
    cr_assert_str_eq(src_at(nb, 1),
                     "# Parameters\napi_key = __import__(\"os\").environ[\"NBSOAR_SECRET_API_KEY\"]\nhost = \"h\"\n");
    expect_json(env, "[\"NBSOAR_SECRET_API_KEY=s3cr3t-value\"]");
    char *out = notebook_dumps(nb, NULL);
    cr_assert_null(strstr(out, "s3cr3t"), "secret leaked into the notebook");
    cr_assert(strstr(out, "\"api_key\": \"***\"") != NULL);
    free(out);
    json_decref(env);
    json_decref(nb);

    json_t *rnb = nb_from(CELL("x", "[]"), "ir");
    cr_assert_lt(parameters_inject(rnb, p, &o, &env, &warning, err, sizeof err), 0);
    cr_assert_str_eq(err, "secret parameter 'api_key': secret parameters are only supported for Python kernels, "
                          "not RTranslator");
    json_decref(rnb);
    json_decref(p);
    json_decref(secrets);
}

Test(params, bad_names_kernels_and_translations_are_errors_and_leave_nb_unchanged)
{
    json_t *nb = nb_from(CELL("x", "[]"), "python3");
    char *before = notebook_dumps(nb, NULL);
    struct param_inject_opts o = {0};
    char err[256], *warning;
    json_t *p = P("{\"a = 1\\nimport os; b\": 1}");
    cr_assert_lt(parameters_inject(nb, p, &o, NULL, &warning, err, sizeof err), 0);
    cr_assert(strstr(err, "is not an identifier") != NULL, "%s", err);
    json_decref(p);
    p = P("{\"a\": {\"b\": 1}}");
    struct param_inject_opts bash = {.kernel_name = "bash"};
    cr_assert_lt(parameters_inject(nb, p, &bash, NULL, &warning, err, sizeof err), 0);
    cr_assert_str_eq(err, "dict type translation not implemented for <class 'papermill.translators.BashTranslator'>");
    struct param_inject_opts cobol = {.kernel_name = "gnucobol", .language = "cobol"};
    cr_assert_lt(parameters_inject(nb, p, &cobol, NULL, &warning, err, sizeof err), 0);
    cr_assert_str_eq(err, "No parameter translator functions specified for kernel 'gnucobol' or language 'cobol'");
    char *after = notebook_dumps(nb, NULL);
    cr_assert_str_eq(before, after);
    free(before);
    free(after);
    json_decref(p);
    json_decref(nb);
}
