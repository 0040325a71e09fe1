/* notebook_read / notebook_write: byte-identical to nbformat, clear errors. */
#include "notebook.h"
#include "pyjson.h"
#include "test_util.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char *dir;

static void setup(void)
{
    dir = tu_mkdtemp();
    cr_assert_not_null(dir);
}

static void teardown(void)
{
    tu_rmdir(dir);
    free(dir);
}

TestSuite(notebook, .init = setup, .fini = teardown);

/* Writes every (input, our output) pair, has nbformat produce its own
 * output for each input in one python run, and compares bytes. */
static void compare_with_nbformat(char **inputs, int n)
{
    char script[1024];
    tu_test_file(script, sizeof script, "nbformat_roundtrip.py");
    size_t cap = 65536, used = 0;
    char *cmd = malloc(cap);
    used += (size_t)snprintf(cmd, cap, "%s %s", tu_python(), script);
    for (int i = 0; i < n; i++) {
        char ours[1024], err[512];
        snprintf(ours, sizeof ours, "%s/ours-%d.ipynb", dir, i);
        json_t *nb = notebook_read_file(inputs[i], err, sizeof err);
        cr_assert_not_null(nb, "reading %s: %s", inputs[i], err);
        cr_assert_eq(notebook_write_file(nb, ours, err, sizeof err), 0, "%s", err);
        json_decref(nb);
        used += (size_t)snprintf(cmd + used, cap - used, " '%s' '%s/ref-%d.ipynb'", inputs[i], dir, i);
        cr_assert_lt(used, cap);
    }
    cr_assert_eq(tu_system("%s", cmd), 0, "nbformat could not read the inputs");
    free(cmd);
    for (int i = 0; i < n; i++) {
        char a[1024], b[1024];
        snprintf(a, sizeof a, "%s/ours-%d.ipynb", dir, i);
        snprintf(b, sizeof b, "%s/ref-%d.ipynb", dir, i);
        size_t la, lb;
        char *ta = tu_read_file(a, &la), *tb = tu_read_file(b, &lb);
        cr_assert(ta && tb);
        cr_expect(la == lb && memcmp(ta, tb, la) == 0, "%s differs from nbformat's output (see diff %s %s)",
                  inputs[i], a, b);
        free(ta);
        free(tb);
    }
}

Test(notebook, fixtures_round_trip_byte_identical_to_nbformat)
{
    char path[1024];
    tu_fixture_dir(path, sizeof path, "papermill");
    DIR *d = opendir(path);
    cr_assert_not_null(d, "no fixtures at %s", path);
    char *inputs[64];
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)) && n < 64) {
        size_t l = strlen(e->d_name);
        if (l > 6 && !strcmp(e->d_name + l - 6, ".ipynb"))
            cr_assert(asprintf(&inputs[n++], "%s/%s", path, e->d_name) > 0);
    }
    closedir(d);
    cr_assert_geq(n, 10);
    compare_with_nbformat(inputs, n);
    for (int i = 0; i < n; i++)
        free(inputs[i]);
}

Test(notebook, random_notebooks_round_trip_byte_identical_to_nbformat)
{
    char gen[1024];
    tu_test_file(gen, sizeof gen, "nb_random_gen.py");
    char *inputs[30];
    unsigned seed = (unsigned)time(NULL);
    for (int i = 0; i < 30; i++) {
        cr_assert(asprintf(&inputs[i], "%s/rand-%d.ipynb", dir, i) > 0);
        cr_assert_eq(tu_system("%s %s %u %s", tu_python(), gen, seed + (unsigned)i, inputs[i]), 0);
    }
    compare_with_nbformat(inputs, 30);
    for (int i = 0; i < 30; i++)
        free(inputs[i]);
}

static void expect_error(const char *text, const char *needle)
{
    char err[512] = "";
    json_t *nb = notebook_parse(text, strlen(text), "t.ipynb", err, sizeof err);
    cr_expect_null(nb, "accepted: %s", text);
    json_decref(nb);
    cr_expect(strstr(err, needle) != NULL, "error \"%s\" lacks \"%s\"", err, needle);
    cr_expect(!strncmp(err, "t.ipynb: ", 9), "error \"%s\" does not name the file", err);
}

#define HEAD "{\"nbformat\": 4, \"nbformat_minor\": 4, \"metadata\": {}, \"cells\": ["

Test(notebook, truncated_json_reports_line_and_column)
{
    expect_error("{\"nbformat\": 4,\n \"cells\": [", "not valid JSON: Expecting value at line 2 column 12");
    expect_error("{\"a\": \"x\n\"}", "Invalid control character at line 1 column 9");
    expect_error("{\"a\" 1}", "Expecting ':' delimiter at line 1 column 6");
    expect_error("{\"a\": \"\xc3\xa9\" x}", "Expecting ',' delimiter at line 1 column 11");
    expect_error("{} []", "Extra data at line 1 column 4");
    expect_error("\xEF\xBB\xBF{}", "BOM");
    expect_error("{\"a\": \"\xff\"}", "Invalid UTF-8");
    expect_error("{\"a\": \"\\ud800\"}", "Lone surrogate");
}

Test(notebook, nbformat_3_is_refused_with_conversion_hint)
{
    expect_error("{\"nbformat\": 3, \"nbformat_minor\": 0, \"metadata\": {}, \"worksheets\": []}",
                 "nbformat 3 is not supported; convert with jupyter nbconvert --to notebook --nbformat 4");
    expect_error("{\"nbformat\": 5, \"nbformat_minor\": 0}", "nbformat 5 is not supported");
    expect_error("{\"nbformat\": 4, \"nbformat_minor\": 6, \"metadata\": {}, \"cells\": []}", "4.6 is newer");
    expect_error("[]", "must be a JSON object");
    expect_error("{\"cells\": []}", "'nbformat'");
}

Test(notebook, schema_errors_name_cell_and_field)
{
    expect_error(HEAD "{\"metadata\": {}, \"source\": \"\"}]}", "cell 0: missing required field 'cell_type'");
    expect_error(HEAD "{\"cell_type\": \"markdown\", \"metadata\": {}, \"source\": \"\"},"
                      "{\"cell_type\": \"code\", \"metadata\": {}, \"source\": 5, \"outputs\": [],"
                      " \"execution_count\": null}]}",
                 "cell 1: wrong type for field 'source'");
    expect_error(HEAD "{\"cell_type\": \"code\", \"metadata\": {}, \"source\": \"\", \"execution_count\": null}]}",
                 "cell 0: missing required field 'outputs'");
    expect_error(HEAD "{\"cell_type\": \"code\", \"metadata\": {}, \"source\": \"\", \"outputs\": [],"
                      " \"execution_count\": \"1\"}]}",
                 "cell 0: field 'execution_count' must be an integer");
    expect_error(HEAD "{\"cell_type\": \"heading\", \"metadata\": {}, \"source\": \"\"}]}", "cell 0: field 'cell_type'");
    expect_error(HEAD "{\"cell_type\": \"raw\", \"metadata\": [], \"source\": \"\"}]}",
                 "cell 0: wrong type for field 'metadata'");
    expect_error(HEAD "{\"cell_type\": \"raw\", \"metadata\": {\"tags\": \"x\"}, \"source\": \"\"}]}",
                 "cell 0: field 'metadata.tags'");
    expect_error(HEAD "{\"cell_type\": \"code\", \"metadata\": {}, \"source\": \"\", \"execution_count\": null,"
                      " \"outputs\": [{\"output_type\": \"stream\", \"name\": \"stdout\", \"text\": [1]}]}]}",
                 "cell 0: outputs[0] (stream): field 'text'");
    expect_error(HEAD "{\"cell_type\": \"code\", \"metadata\": {}, \"source\": \"\", \"execution_count\": null,"
                      " \"outputs\": [{\"output_type\": \"display_data\", \"metadata\": {},"
                      " \"data\": {\"text/plain\": 3}}]}]}",
                 "cell 0: outputs[0] (display_data): field 'data'['text/plain']");
    expect_error(HEAD "{\"cell_type\": \"code\", \"metadata\": {}, \"source\": \"\", \"execution_count\": null,"
                      " \"outputs\": [{\"output_type\": \"bogus\"}]}]}",
                 "cell 0: outputs[0]: unknown output_type 'bogus'");
    expect_error("{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {}, \"cells\": ["
                 "{\"id\": \"a b\", \"cell_type\": \"raw\", \"metadata\": {}, \"source\": \"\"}]}",
                 "cell 0: field 'id' must be");
    expect_error("{\"nbformat\": 4, \"nbformat_minor\": 4, \"metadata\": {\"kernelspec\": {\"name\": 1}}, \"cells\": []}",
                 "metadata.kernelspec");
}

Test(notebook, missing_and_repeated_4_5_ids_are_repaired_as_nbformat_does)
{
    const char *text = "{\"nbformat\": 4, \"nbformat_minor\": 5, \"metadata\": {}, \"cells\": ["
                       "{\"id\": \"a\", \"cell_type\": \"raw\", \"metadata\": {}, \"source\": \"\"},"
                       "{\"cell_type\": \"raw\", \"metadata\": {}, \"source\": \"\"},"
                       "{\"id\": \"a\", \"cell_type\": \"raw\", \"metadata\": {}, \"source\": \"\"}]}";
    char err[256];
    json_t *warnings;
    json_t *nb = notebook_parse_with_warnings(text, strlen(text), "t", &warnings, err, sizeof err);
    cr_assert_not_null(nb, "%s", err);
    cr_assert_eq(json_array_size(warnings), 2);
    cr_assert(strstr(json_string_value(json_array_get(warnings, 0)), "cell 1: missing id field") != NULL);
    cr_assert(strstr(json_string_value(json_array_get(warnings, 1)), "cell 2: Non-unique cell id 'a' detected.") !=
              NULL);
    json_t *cells = json_object_get(nb, "cells");
    const char *ids[3];
    for (size_t i = 0; i < 3; i++)
        ids[i] = json_string_value(json_object_get(json_array_get(cells, i), "id"));
    cr_assert_str_eq(ids[0], "a");
    cr_assert(ids[1] && ids[2] && strcmp(ids[1], ids[2]) && strcmp(ids[2], "a"));
    json_decref(warnings);
    json_decref(nb);
}

Test(notebook, unknown_metadata_and_big_numbers_survive)
{
    const char *text = HEAD "]}";
    char err[256];
    json_t *nb = notebook_parse(text, strlen(text), "t", err, sizeof err);
    cr_assert_not_null(nb, "%s", err);
    json_decref(nb);
    const char *t2 = "{\"nbformat\": 4, \"nbformat_minor\": 4, \"cells\": [], \"metadata\": {\"x\": "
                     "{\"big\": 123456789012345678901234567890, \"nan\": NaN, \"f\": 1e400, \"z\": -0.0}}}";
    nb = notebook_parse(t2, strlen(t2), "t", err, sizeof err);
    cr_assert_not_null(nb, "%s", err);
    char *out = notebook_dumps(nb, NULL);
    cr_assert(strstr(out, "\"big\": 123456789012345678901234567890,\n"), "%s", out);
    cr_assert(strstr(out, "\"f\": Infinity,\n"));
    cr_assert(strstr(out, "\"nan\": NaN,\n"));
    cr_assert(strstr(out, "\"z\": -0.0\n"));
    free(out);
    json_decref(nb);
}

Test(notebook, upgrade_assigns_ids_and_writer_strips_orig_minor)
{
    const char *text = HEAD "{\"cell_type\": \"raw\", \"metadata\": {\"trusted\": true}, \"source\": [\"a\\n\", \"b\"]}]}";
    char err[256];
    json_t *nb = notebook_parse(text, strlen(text), "t", err, sizeof err);
    cr_assert_not_null(nb, "%s", err);
    cr_assert_str_eq(notebook_cell_source(json_array_get(json_object_get(nb, "cells"), 0)), "a\nb");
    notebook_upgrade(nb);
    cr_assert_eq(json_integer_value(json_object_get(nb, "nbformat_minor")), 5);
    cr_assert_eq(json_integer_value(json_object_get(json_object_get(nb, "metadata"), "orig_nbformat_minor")), 4);
    const char *id = json_string_value(json_object_get(json_array_get(json_object_get(nb, "cells"), 0), "id"));
    cr_assert(id && strlen(id) == 8 && strspn(id, "0123456789abcdef") == 8);
    char *out = notebook_dumps(nb, NULL);
    cr_assert_null(strstr(out, "orig_nbformat_minor"));
    cr_assert_null(strstr(out, "trusted"));
    cr_assert(strstr(out, "\"source\": [\n    \"a\\n\",\n    \"b\"\n   ]"), "%s", out);
    cr_assert(strstr(out, "\"metadata\": {},\n"), "%s", out);
    free(out);
    json_decref(nb);
}

/* 50 MB of stream output: parsed, rejoined, split and written in well
 * under the test timeout. */
Test(notebook, fifty_megabytes_of_output_is_fast, .timeout = 30)
{
    size_t lines = 50u * 1024 * 1024 / 64;
    size_t cap = lines * 72 + 1024;
    char *text = malloc(cap);
    size_t n = (size_t)snprintf(text, cap,
                                HEAD "{\"cell_type\": \"code\", \"metadata\": {}, \"source\": \"print()\", "
                                     "\"execution_count\": 1, \"outputs\": [{\"output_type\": \"stream\", "
                                     "\"name\": \"stdout\", \"text\": [");
    for (size_t i = 0; i < lines; i++)
        n += (size_t)snprintf(text + n, cap - n, "%s\"%056zu\\n\"", i ? "," : "", i);
    n += (size_t)snprintf(text + n, cap - n, "]}]}]}");
    char err[256];
    clock_t t0 = clock();
    json_t *nb = notebook_parse(text, n, "big", err, sizeof err);
    cr_assert_not_null(nb, "%s", err);
    size_t outlen;
    char *out = notebook_dumps(nb, &outlen);
    cr_assert_not_null(out);
    double secs = (double)(clock() - t0) / CLOCKS_PER_SEC;
    cr_expect_lt(secs, 20.0, "50 MB took %.1f s", secs);
    cr_assert_gt(outlen, 50u * 1024 * 1024);
    free(out);
    json_decref(nb);
    free(text);
}

Test(notebook, write_to_file_is_atomic_and_stdout_dash_works)
{
    const char *text = HEAD "]}";
    char err[256], path[1024];
    json_t *nb = notebook_parse(text, strlen(text), "t", err, sizeof err);
    snprintf(path, sizeof path, "%s/out.ipynb", dir);
    cr_assert_eq(notebook_write_file(nb, path, err, sizeof err), 0, "%s", err);
    char *back = tu_read_file(path, NULL);
    cr_assert_str_eq(back, "{\n \"cells\": [],\n \"metadata\": {},\n \"nbformat\": 4,\n \"nbformat_minor\": 4\n}\n");
    free(back);
    cr_assert_eq(tu_system("ls %s | wc -l | grep -qx 1", dir), 0, "temporary file left behind");
    snprintf(path, sizeof path, "%s/missing/out.ipynb", dir);
    cr_assert_lt(notebook_write_file(nb, path, err, sizeof err), 0);
    cr_assert(strstr(err, "missing/out.ipynb") != NULL, "%s", err);
    json_decref(nb);
}
