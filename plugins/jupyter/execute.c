/* The cell loop: papermill_execute_cells + nbclient async_execute_cell over
 * struct kernel. */
#include "execute.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "notebook.h"
#include "outputs.h"
#include "papermill_meta.h"

#define ALIVE_CHECK_MS 1000        /* nbclient polls is_alive every second */
#define KERNEL_INFO_TIMEOUT_MS 5000
#define AUTOSAVE_MAX_PCT 25        /* papermill's max_autosave_pct */

enum cell_rc {
    CELL_OK = 0,
    CELL_RAISED,      /* execute_reply status error on a cell that may not raise */
    CELL_TIMEOUT,
    CELL_DEAD,
    CELL_TRANSPORT,
};

struct run {
    struct kernel *k;
    json_t *nb, *cells;
    const struct exec_opts *o;
    struct exec_report *r;
    struct output_state outs;
    int64_t last_save_ms;
    long save_every_ms;
    int total;
};

void exec_opts_default(struct exec_opts *o)
{
    memset(o, 0, sizeof *o);
    o->interrupt_grace_ms = 5000;
    o->iopub_timeout_ms = 4000;
    o->request_save_on_cell_execute = 1;
    o->autosave_cell_every_ms = 30000;
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void save_now(struct run *run)
{
    if (!run->o->request_save_on_cell_execute || !run->o->hooks.save)
        return;
    char err[256] = "";
    int64_t t0 = mono_ms();
    if (run->o->hooks.save(run->o->hooks.arg, run->nb, err, sizeof err) != 0 && run->o->hooks.log)
        run->o->hooks.log(run->o->hooks.arg, EXEC_LOG_WARN, err);
    int64_t t1 = mono_ms();
    run->last_save_ms = t1;
    run->r->saves++;
    if (run->save_every_ms > 0 && (t1 - t0) * 100 > run->save_every_ms * AUTOSAVE_MAX_PCT)
        run->save_every_ms *= 2;
}

/* A cell boundary: papermill saves here every time; we save when due. */
static void save_at_boundary(struct run *run)
{
    if (run->save_every_ms == 0 || mono_ms() - run->last_save_ms >= run->save_every_ms)
        save_now(run);
}

static void save_if_due(struct run *run)
{
    if (run->save_every_ms > 0 && mono_ms() - run->last_save_ms >= run->save_every_ms)
        save_now(run);
}

/* nbclient timestamp(msg): the header date as %Y-%m-%dT%H:%M:%S.%fZ, or
 * utcnow().isoformat() + "Z" when the message has no usable date. */
static json_t *msg_timestamp(const json_t *msg)
{
    const char *d = json_string_value(json_object_get(json_object_get(msg, "header"), "date"));
    char buf[40];
    if (d && strlen(d) >= 19 && d[4] == '-' && d[10] == 'T' && d[13] == ':' && d[16] == ':') {
        char frac[7] = "000000";
        const char *p = d + 19;
        if (*p == '.') {
            int n = 0;
            for (p++; isdigit((unsigned char)*p); p++) {
                if (n < 6)
                    frac[n++] = *p;
            }
        }
        snprintf(buf, sizeof buf, "%.19s.%sZ", d, frac);
        return json_string(buf);
    }
    pm_format_iso(pm_now_us(), buf);
    strcat(buf, "Z");
    return json_string(buf);
}

static int is_code_cell(const json_t *cell)
{
    const char *t = json_string_value(json_object_get(cell, "cell_type"));
    return t && strcmp(t, "code") == 0;
}

static int blank(const char *s)
{
    for (; *s; s++) {
        if (!isspace((unsigned char)*s))
            return 0;
    }
    return 1;
}

/* papermill's get_cell_description: the word after papermill_description=. */
static void cell_label(const json_t *cell, int index, char *out, size_t outlen)
{
    const char *src = notebook_cell_source(cell);
    const char *d = strstr(src, "papermill_description=");
    if (d) {
        d += strlen("papermill_description=");
        while (*d && isspace((unsigned char)*d))
            d++;
        size_t n = 0;
        while (d[n] && !isspace((unsigned char)d[n]))
            n++;
        snprintf(out, outlen, "Executing %.*s", (int)n, d);
        return;
    }
    snprintf(out, outlen, "cell %d", index + 1);
}

static void log_line(struct run *run, enum exec_log_level lvl, const char *text)
{
    if (run->o->hooks.log)
        run->o->hooks.log(run->o->hooks.arg, lvl, text);
}

/* clientwrap.log_output_message for an output the cell just got. */
static void route_output(struct run *run, const json_t *out)
{
    const struct exec_opts *o = run->o;
    const char *type = json_string_value(json_object_get(out, "output_type"));
    if (type && strcmp(type, "stream") == 0) {
        const char *name = json_string_value(json_object_get(out, "name")) ?: "";
        const char *text = json_string_value(json_object_get(out, "text")) ?: "";
        int err = strcmp(name, "stderr") == 0;
        if (!err && strcmp(name, "stdout") != 0)
            return;
        if (o->log_output)
            log_line(run, err ? EXEC_LOG_WARN : EXEC_LOG_INFO, text);
        FILE *f = err ? o->stderr_file : o->stdout_file;
        if (f) {
            fputs(text, f);
            fflush(f);
        }
        return;
    }
    const char *plain = json_string_value(json_object_get(json_object_get(out, "data"), "text/plain"));
    if (o->log_output && plain)
        log_line(run, EXEC_LOG_INFO, plain);
}

static void add_error_output(json_t *cell, const char *ename, const char *evalue)
{
    json_t *outs = json_object_get(cell, "outputs");
    size_t i;
    json_t *out;
    json_array_foreach(outs, i, out) {
        const char *t = json_string_value(json_object_get(out, "output_type"));
        if (t && strcmp(t, "error") == 0)
            return;
    }
    char *line = NULL;
    json_t *tb = json_array();
    if (asprintf(&line, "%s: %s", ename, evalue) >= 0)
        json_array_append_new(tb, json_string(line));
    free(line);
    json_t *e = json_object();
    json_object_set_new(e, "output_type", json_string("error"));
    json_object_set_new(e, "ename", json_string(ename));
    json_object_set_new(e, "evalue", json_string(evalue));
    json_object_set_new(e, "traceback", tb);
    if (!json_is_array(outs)) {
        outs = json_array();
        json_object_set_new(cell, "outputs", outs);
    }
    json_array_append_new(outs, e);
}

static json_t *execute_request(const char *code, int stop_on_error)
{
    json_t *c = json_object();
    json_object_set_new(c, "code", json_string(code));
    json_object_set_new(c, "silent", json_false());
    json_object_set_new(c, "store_history", json_true());
    json_object_set_new(c, "user_expressions", json_object());
    json_object_set_new(c, "allow_stdin", json_false());
    json_object_set_new(c, "stop_on_error", stop_on_error ? json_true() : json_false());
    return c;
}

static enum cell_rc run_cell(struct run *run, size_t index)
{
    struct kernel *k = run->k;
    const struct exec_opts *o = run->o;
    json_t *cell = json_array_get(run->cells, index);
    int may_raise = notebook_cell_has_tag(cell, "raises-exception");
    json_t *timing = json_object();
    json_object_set_new(json_object_get(cell, "metadata"), "execution", timing);
    json_object_set_new(cell, "outputs", json_array());
    outputs_begin_cell(&run->outs);

    char msg_id[37], err[256] = "";
    json_t *req = execute_request(notebook_cell_source(cell), !may_raise);
    int rc = k->ops->send(k, KERNEL_SHELL, "execute_request", req, msg_id, err, sizeof err);
    json_decref(req);
    if (rc != 0) {
        snprintf(run->r->message, sizeof run->r->message, "cannot send cell %zu: %s", index, err);
        return CELL_TRANSPORT;
    }
    run->r->code_cells_run++;

    int got_reply = 0, got_idle = 0, interrupted = 0, raised = 0;
    int64_t now = mono_ms();
    int64_t deadline = o->execution_timeout_ms > 0 ? now + o->execution_timeout_ms : -1;
    int job_limit = o->stop_at_ms > 0 && (deadline < 0 || o->stop_at_ms < deadline);
    if (job_limit)
        deadline = o->stop_at_ms;
    int64_t idle_deadline = -1;
    while (!(got_reply && got_idle)) {
        long wait = ALIVE_CHECK_MS;
        now = mono_ms();
        if (deadline >= 0 && deadline - now < wait)
            wait = deadline - now > 0 ? (long)(deadline - now) : 0;
        if (idle_deadline >= 0 && idle_deadline - now < wait)
            wait = idle_deadline - now > 0 ? (long)(idle_deadline - now) : 0;
        if (run->save_every_ms > 0) {
            int64_t due = run->last_save_ms + run->save_every_ms - now;
            if (due < wait)
                wait = due > 0 ? (long)due : 0;
        }
        struct kernel_msg m = {0};
        rc = k->ops->recv(k, (int)wait, &m, err, sizeof err);
        if (rc == KERNEL_RECV_MSG) {
            if (strcmp(m.parent_id, msg_id) == 0) {
                if (m.channel == KERNEL_SHELL && strcmp(m.msg_type, "execute_reply") == 0) {
                    got_reply = 1;
                    json_object_set_new(timing, "shell.execute_reply", msg_timestamp(m.msg));
                    const char *status = json_string_value(json_object_get(m.content, "status"));
                    raised = status && strcmp(status, "error") == 0;
                    idle_deadline = mono_ms() + o->iopub_timeout_ms;
                } else if (m.channel == KERNEL_IOPUB) {
                    if (strcmp(m.msg_type, "status") == 0) {
                        const char *st = json_string_value(json_object_get(m.content, "execution_state"));
                        if (st && strcmp(st, "idle") == 0) {
                            got_idle = 1;
                            json_object_set_new(timing, "iopub.status.idle", msg_timestamp(m.msg));
                        } else if (st && strcmp(st, "busy") == 0) {
                            json_object_set_new(timing, "iopub.status.busy", msg_timestamp(m.msg));
                        }
                    } else if (strcmp(m.msg_type, "execute_input") == 0) {
                        json_object_set_new(timing, "iopub.execute_input", msg_timestamp(m.msg));
                    }
                    json_t *out = outputs_handle(&run->outs, index, m.msg_type, m.content);
                    if (out && (o->log_output || o->stdout_file || o->stderr_file))
                        route_output(run, out);
                }
            }
            kernel_msg_clear(&m);
        } else if (rc == KERNEL_RECV_DEAD) {
            snprintf(run->r->message, sizeof run->r->message, "Kernel died while executing cell %zu", index);
            return CELL_DEAD;
        } else if (rc != KERNEL_RECV_TIMEOUT) {
            snprintf(run->r->message, sizeof run->r->message, "kernel transport failed in cell %zu: %s",
                     index, err);
            return CELL_TRANSPORT;
        } else if (!k->ops->alive(k)) {
            snprintf(run->r->message, sizeof run->r->message, "Kernel died while executing cell %zu", index);
            return CELL_DEAD;
        }
        now = mono_ms();
        if (got_reply && !got_idle && idle_deadline >= 0 && now >= idle_deadline) {
            snprintf(run->r->message, sizeof run->r->message,
                     "Timeout waiting for IOPub output in cell %zu (%ld ms after the reply)", index,
                     o->iopub_timeout_ms);
            return CELL_TIMEOUT;
        }
        if (deadline >= 0 && now >= deadline && !(got_reply && got_idle)) {
            if (interrupted) {
                run->r->kernel_unusable = 1;
                snprintf(run->r->message, sizeof run->r->message,
                         "Cell %zu %s and did not stop within %.3g s of an interrupt", index,
                         job_limit ? "ran out the job's time limit" : "timed out", o->interrupt_grace_ms / 1000.0);
                return CELL_TIMEOUT;
            }
            interrupted = 1;
            if (k->ops->interrupt(k, err, sizeof err) != 0)
                log_line(run, EXEC_LOG_WARN, err);
            deadline = now + o->interrupt_grace_ms;
        }
        save_if_due(run);
    }
    if (interrupted) {
        if (job_limit)
            snprintf(run->r->message, sizeof run->r->message,
                     "The job's time limit ran out in cell %zu, which was interrupted", index);
        else
            snprintf(run->r->message, sizeof run->r->message, "Cell %zu timed out after %.3g s and was interrupted",
                     index, o->execution_timeout_ms / 1000.0);
        return CELL_TIMEOUT;
    }
    if (o->coalesce_streams)
        outputs_coalesce_streams(json_object_get(cell, "outputs"));
    return raised && !may_raise ? CELL_RAISED : CELL_OK;
}

static void fetch_language_info(struct run *run)
{
    struct kernel *k = run->k;
    char msg_id[37], err[256];
    json_t *empty = json_object();
    int rc = k->ops->send(k, KERNEL_SHELL, "kernel_info_request", empty, msg_id, err, sizeof err);
    json_decref(empty);
    json_t *info = NULL;
    int64_t deadline = mono_ms() + KERNEL_INFO_TIMEOUT_MS;
    while (rc == 0 && !info) {
        int64_t left = deadline - mono_ms();
        if (left <= 0)
            break;
        struct kernel_msg m = {0};
        int r = k->ops->recv(k, (int)left, &m, err, sizeof err);
        if (r != KERNEL_RECV_MSG)
            break;
        if (m.channel == KERNEL_SHELL && strcmp(m.parent_id, msg_id) == 0)
            info = json_incref(json_object_get(m.content, "language_info"));
        kernel_msg_clear(&m);
    }
    if (!info && k->info)
        info = json_incref(json_object_get(k->info, "language_info"));
    if (json_is_object(info))
        json_object_set(json_object_get(run->nb, "metadata"), "language_info", info);
    json_decref(info);
}

static void log_cell_edge(struct run *run, const char *what, int width, size_t index)
{
    if (!run->o->log_output)
        return;
    char num[32], line[96];
    snprintf(num, sizeof num, "%zu", index + 1);
    size_t n = strlen(num);
    snprintf(line, sizeof line, "%s Cell %s", what, num);
    size_t len = strlen(line);
    for (; n < (size_t)width && len + 1 < sizeof line; n++)
        line[len++] = '-';
    line[len] = '\0';
    log_line(run, EXEC_LOG_INFO, line);
}

int exec_notebook(struct kernel *k, json_t *nb, const struct exec_opts *o, struct exec_report *r)
{
    memset(r, 0, sizeof *r);
    r->cell_index = -1;
    json_t *cells = json_object_get(nb, "cells");
    if (!k || !json_is_array(cells))
        return -1;
    struct run run = {.k = k, .nb = nb, .cells = cells, .o = o, .r = r,
                      .save_every_ms = o->autosave_cell_every_ms > 0 && o->request_save_on_cell_execute &&
                                               o->hooks.save ? o->autosave_cell_every_ms : 0,
                      .total = (int)json_array_size(cells)};
    outputs_init(&run.outs, cells);

    r->start_us = pm_now_us();
    pm_notebook_start(nb, r->start_us);
    save_now(&run);

    int died = 0;
    for (size_t i = 0; i < json_array_size(cells); i++) {
        json_t *cell = json_array_get(cells, i);
        char label[128];
        cell_label(cell, (int)i, label, sizeof label);
        log_cell_edge(&run, "Executing", 40, i);
        pm_cell_start(cell, pm_now_us());
        if (o->hooks.progress)
            o->hooks.progress(o->hooks.arg, (int)i, run.total, label);
        if (run.save_every_ms == 0)
            save_now(&run);

        enum cell_rc rc = CELL_OK;
        if (is_code_cell(cell) && !blank(notebook_cell_source(cell)))
            rc = run_cell(&run, i);
        switch (rc) {
        case CELL_OK:
            break;
        case CELL_RAISED:
            pm_cell_exception(nb, cell);
            break;
        case CELL_TIMEOUT:
            add_error_output(cell, "CellTimeoutError", r->message);
            pm_cell_exception(nb, cell);
            r->outcome = EXEC_TIMEOUT;
            break;
        case CELL_DEAD:
            add_error_output(cell, "DeadKernelError", "Kernel died");
            pm_cell_exception(nb, cell);
            r->outcome = EXEC_KERNEL_DIED;
            died = 1;
            break;
        case CELL_TRANSPORT:
            add_error_output(cell, "KernelTransportError", r->message);
            pm_cell_exception(nb, cell);
            r->outcome = EXEC_TRANSPORT_ERROR;
            died = 1;
            break;
        }
        if (rc != CELL_OK)
            r->cell_index = (int)i;
        log_cell_edge(&run, "Ending", 43, i);
        pm_cell_complete(cell, pm_now_us());
        if (o->hooks.progress)
            o->hooks.progress(o->hooks.arg, (int)i + 1, run.total, label);
        if (rc != CELL_OK)
            break;
        save_at_boundary(&run);
    }
    if (!died && !r->kernel_unusable)
        fetch_language_info(&run);
    r->end_us = pm_now_us();
    pm_notebook_complete(nb, r->start_us, r->end_us);
    outputs_free(&run.outs);
    return 0;
}
