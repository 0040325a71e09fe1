/* nbsoar exec end to end on a real ipykernel (Debian python3-ipykernel):
 * outputs against nbclient, papermill's failure report, sys.exit, timeouts,
 * a killed kernel, a kernel that never starts, operations, piping, files,
 * --prepare-only, --report-mode and the papermill fixtures. */
#include <criterion/criterion.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "test_util.h"

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

/* generous: a kernel starts in ~0.7 s, but test machines can be loaded */
TestSuite(exec, .init = setup, .fini = teardown, .timeout = 120);

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static const char *bin(void)
{
    const char *b = getenv("NBSOAR_BIN");
    cr_assert_not_null(b, "NBSOAR_BIN is set by meson");
    return b;
}

static void nb_path(char *out, size_t len, const char *name)
{
    char rel[256];
    snprintf(rel, sizeof rel, "notebooks/%s.ipynb", name);
    tu_test_file(out, len, rel);
}

/* A notebook of ../shared/fixtures/papermill. */
static void fixture(char *out, size_t len, const char *name)
{
    char fx[400];
    tu_fixture_dir(fx, sizeof fx, "papermill");
    snprintf(out, len, "%s/%s.ipynb", fx, name);
}

/* Runs "nbsoar exec ARGS" in dir with stdout and stderr kept in files. */
static int nbx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int nbx(const char *fmt, ...)
{
    char *args;
    va_list ap;
    va_start(ap, fmt);
    cr_assert(vasprintf(&args, fmt, ap) >= 0);
    va_end(ap);
    int rc = tu_system("cd '%s' && '%s' exec %s >'%s/stdout' 2>'%s/stderr' </dev/null", dir, bin(), args, dir,
                       dir);
    free(args);
    return rc;
}

static char *slurp(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    size_t len;
    char *t = tu_read_file(path, &len);
    return t ? t : strdup("");
}

static json_t *load(const char *name)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    json_error_t e;
    json_t *nb = json_load_file(path, 0, &e);
    cr_assert_not_null(nb, "%s: %s", path, e.text);
    return nb;
}

/* A multi-line field as one string (lists of lines joined).  Static buffer. */
static const char *text(const json_t *v)
{
    static char buf[65536];
    if (json_is_string(v))
        return json_string_value(v);
    buf[0] = '\0';
    size_t i;
    json_t *line;
    json_array_foreach(v, i, line) strncat(buf, json_string_value(line), sizeof buf - strlen(buf) - 1);
    return buf;
}

static json_t *cell(json_t *nb, size_t i)
{
    return json_array_get(json_object_get(nb, "cells"), i);
}
static json_t *out(json_t *nb, size_t c, size_t o)
{
    return json_array_get(json_object_get(cell(nb, c), "outputs"), o);
}
static const char *pm_status(json_t *nb, size_t i)
{
    return json_string_value(
        json_object_get(json_object_get(json_object_get(cell(nb, i), "metadata"), "papermill"), "status"));
}
static int is_marker(json_t *c)
{
    size_t i;
    json_t *tag;
    json_array_foreach(json_object_get(json_object_get(c, "metadata"), "tags"), i, tag) {
        if (strcmp(json_string_value(tag) ?: "", "papermill-error-cell-tag") == 0)
            return 1;
    }
    return 0;
}

/* nbclient on the same input must give the same code cell outputs. */
static void assert_matches_nbclient(const char *input, const char *output)
{
    char script[512];
    tu_test_file(script, sizeof script, "nbclient_compare.py");
    int rc = tu_system("'%s' '%s' '%s' '%s/%s' > '%s/compare' 2>&1", tu_python(), script, input, dir, output, dir);
    char *diff = slurp("compare");
    cr_assert_eq(rc, 0, "nbclient disagrees:\n%s", diff);
    free(diff);
}

Test(exec, outputs_of_every_kind_match_nbclient)
{
    char in[512];
    nb_path(in, sizeof in, "outputs");
    cr_assert_eq(nbx("'%s' out.ipynb", in), 0, "%s", slurp("stderr"));
    json_t *nb = load("out.ipynb");
    cr_assert_str_eq(json_string_value(json_object_get(out(nb, 1, 0), "name")), "stdout");
    cr_assert_str_eq(text(json_object_get(out(nb, 1, 0), "text")), "out line\n");
    json_t *data = json_object_get(out(nb, 2, 0), "data");
    cr_assert_not_null(json_object_get(data, "text/html"), "rich display keeps text/html");
    cr_assert_not_null(json_object_get(json_object_get(out(nb, 2, 1), "data"), "image/png"));
    cr_assert_str_eq(json_string_value(json_object_get(out(nb, 3, 0), "output_type")), "execute_result");
    cr_assert_eq(json_integer_value(json_object_get(out(nb, 3, 0), "execution_count")), 4);
    cr_assert_str_eq(text(json_object_get(json_object_get(out(nb, 4, 0), "data"), "text/html")), "v2",
                     "update_display_data rewrote the earlier output");
    cr_assert_eq(json_array_size(json_object_get(cell(nb, 6), "outputs")), 1, "clear_output(wait=True)");
    cr_assert_str_eq(text(json_object_get(out(nb, 6, 0), "text")), "tick 2\n");
    cr_assert_str_eq(text(json_object_get(out(nb, 7, 0), "text")), "kept\n", "clear_output()");
    for (size_t i = 0; i < json_array_size(json_object_get(nb, "cells")); i++)
        cr_assert_str_eq(pm_status(nb, i), "completed", "cell %zu", i);
    json_t *meta = json_object_get(nb, "metadata");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(meta, "language_info"), "name")), "python");
    json_t *pm = json_object_get(meta, "papermill");
    cr_assert_str_eq(json_string_value(json_object_get(pm, "output_path")), "out.ipynb");
    cr_assert(json_is_real(json_object_get(pm, "duration")));
    cr_assert(json_is_null(json_object_get(pm, "exception")));
    json_t *ex = json_object_get(json_object_get(cell(nb, 1), "metadata"), "execution");
    cr_assert_eq(json_object_size(ex), 4, "nbclient's four timing keys");
    json_decref(nb);
    assert_matches_nbclient(in, "out.ipynb");
}

Test(exec, error_mid_notebook_like_papermill)
{
    char in[512];
    nb_path(in, sizeof in, "error");
    cr_assert_eq(nbx("'%s' out.ipynb", in), 1);
    char *err = slurp("stderr");
    cr_assert(strstr(err, "cell 1, In [2]: ValueError: boom") != NULL, "%s", err);
    cr_assert(strstr(err, "Exception encountered at \"In [2]\":") != NULL, "%s", err);
    cr_assert(strstr(err, "\x1b[") == NULL, "ANSI colours stripped");
    free(err);
    json_t *nb = load("out.ipynb");
    cr_assert_eq(json_array_size(json_object_get(nb, "cells")), 6);
    cr_assert(is_marker(cell(nb, 0)) && is_marker(cell(nb, 2)));
    cr_assert(strstr(text(json_object_get(cell(nb, 0), "source")), "In [2]") != NULL);
    cr_assert_str_eq(pm_status(nb, 3), "failed");
    cr_assert_str_eq(pm_status(nb, 4), "pending");
    cr_assert(json_is_null(json_object_get(cell(nb, 4), "execution_count")));
    cr_assert(json_is_true(json_object_get(json_object_get(json_object_get(nb, "metadata"), "papermill"), "exception")));
    json_decref(nb);
    assert_matches_nbclient(in, "out.ipynb");
}

static void assert_sys_exit_success(const char *in)
{
    cr_assert_eq(nbx("'%s' out.ipynb", in), 0, "%s", slurp("stderr"));
    json_t *nb = load("out.ipynb");
    size_t n = json_array_size(json_object_get(nb, "cells"));
    cr_assert_not(is_marker(cell(nb, 0)), "no error markers");
    cr_assert(json_is_null(json_object_get(cell(nb, n - 1), "execution_count")), "the next cell did not run");
    cr_assert_str_eq(pm_status(nb, n - 1), "pending");
    json_decref(nb);
}

Test(exec, sys_exit_zero_variants_succeed)
{
    char in[512];
    nb_path(in, sizeof in, "sysexit0");
    assert_sys_exit_success(in);
    nb_path(in, sizeof in, "systemexit");
    assert_sys_exit_success(in);
    fixture(in, sizeof in, "sysexit");
    assert_sys_exit_success(in);
}

Test(exec, sys_exit_one_fails)
{
    char in[512];
    nb_path(in, sizeof in, "sysexit1");
    cr_assert_eq(nbx("'%s' out.ipynb", in), 1);
    json_t *nb = load("out.ipynb");
    cr_assert(strstr(text(json_object_get(cell(nb, 0), "source")), "In [2]") != NULL, "%s", slurp("stderr"));
    json_decref(nb);
    char *err = slurp("stderr");
    cr_assert(strstr(err, "SystemExit: 1") != NULL, "%s", err);
    free(err);
}

Test(exec, raises_exception_cell_lets_the_rest_run)
{
    char in[512];
    nb_path(in, sizeof in, "raises");
    cr_assert_eq(nbx("'%s' out.ipynb", in), 1, "papermill still reports the error after the run");
    json_t *nb = load("out.ipynb");
    /* banner, anchor, tagged cell, next cell */
    cr_assert_str_eq(text(json_object_get(out(nb, 3, 0), "text")), "still runs\n");
    json_decref(nb);
}

Test(exec, line_magic_usage_error_without_error_output)
{
    char in[512];
    nb_path(in, sizeof in, "line_magic_error");
    cr_assert_eq(nbx("'%s' out.ipynb", in), 1);
    char *err = slurp("stderr");
    cr_assert(strstr(err, "CellExecutionError") != NULL, "%s", err);
    free(err);
    json_t *nb = load("out.ipynb");
    cr_assert(is_marker(cell(nb, 0)));
    cr_assert(strstr(text(json_object_get(cell(nb, 0), "source")), "In [1]") != NULL);
    json_decref(nb);
}

Test(exec, cell_over_its_timeout_is_interrupted)
{
    char in[512];
    nb_path(in, sizeof in, "timeout");
    double t0 = now_s();
    cr_assert_eq(nbx("'%s' out.ipynb --execution-timeout 1", in), 1);
    cr_assert_lt(now_s() - t0, 25.0, "the 30 s sleep was cut short");
    char *err = slurp("stderr");
    cr_assert(strstr(err, "timed out after 1 s") != NULL, "%s", err);
    free(err);
    json_t *nb = load("out.ipynb");
    /* banner, cell 0, anchor, the sleeping cell, the last cell */
    cr_assert_str_eq(pm_status(nb, 3), "failed");
    cr_assert_str_eq(json_string_value(json_object_get(out(nb, 3, 0), "ename")), "KeyboardInterrupt");
    cr_assert_str_eq(pm_status(nb, 4), "pending");
    json_decref(nb);
}

Test(exec, killed_kernel_is_recorded_and_exits_138)
{
    char in[512];
    nb_path(in, sizeof in, "selfkill");
    cr_assert_eq(nbx("'%s' out.ipynb", in), 138, "%s", slurp("stderr"));
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    char *killed_at = slurp("killed_at");
    double after_kill = (double)ts.tv_sec + ts.tv_nsec / 1e9 - atof(killed_at);
    free(killed_at);
    cr_assert_lt(after_kill, 5.0, "nbsoar ended %.2f s after the kill", after_kill);
    char *err = slurp("stderr");
    cr_assert(strstr(err, "Kernel died") != NULL, "%s", err);
    free(err);
    json_t *nb = load("out.ipynb");
    json_t *c = cell(nb, 3);
    cr_assert_str_eq(text(json_object_get(json_array_get(json_object_get(c, "outputs"), 0), "text")),
                     "before the kill\n", "output before the death is kept");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(c, "outputs"), 1), "ename")),
                     "DeadKernelError");
    cr_assert_str_eq(pm_status(nb, 4), "pending");
    json_decref(nb);
}

static void write_kernelspec(const char *name, const char *argv_json)
{
    char path[512];
    snprintf(path, sizeof path, "%s/jp/kernels/%s", dir, name);
    cr_assert_eq(tu_system("mkdir -p '%s'", path), 0);
    char json[512];
    int n = snprintf(json, sizeof json, "{\"argv\": %s, \"display_name\": \"%s\", \"language\": \"python\"}",
                     argv_json, name);
    strcat(path, "/kernel.json");
    cr_assert_eq(tu_write_file(path, json, (size_t)n), 0);
}

Test(exec, kernel_that_never_starts)
{
    write_kernelspec("sleeper", "[\"sh\", \"-c\", \"sleep 60\", \"{connection_file}\"]");
    write_kernelspec("quitter", "[\"false\", \"{connection_file}\"]");
    char in[512];
    nb_path(in, sizeof in, "streams");
    double t0 = now_s();
    cr_assert_eq(tu_system("cd '%s' && JUPYTER_PATH='%s/jp' '%s' exec '%s' out.ipynb -k sleeper --start-timeout 1 "
                           ">/dev/null 2>'%s/stderr'",
                           dir, dir, bin(), in, dir),
                 1);
    double took = now_s() - t0;
    cr_assert(took >= 1.0 && took < 20.0, "gave up after --start-timeout (%.2f s)", took);
    char *err = slurp("stderr");
    cr_assert(strstr(err, "kernel did not start") != NULL, "%s", err);
    free(err);
    json_t *nb = load("out.ipynb");
    cr_assert(json_is_true(json_object_get(json_object_get(json_object_get(nb, "metadata"), "papermill"), "exception")));
    json_decref(nb);
    cr_assert_eq(tu_system("cd '%s' && JUPYTER_PATH='%s/jp' '%s' exec '%s' out2.ipynb -k quitter >/dev/null 2>&1", dir,
                           dir, bin(), in),
                 1);
    cr_assert_eq(nbx("'%s' out3.ipynb -k no-such-kernel", in), 1);
}

Test(exec, operations_and_taxonomies_with_bad_lines_reported)
{
    char in[512];
    nb_path(in, sizeof in, "operations");
    cr_assert_eq(nbx("'%s' out.ipynb --operations ops.json", in), 0, "%s", slurp("stderr"));
    json_t *ops = load("ops.json");
    cr_assert_eq(json_array_size(ops), 2);
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(ops, 0), "type")), "AddTagToCase");
    cr_assert_str_eq(json_string_value(json_object_get(json_array_get(ops, 1), "type")), "CloseTask");
    json_decref(ops);
    char *err = slurp("stderr");
    cr_assert(strstr(err, "cell 1 line 3: not valid JSON") != NULL, "%s", err);
    cr_assert(strstr(err, "cell 1 line 4: no string \\\"type\\\"") != NULL || strstr(err, "cell 1 line 4: no string") != NULL,
              "%s", err);
    free(err);
}

Test(exec, stdin_to_stdout)
{
    char in[512];
    nb_path(in, sizeof in, "streams");
    int rc = tu_system("cd '%s' && cat '%s' | '%s' exec - - > piped.ipynb 2>'%s/stderr'", dir, in, bin(), dir);
    cr_assert_eq(rc, 0, "%s", slurp("stderr"));
    json_t *nb = load("piped.ipynb");
    cr_assert_str_eq(text(json_object_get(out(nb, 0, 0), "text")), "to stdout\n");
    cr_assert_str_eq(json_string_value(json_object_get(json_object_get(json_object_get(nb, "metadata"), "papermill"),
                                                       "input_path")),
                     "-");
    json_decref(nb);
    char *err = slurp("stderr");
    cr_assert_str_eq(err, "", "writing to stdout lowers the log level to error");
    free(err);
    /* papermill: a piped stdin and one path make that path the output */
    rc = tu_system("cd '%s' && cat '%s' | '%s' exec only_output.ipynb >/dev/null 2>&1", dir, in, bin());
    cr_assert_eq(rc, 0);
    json_decref(load("only_output.ipynb"));
}

Test(exec, stream_files_and_log_output)
{
    char in[512];
    nb_path(in, sizeof in, "streams");
    cr_assert_eq(nbx("'%s' out.ipynb --stdout-file o.txt --stderr-file e.txt --log-output", in), 0);
    char *o = slurp("o.txt"), *e = slurp("e.txt"), *log = slurp("stderr");
    cr_assert_str_eq(o, "to stdout\n");
    cr_assert_str_eq(e, "to stderr\n");
    cr_assert(strstr(log, "Executing Cell 1---------------------------------------") != NULL, "%s", log);
    cr_assert(strstr(log, "Ending Cell 1------------------------------------------") != NULL, "%s", log);
    free(o);
    free(e);
    free(log);
}

Test(exec, prepare_only_and_report_mode)
{
    char in[512];
    nb_path(in, sizeof in, "error");
    double t0 = now_s();
    cr_assert_eq(nbx("'%s' out.ipynb --prepare-only --report-mode", in), 0, "%s", slurp("stderr"));
    cr_assert_lt(now_s() - t0, 3.0, "no kernel was started");
    json_t *nb = load("out.ipynb");
    cr_assert_eq(json_array_size(json_object_get(cell(nb, 1), "outputs")), 0);
    cr_assert_null(json_object_get(json_object_get(cell(nb, 1), "metadata"), "execution"));
    cr_assert(json_is_true(json_object_get(json_object_get(json_object_get(cell(nb, 1), "metadata"), "jupyter"),
                                           "source_hidden")));
    cr_assert_null(json_object_get(json_object_get(cell(nb, 3), "metadata"), "jupyter"), "markdown keeps its input");
    json_t *pm = json_object_get(json_object_get(nb, "metadata"), "papermill");
    cr_assert_str_eq(json_string_value(json_object_get(pm, "input_path")), in);
    cr_assert_null(json_object_get(pm, "start_time"));
    json_decref(nb);
}

Test(exec, fixture_notebooknode_io_matches_nbclient)
{
    char in[512];
    fixture(in, sizeof in, "test_notebooknode_io");
    cr_assert_eq(nbx("'%s' io.ipynb", in), 0);
    assert_matches_nbclient(in, "io.ipynb");
}

Test(exec, fixture_broken_python2_fails_with_syntax_error)
{
    char in[512];
    fixture(in, sizeof in, "broken");
    cr_assert_eq(nbx("'%s' broken.ipynb", in), 1);
    char *err = slurp("stderr");
    cr_assert(strstr(err, "SyntaxError") != NULL, "%s", err);
    free(err);
}

Test(exec, fixture_blank_vscode_runs_by_language)
{
    char in[512];
    fixture(in, sizeof in, "blank-vscode");
    cr_assert_eq(nbx("'%s' blank.ipynb", in), 0, "no kernelspec: the kernel comes from language_info");
    assert_matches_nbclient(in, "blank.ipynb");
    char bare[600];
    snprintf(bare, sizeof bare, "%s/bare.ipynb", dir);
    const char *nometa = "{\"cells\": [], \"metadata\": {}, \"nbformat\": 4, \"nbformat_minor\": 5}";
    cr_assert_eq(tu_write_file(bare, nometa, strlen(nometa)), 0);
    cr_assert_eq(nbx("bare.ipynb bare.out.ipynb"), 1);
    char *err = slurp("stderr");
    cr_assert(strstr(err, "No kernel name found in notebook and no override provided.") != NULL, "%s", err);
    free(err);
}

Test(exec, fixture_keyboard_interrupt_prepare_only)
{
    char in[512];
    fixture(in, sizeof in, "keyboard_interrupt");
    cr_assert_eq(nbx("'%s' ki.ipynb --prepare-only", in), 0);
    json_t *nb = load("ki.ipynb");
    cr_assert_eq(json_integer_value(json_object_get(nb, "nbformat_minor")), 5, "upgraded to 4.5 as papermill");
    json_decref(nb);
}

Test(exec, usage_errors_exit_2)
{
    cr_assert_eq(nbx("a.ipynb b.ipynb --no-such-flag"), 2);
    cr_assert_eq(nbx("a.ipynb b.ipynb --execution-timeout soon"), 2);
    cr_assert_eq(nbx("a.ipynb b.ipynb -p onlyname"), 2);
    cr_assert_eq(nbx("--help"), 0);
    char *help = slurp("stdout");
    cr_assert(strstr(help, "--request-save-on-cell-execute") != NULL);
    free(help);
}

Test(exec, secret_parameters_never_reach_the_notebook)
{
    char in[512];
    nb_path(in, sizeof in, "secret");
    cr_assert_eq(nbx("'%s' out.ipynb -p token S3cr3t-Tok3n -p user alice --secret token --log-output", in), 0,
                 "%s", slurp("stderr"));
    char *nbtext = slurp("out.ipynb"), *log = slurp("stderr");
    cr_assert(strstr(nbtext, "S3cr3t-Tok3n") == NULL, "the secret is absent from the output notebook");
    cr_assert(strstr(log, "S3cr3t-Tok3n") == NULL, "and from the log");
    free(nbtext);
    free(log);
    json_t *nb = load("out.ipynb");
    /* parameters cell, injected cell, the cell printing len(token) and user */
    cr_assert(strstr(text(json_object_get(cell(nb, 1), "source")), "environ") != NULL);
    cr_assert_str_eq(text(json_object_get(out(nb, 2, 0), "text")), "12\nalice\n", "the kernel saw the value");
    json_t *params = json_object_get(json_object_get(json_object_get(nb, "metadata"), "papermill"), "parameters");
    cr_assert_str_eq(json_string_value(json_object_get(params, "token")), "***");
    cr_assert_str_eq(json_string_value(json_object_get(params, "user")), "alice");
    json_decref(nb);
}

Test(exec, parameter_sources_merge_like_papermill)
{
    char in[512];
    nb_path(in, sizeof in, "secret");
    /* -p wins over -y whatever the order on the command line; -p types values */
    cr_assert_eq(nbx("-p user 42 '%s' -y 'user: yaml' out.ipynb --inject-paths -r token 7", in), 0, "%s",
                 slurp("stderr"));
    json_t *nb = load("out.ipynb");
    const char *src = text(json_object_get(cell(nb, 1), "source"));
    cr_assert(strstr(src, "PAPERMILL_OUTPUT_PATH = \"out.ipynb\"\n") != NULL, "%s", src);
    cr_assert(strstr(src, "user = 42\n") != NULL, "%s", src);
    cr_assert(strstr(src, "token = \"7\"\n") != NULL, "%s", src);
    cr_assert_str_eq(text(json_object_get(out(nb, 2, 0), "text")), "1\n42\n");
    json_decref(nb);
}

Test(exec, progress_bar_on_a_terminal_only)
{
    char in[512];
    nb_path(in, sizeof in, "streams");
    /* script(1) gives nbsoar a pseudo-terminal */
    int rc = tu_system("cd '%s' && script -qec \"'%s' exec '%s' tty.ipynb\" /dev/null > '%s/tty' 2>&1", dir, bin(),
                       in, dir);
    cr_assert_eq(rc, 0);
    char *tty = slurp("tty");
    cr_assert(strstr(tty, "[jupyter] cell 1, ") != NULL && strstr(tty, " 1/1") != NULL, "%s", tty);
    free(tty);
    rc = tu_system("cd '%s' && script -qec \"'%s' exec '%s' tty.ipynb --no-progress-bar\" /dev/null > '%s/tty' 2>&1",
                   dir, bin(), in, dir);
    cr_assert_eq(rc, 0);
    tty = slurp("tty");
    cr_assert(strstr(tty, "[jupyter]") == NULL, "%s", tty);
    free(tty);
    cr_assert_eq(nbx("'%s' out.ipynb --progress-bar", in), 0);
    char *err = slurp("stderr");
    cr_assert(strstr(err, "1/1") == NULL, "not a terminal: no bar (%s)", err);
    free(err);
}

Test(exec, cwd_moves_the_kernel_not_the_paths)
{
    char in[512], sub[600];
    nb_path(in, sizeof in, "read_check");
    snprintf(sub, sizeof sub, "%s/work", dir);
    cr_assert_eq(tu_system("mkdir -p '%s' && echo found > '%s/check.txt'", sub, sub), 0);
    /* out.ipynb is relative to the caller's directory, not --cwd */
    cr_assert_eq(nbx("'%s' out.ipynb --cwd work", in), 0, "%s", slurp("stderr"));
    json_t *nb = load("out.ipynb");
    const char *printed = text(json_object_get(out(nb, 0, 0), "text"));
    cr_assert(strstr(printed, "/work\nfound\n") != NULL, "%s", printed);
    json_decref(nb);
}

Test(exec, executor_config_section_gives_defaults)
{
    char in[512], conf[600];
    nb_path(in, sizeof in, "streams");
    snprintf(conf, sizeof conf, "%s/x.conf", dir);
    const char *text_conf = "[executor local]\nplugin = jupyter\nkernel = no-such-kernel\n";
    cr_assert_eq(tu_write_file(conf, text_conf, strlen(text_conf)), 0);
    cr_assert_eq(nbx("-c x.conf '%s' out.ipynb", in), 1);
    char *err = slurp("stderr");
    cr_assert(strstr(err, "no-such-kernel") != NULL, "the section's kernel was used: %s", err);
    free(err);
    const char *bad = "[executor local]\nplugin = jupyter\nbogus = 1\n";
    cr_assert_eq(tu_write_file(conf, bad, strlen(bad)), 0);
    cr_assert_eq(nbx("-c x.conf '%s' out.ipynb", in), 2, "unknown keys are a config error");
}
