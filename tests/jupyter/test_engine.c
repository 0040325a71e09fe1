/* The execution engine against a scripted kernel: outputs as nbclient
 * builds them, papermill's metadata life cycle and failure report, timeouts,
 * a dead kernel, the save throttle, and operations extraction. */
#include <criterion/criterion.h>
#include <string.h>
#include <time.h>

#include "execute.h"
#include "fake_kernel.h"
#include "operations.h"
#include "outputs.h"
#include "papermill_meta.h"

/* A notebook of code cells; a source starting with "md:" is markdown, a
 * source starting with "tag:NAME:" gets that tag. */
static json_t *mk_nb(const char *const *src, size_t n)
{
    json_t *cells = json_array();
    for (size_t i = 0; i < n; i++) {
        const char *s = src[i];
        json_t *meta = json_object();
        if (strncmp(s, "tag:", 4) == 0) {
            const char *end = strchr(s + 4, ':');
            json_object_set_new(meta, "tags", json_pack("[s#]", s + 4, (int)(end - s - 4)));
            s = end + 1;
        }
        char id[16];
        snprintf(id, sizeof id, "c%zu", i);
        json_t *cell;
        if (strncmp(s, "md:", 3) == 0)
            cell = json_pack("{s:s, s:s, s:o, s:s}", "id", id, "cell_type", "markdown", "metadata", meta, "source",
                             s + 3);
        else
            cell = json_pack("{s:s, s:s, s:o, s:s, s:[], s:n}", "id", id, "cell_type", "code", "metadata", meta,
                             "source", s, "outputs", "execution_count");
        json_array_append_new(cells, cell);
    }
    json_t *nb = json_pack("{s:i, s:i, s:{s:{s:s, s:s}}, s:o}", "nbformat", 4, "nbformat_minor", 5, "metadata",
                           "kernelspec", "name", "python3", "display_name", "Python 3", "cells", cells);
    pm_load_defaults(nb);
    pm_prepare(nb, "in.ipynb", "out.ipynb", 0);
    return nb;
}

static int save_count;
static int count_save(void *arg, const json_t *nb, char *err, size_t errlen)
{
    (void)arg;
    (void)nb;
    (void)err;
    (void)errlen;
    save_count++;
    return 0;
}

static struct exec_report run_nb(json_t *nb, struct exec_opts *opts, struct kernel **kout)
{
    struct exec_opts o;
    if (!opts) {
        exec_opts_default(&o);
        opts = &o;
    }
    struct kernel *k = fake_kernel_new();
    struct exec_report r;
    cr_assert_eq(exec_notebook(k, nb, opts, &r), 0);
    if (kout)
        *kout = k;
    else
        k->ops->shutdown(k);
    return r;
}

static json_t *cell(json_t *nb, size_t i)
{
    return json_array_get(json_object_get(nb, "cells"), i);
}
static json_t *output(json_t *nb, size_t c, size_t o)
{
    return json_array_get(json_object_get(cell(nb, c), "outputs"), o);
}
static const char *str_at(json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}
static const char *cell_status(json_t *nb, size_t i)
{
    return str_at(json_object_get(json_object_get(cell(nb, i), "metadata"), "papermill"), "status");
}

Test(engine, outputs_of_each_kind_become_nbformat_outputs)
{
    const char *src[] = {
        "{\"count\": 7, \"out\": ["
        "[\"stream\", {\"name\": \"stdout\", \"text\": \"a\\n\"}],"
        "[\"stream\", {\"name\": \"stdout\", \"text\": \"b\\n\"}],"
        "[\"display_data\", {\"data\": {\"text/html\": \"<b>x</b>\", \"text/plain\": \"x\"}, \"metadata\": {},"
        " \"transient\": {\"display_id\": \"d1\"}}],"
        "[\"execute_result\", {\"execution_count\": 7, \"data\": {\"text/plain\": \"42\"}, \"metadata\": {}}]]}",
    };
    json_t *nb = mk_nb(src, 1);
    struct exec_report r = run_nb(nb, NULL, NULL);
    cr_assert_eq(r.outcome, EXEC_COMPLETED);
    json_t *outs = json_object_get(cell(nb, 0), "outputs");
    cr_assert_eq(json_array_size(outs), 4, "papermill keeps one output per stream message");
    cr_assert_str_eq(str_at(output(nb, 0, 0), "output_type"), "stream");
    cr_assert_str_eq(str_at(output(nb, 0, 1), "text"), "b\n");
    cr_assert_str_eq(str_at(output(nb, 0, 2), "output_type"), "display_data");
    cr_assert_null(json_object_get(output(nb, 0, 2), "transient"), "transient is never stored");
    cr_assert_eq(json_integer_value(json_object_get(output(nb, 0, 3), "execution_count")), 7);
    cr_assert_eq(json_integer_value(json_object_get(cell(nb, 0), "execution_count")), 7);
    json_t *ex = json_object_get(json_object_get(cell(nb, 0), "metadata"), "execution");
    const char *keys[] = {"iopub.status.busy", "iopub.execute_input", "shell.execute_reply", "iopub.status.idle"};
    for (int i = 0; i < 4; i++) {
        const char *t = str_at(ex, keys[i]);
        cr_assert_not_null(t, "%s recorded", keys[i]);
        cr_assert_eq(strlen(t), 27, "%s formatted %%Y-%%m-%%dT%%H:%%M:%%S.%%fZ: %s", keys[i], t);
        cr_assert_eq(t[26], 'Z');
    }
    cr_assert_str_eq(str_at(json_object_get(json_object_get(nb, "metadata"), "language_info"), "name"), "python",
                     "language_info comes from kernel_info after the loop");
    json_decref(nb);
}

Test(engine, clear_output_now_and_deferred)
{
    const char *src[] = {
        "{\"out\": [[\"stream\", {\"name\": \"stdout\", \"text\": \"gone\"}],"
        "[\"clear_output\", {\"wait\": false}],"
        "[\"stream\", {\"name\": \"stdout\", \"text\": \"kept\"}],"
        "[\"clear_output\", {\"wait\": true}],"
        "[\"stream\", {\"name\": \"stdout\", \"text\": \"final\"}]]}",
    };
    json_t *nb = mk_nb(src, 1);
    run_nb(nb, NULL, NULL);
    cr_assert_eq(json_array_size(json_object_get(cell(nb, 0), "outputs")), 1);
    cr_assert_str_eq(str_at(output(nb, 0, 0), "text"), "final");
    json_decref(nb);
}

Test(engine, update_display_data_rewrites_earlier_cells)
{
    const char *src[] = {
        "{\"out\": [[\"display_data\", {\"data\": {\"text/plain\": \"v1\"}, \"metadata\": {},"
        " \"transient\": {\"display_id\": \"p\"}}]]}",
        "{\"out\": [[\"update_display_data\", {\"data\": {\"text/plain\": \"v2\"}, \"metadata\": {\"m\": 1},"
        " \"transient\": {\"display_id\": \"p\"}}]]}",
    };
    json_t *nb = mk_nb(src, 2);
    run_nb(nb, NULL, NULL);
    cr_assert_str_eq(str_at(json_object_get(output(nb, 0, 0), "data"), "text/plain"), "v2");
    cr_assert_eq(json_array_size(json_object_get(cell(nb, 1), "outputs")), 0, "an update is not appended");
    json_decref(nb);
}

Test(engine, reply_before_idle_is_complete_too)
{
    const char *src[] = {"{\"reply_first\": true, \"out\": [[\"stream\", {\"name\": \"stdout\", \"text\": \"x\"}]]}",
                         "{}"};
    json_t *nb = mk_nb(src, 2);
    run_nb(nb, NULL, NULL);
    cr_assert_str_eq(str_at(output(nb, 0, 0), "text"), "x", "output after the reply is still collected");
    cr_assert_str_eq(cell_status(nb, 1), "completed");
    json_decref(nb);
}

Test(engine, papermill_metadata_life_cycle)
{
    const char *src[] = {"md:# title", "{}", "   "};
    json_t *nb = mk_nb(src, 3);
    run_nb(nb, NULL, NULL);
    json_t *pm = json_object_get(json_object_get(nb, "metadata"), "papermill");
    cr_assert(json_is_string(json_object_get(pm, "start_time")));
    cr_assert(json_is_string(json_object_get(pm, "end_time")));
    cr_assert(json_is_real(json_object_get(pm, "duration")));
    cr_assert(json_is_null(json_object_get(pm, "exception")));
    cr_assert_str_eq(str_at(pm, "input_path"), "in.ipynb");
    cr_assert_str_eq(str_at(pm, "version"), PAPERMILL_FORMAT_VERSION);
    for (size_t i = 0; i < 3; i++) {
        json_t *cpm = json_object_get(json_object_get(cell(nb, i), "metadata"), "papermill");
        cr_assert_str_eq(str_at(cpm, "status"), "completed", "cell %zu", i);
        cr_assert(json_is_false(json_object_get(cpm, "exception")));
        cr_assert(json_is_real(json_object_get(cpm, "duration")));
    }
    cr_assert(json_is_null(json_object_get(cell(nb, 2), "execution_count")), "a blank cell is not executed");
    json_decref(nb);
}

#define ERROR_CELL(ename, evalue)                                                                        \
    "{\"out\": [[\"error\", {\"ename\": \"" ename "\", \"evalue\": \"" evalue "\", \"traceback\": "  \
    "[\"\\u001b[0;31m" ename "\\u001b[0m\", \"" ename ": " evalue "\"]}]], "                           \
    "\"reply\": {\"status\": \"error\", \"ename\": \"" ename "\", \"evalue\": \"" evalue "\"}}"

Test(engine, error_mid_notebook_stops_and_reports_like_papermill)
{
    const char *src[] = {"{\"count\": 1}", ERROR_CELL("ValueError", "bad"), "{}", "md:after"};
    json_t *nb = mk_nb(src, 4);
    struct kernel *k;
    struct exec_report r = run_nb(nb, NULL, &k);
    cr_assert_eq(fake_kernel_requests(k), 2, "the cell after the error is not sent");
    k->ops->shutdown(k);
    cr_assert_eq(r.outcome, EXEC_COMPLETED);
    cr_assert_str_eq(cell_status(nb, 1), "failed");
    cr_assert_str_eq(cell_status(nb, 2), "pending");
    cr_assert_str_eq(cell_status(nb, 3), "pending");
    cr_assert(json_is_true(json_object_get(json_object_get(json_object_get(nb, "metadata"), "papermill"), "exception")));

    struct pm_error e;
    pm_find_error(nb, &e);
    cr_assert(e.found);
    cr_assert_eq(e.cell_index, 1);
    cr_assert_str_eq(e.ename, "ValueError");
    cr_assert_str_eq(e.traceback, "ValueError\nValueError: bad", "ANSI colours stripped");
    char *msg = pm_error_message(&e);
    cr_assert(strstr(msg, "cell 1, In [2]: ValueError: bad") != NULL, "%s", msg);
    cr_assert(strstr(msg, "Exception encountered at \"In [2]\":\nValueError\nValueError: bad\n") != NULL, "%s", msg);
    free(msg);
    pm_insert_error_markers(nb, &e);
    pm_error_clear(&e);
    json_t *cells = json_object_get(nb, "cells");
    cr_assert_eq(json_array_size(cells), 6);
    cr_assert(strstr(str_at(cell(nb, 0), "source"), "In [2]</a>") != NULL);
    cr_assert(strstr(str_at(cell(nb, 2), "source"), "id=\"papermill-error-cell\"") != NULL,
              "the anchor sits right before the failing cell");
    cr_assert_str_eq(str_at(cell(nb, 3), "id"), "c1");

    /* a second run drops the old markers first */
    pm_prepare(nb, "in.ipynb", "out.ipynb", 0);
    cr_assert_eq(json_array_size(cells), 4);
    json_decref(nb);
}

Test(engine, sys_exit_zero_is_success_and_stops)
{
    const char *variants[] = {ERROR_CELL("SystemExit", "0"), ERROR_CELL("SystemExit", "")};
    for (int v = 0; v < 2; v++) {
        const char *src[] = {"{}", variants[v], "{}"};
        json_t *nb = mk_nb(src, 3);
        run_nb(nb, NULL, NULL);
        struct pm_error e;
        pm_find_error(nb, &e);
        cr_assert_not(e.found, "variant %d counts as success", v);
        cr_assert_str_eq(cell_status(nb, 2), "pending");
        cr_assert(json_is_null(json_object_get(cell(nb, 2), "execution_count")));
        json_decref(nb);
    }
    const char *src1[] = {ERROR_CELL("SystemExit", "1")};
    json_t *nb = mk_nb(src1, 1);
    run_nb(nb, NULL, NULL);
    struct pm_error e;
    pm_find_error(nb, &e);
    cr_assert(e.found, "sys.exit(1) fails the run");
    pm_error_clear(&e);
    json_decref(nb);
}

Test(engine, raises_exception_tag_continues_but_still_fails_at_the_end)
{
    const char *src[] = {"tag:raises-exception:" ERROR_CELL("KeyError", "k"), "{}"};
    json_t *nb = mk_nb(src, 2);
    struct kernel *k;
    run_nb(nb, NULL, &k);
    cr_assert_eq(fake_kernel_requests(k), 2);
    k->ops->shutdown(k);
    cr_assert_str_eq(cell_status(nb, 0), "completed");
    cr_assert_str_eq(cell_status(nb, 1), "completed");
    struct pm_error e;
    pm_find_error(nb, &e);
    cr_assert(e.found, "papermill's scan ignores the tag");
    cr_assert_str_eq(e.ename, "KeyError");
    pm_error_clear(&e);
    json_decref(nb);
}

Test(engine, stop_on_error_follows_the_tag)
{
    const char *src[] = {"tag:raises-exception:{}"};
    json_t *nb = mk_nb(src, 1);
    struct kernel *k;
    run_nb(nb, NULL, &k);
    cr_assert(json_is_false(json_object_get(fake_kernel_last_request(k), "stop_on_error")));
    cr_assert(json_is_false(json_object_get(fake_kernel_last_request(k), "allow_stdin")));
    k->ops->shutdown(k);
    json_decref(nb);
}

Test(engine, line_magic_usage_error_without_error_output)
{
    const char *src[] = {"{\"out\": [[\"stream\", {\"name\": \"stderr\", \"text\": \"UsageError: no magic\"}]],"
                         " \"reply\": {\"status\": \"error\", \"ename\": \"UsageError\", \"evalue\": \"x\"}}",
                         "{}"};
    json_t *nb = mk_nb(src, 2);
    run_nb(nb, NULL, NULL);
    struct pm_error e;
    pm_find_error(nb, &e);
    cr_assert(e.found);
    cr_assert_str_eq(e.ename, "CellExecutionError");
    cr_assert_str_eq(e.evalue, "");
    cr_assert_eq(e.cell_index, 0);
    pm_error_clear(&e);
    json_decref(nb);
}

Test(engine, timeout_interrupts_the_cell)
{
    const char *src[] = {"{\"hang\": true}", "{}"};
    json_t *nb = mk_nb(src, 2);
    struct exec_opts o;
    exec_opts_default(&o);
    o.execution_timeout_ms = 30;
    struct exec_report r = run_nb(nb, &o, NULL);
    cr_assert_eq(r.outcome, EXEC_TIMEOUT);
    cr_assert_not(r.kernel_unusable);
    cr_assert_eq(r.cell_index, 0);
    cr_assert(strstr(r.message, "timed out") != NULL, "%s", r.message);
    cr_assert_str_eq(str_at(output(nb, 0, 0), "ename"), "KeyboardInterrupt");
    cr_assert_str_eq(cell_status(nb, 0), "failed");
    cr_assert_str_eq(cell_status(nb, 1), "pending");
    json_decref(nb);
}

Test(engine, timeout_gives_up_on_a_kernel_that_ignores_the_interrupt)
{
    const char *src[] = {"{\"hang\": true, \"ignore_interrupt\": true}"};
    json_t *nb = mk_nb(src, 1);
    struct exec_opts o;
    exec_opts_default(&o);
    o.execution_timeout_ms = 20;
    o.interrupt_grace_ms = 20;
    struct exec_report r = run_nb(nb, &o, NULL);
    cr_assert_eq(r.outcome, EXEC_TIMEOUT);
    cr_assert(r.kernel_unusable);
    cr_assert_str_eq(str_at(output(nb, 0, 0), "ename"), "CellTimeoutError");
    json_decref(nb);
}

Test(engine, job_time_limit_stops_the_running_cell)
{
    const char *src[] = {"{\"hang\": true}"};
    json_t *nb = mk_nb(src, 1);
    struct exec_opts o;
    exec_opts_default(&o);
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    o.stop_at_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000 + 30;
    struct exec_report r = run_nb(nb, &o, NULL);
    cr_assert_eq(r.outcome, EXEC_TIMEOUT);
    cr_assert(strstr(r.message, "job's time limit") != NULL, "%s", r.message);
    json_decref(nb);
}

Test(engine, missing_idle_after_reply_times_out)
{
    const char *src[] = {"{\"no_idle\": true}"};
    json_t *nb = mk_nb(src, 1);
    struct exec_opts o;
    exec_opts_default(&o);
    o.iopub_timeout_ms = 20;
    struct exec_report r = run_nb(nb, &o, NULL);
    cr_assert_eq(r.outcome, EXEC_TIMEOUT);
    cr_assert(strstr(r.message, "IOPub") != NULL);
    json_decref(nb);
}

Test(engine, dead_kernel_is_recorded_in_the_notebook)
{
    const char *src[] = {"{}", "{\"die\": true}", "{}"};
    json_t *nb = mk_nb(src, 3);
    struct exec_report r = run_nb(nb, NULL, NULL);
    cr_assert_eq(r.outcome, EXEC_KERNEL_DIED);
    cr_assert_eq(r.cell_index, 1);
    cr_assert_str_eq(str_at(output(nb, 1, 0), "ename"), "DeadKernelError");
    cr_assert_str_eq(cell_status(nb, 1), "failed");
    cr_assert_str_eq(cell_status(nb, 2), "pending");
    cr_assert(json_is_string(json_object_get(json_object_get(json_object_get(nb, "metadata"), "papermill"), "end_time")));
    json_decref(nb);
}

Test(engine, saves_are_throttled_unless_asked_per_cell)
{
    const char *src[] = {"{}", "{}", "{}", "md:x"};
    struct exec_opts o;
    exec_opts_default(&o);
    o.hooks.save = count_save;

    json_t *nb = mk_nb(src, 4);
    save_count = 0;
    run_nb(nb, &o, NULL);
    cr_assert_eq(save_count, 1, "default: one save at the start, the caller writes the end");
    json_decref(nb);

    nb = mk_nb(src, 4);
    save_count = 0;
    o.autosave_cell_every_ms = 0;
    run_nb(nb, &o, NULL);
    cr_assert_eq(save_count, 1 + 2 * 4, "0: papermill's save at every cell start and end");
    json_decref(nb);

    nb = mk_nb(src, 4);
    save_count = 0;
    o.request_save_on_cell_execute = 0;
    run_nb(nb, &o, NULL);
    cr_assert_eq(save_count, 0);
    json_decref(nb);
}

Test(engine, autosave_during_a_long_cell)
{
    const char *src[] = {"{\"hang\": true}"};
    struct exec_opts o;
    exec_opts_default(&o);
    o.hooks.save = count_save;
    o.autosave_cell_every_ms = 10;
    o.execution_timeout_ms = 100;
    json_t *nb = mk_nb(src, 1);
    save_count = 0;
    run_nb(nb, &o, NULL);
    cr_assert_geq(save_count, 4, "saves every 10 ms while the cell runs (%d)", save_count);
    cr_assert_leq(save_count, 13, "but no more often (%d)", save_count);
    json_decref(nb);
}

Test(engine, coalesce_streams_like_nbclient)
{
    json_t *outs = json_pack("[{s:s,s:s,s:s}, {s:s,s:s,s:s}, {s:s,s:s,s:s}, {s:s,s:s,s:s}]",
                             "output_type", "stream", "name", "stderr", "text", "e1\n",
                             "output_type", "stream", "name", "stdout", "text", "10%\r20%",
                             "output_type", "stream", "name", "stdout", "text", "\r100%\n",
                             "output_type", "stream", "name", "stderr", "text", "e2\n");
    outputs_coalesce_streams(outs);
    cr_assert_eq(json_array_size(outs), 2);
    cr_assert_str_eq(str_at(json_array_get(outs, 0), "name"), "stdout", "stdout moves before stderr");
    cr_assert_str_eq(str_at(json_array_get(outs, 0), "text"), "100%\n");
    cr_assert_str_eq(str_at(json_array_get(outs, 1), "text"), "e1\ne2\n");
    json_decref(outs);
}

Test(papermill_meta, timestamps_as_python_isoformat)
{
    char buf[32];
    pm_format_iso(0, buf);
    cr_assert_str_eq(buf, "1970-01-01T00:00:00", "no fraction when microseconds are 0");
    pm_format_iso(1610353573818275LL, buf);
    cr_assert_str_eq(buf, "2021-01-11T08:26:13.818275");
    char *s = pm_strip_color("\x1b[0;31mA\x1b[0m b\x1b[K");
    cr_assert_str_eq(s, "A b");
    free(s);
}

Test(papermill_meta, report_mode_hides_code_inputs)
{
    const char *src[] = {"md:x", "{}"};
    json_t *nb = mk_nb(src, 2);
    pm_prepare(nb, "a", NULL, 1);
    cr_assert_null(json_object_get(json_object_get(cell(nb, 0), "metadata"), "jupyter"));
    cr_assert(json_is_true(json_object_get(json_object_get(json_object_get(cell(nb, 1), "metadata"), "jupyter"),
                                           "source_hidden")));
    cr_assert(json_is_null(json_object_get(json_object_get(json_object_get(nb, "metadata"), "papermill"),
                                           "output_path")));
    json_decref(nb);
}

Test(operations, lines_and_json_outputs_with_problems_reported)
{
    const char *src[] = {
        "tag:operations:{\"out\": [[\"stream\", {\"name\": \"stdout\", \"text\": "
        "\"{\\\"type\\\": \\\"AddTagToCase\\\", \\\"tag\\\": \\\"x\\\"}\\n\\n{\\\"ty\"}],"
        "[\"stream\", {\"name\": \"stdout\", \"text\": \"pe\\\": \\\"CloseTask\\\"}\\nnot json\\n{\\\"no\\\": 1}\\n\"}],"
        "[\"stream\", {\"name\": \"stderr\", \"text\": \"ignored\\n\"}],"
        "[\"display_data\", {\"data\": {\"application/json\": [{\"type\": \"AssignCase\"}, 5]}, \"metadata\": {}}]]}",
        "tag:taxonomies:{\"out\": [[\"stream\", {\"name\": \"stdout\", \"text\": "
        "\"{\\\"level\\\": \\\"info\\\", \\\"namespace\\\": \\\"n\\\"}\\n\"}]]}",
        "{\"out\": [[\"stream\", {\"name\": \"stdout\", \"text\": \"{\\\"type\\\": \\\"untagged\\\"}\\n\"}]]}",
    };
    json_t *nb = mk_nb(src, 3);
    run_nb(nb, NULL, NULL);
    json_t *ops, *tax, *problems;
    operations_extract(nb, &ops, &tax, &problems);
    cr_assert_eq(json_array_size(ops), 3);
    cr_assert_eq(json_array_size(tax), 1);
    cr_assert_eq(json_array_size(problems), 3);
    int saw_line4 = 0, saw_line5 = 0, saw_item = 0;
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p) {
        const char *t = json_string_value(p);
        saw_line4 |= strncmp(t, "cell 0 line 4: not valid JSON", 29) == 0;
        saw_line5 |= strcmp(t, "cell 0 line 5: no string \"type\"") == 0;
        saw_item |= strcmp(t, "cell 0 output 3 item 1: not a JSON object") == 0;
    }
    cr_assert(saw_line4 && saw_line5 && saw_item);
    json_decref(ops);
    json_decref(tax);
    json_decref(problems);
    json_decref(nb);
}
