/* The "jupyter" executor plugin: papermill's execute_notebook on a local
 * kernel.  Reads job->notebook, injects job->parameters (secret ones
 * through the kernel's environment), starts a fresh kernel, runs the cells
 * with execute.c, writes job->output and reports operations.  The options
 * contract is in jupyter_options.h. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <nbsoar/plugin.h>

#include "execute.h"
#include "jupyter_io.h"
#include "jupyter_options.h"
#include "jupyter_remote.h"
#include "kernel.h"
#include "kernel_pool.h"
#include "notebook.h"
#include "operations.h"
#include "parameters.h"
#include "papermill_meta.h"
#include "store_contents.h"

#define DEAD_KERNEL_EXIT 138 /* papermill's exit code for DeadKernelError */

struct jupyter_state {
    const struct nbsoar_host *host;
    json_t *defaults; /* OWNED: the config section as options */
    struct jupyter_remote remote;
    struct kernel_pool *pool; /* OWNED; NULL unless warm_pool > 0 */
};

/* Everything one run() holds; released by run_free. */
struct run_ctx {
    struct jupyter_state *st;
    const struct nbsoar_job *job;
    struct jupyter_options o;
    const char *input_name, *output;
    json_t *nb, *params;
    char **extra_env;
    FILE *stdout_file, *stderr_file;
    int64_t start_ms;
    struct remote_run rr;      /* the server this run uses, when remote */
    char *output_owned;        /* the output with its folder's strftime patterns expanded */
};

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Output through the contents API when it names one, else as jupyter_io. */
static int write_output(struct run_ctx *c, const json_t *nb, char *err, size_t errlen)
{
    const struct nbsoar_host *h = c->st->host;
    if (!contents_is_url(c->output))
        return jupyter_write_notebook(h, nb, c->output, err, errlen);
    struct nbsoar_http_endpoint ep;
    jupyter_remote_endpoint(&c->st->remote, c->output, &ep);
    return contents_write(h, &ep, nb, c->output, err, errlen);
}

static json_t *read_input(struct run_ctx *c, char *err, size_t errlen)
{
    const struct nbsoar_host *h = c->st->host;
    if (!contents_is_url(c->job->notebook))
        return jupyter_read_notebook(h, c->job->notebook, err, errlen);
    struct nbsoar_http_endpoint ep;
    jupyter_remote_endpoint(&c->st->remote, c->job->notebook, &ep);
    return contents_read(h, &ep, c->job->notebook, err, errlen);
}

static int hook_save(void *arg, const json_t *nb, char *err, size_t errlen)
{
    struct run_ctx *c = arg;
    return write_output(c, nb, err, errlen);
}

static void hook_progress(void *arg, int done, int total, const char *label)
{
    struct run_ctx *c = arg;
    char text[192];
    snprintf(text, sizeof text, "%s, %.1f s", label, (double)(mono_ms() - c->start_ms) / 1000.0);
    c->st->host->progress(c->st->host, done, total, text);
}

static void hook_log(void *arg, enum exec_log_level lvl, const char *text)
{
    struct run_ctx *c = arg;
    c->st->host->log(c->st->host, lvl == EXEC_LOG_WARN ? NBSOAR_LOG_WARN : NBSOAR_LOG_INFO, "%s", text);
}

static void fail(struct nbsoar_run_result *res, const struct nbsoar_host *h, enum nbsoar_job_status status,
                 int exit_code, const char *msg)
{
    res->status = status;
    res->exit_code = exit_code;
    free(res->error);
    res->error = h->redact ? h->redact(h, msg) : strdup(msg);
}

/* papermill's parameters_final: injected paths first, then the job's. */
static json_t *final_parameters(const struct run_ctx *c)
{
    json_t *p = json_object();
    if (c->o.inject_input_path)
        json_object_set_new(p, "PAPERMILL_INPUT_PATH", json_string(c->input_name));
    if (c->o.inject_output_path)
        json_object_set_new(p, "PAPERMILL_OUTPUT_PATH", c->output ? json_string(c->output) : json_null());
    if (json_is_object(c->job->parameters))
        json_object_update(p, (json_t *)c->job->parameters);
    return p;
}

static void register_secrets(const struct run_ctx *c)
{
    const struct nbsoar_host *h = c->st->host;
    const char *const *names = c->job->secret_parameters;
    for (size_t i = 0; names && names[i]; i++) {
        json_t *v = json_object_get(c->params, names[i]);
        if (json_is_string(v) && json_string_length(v) > 0)
            h->secret_add(h, json_string_value(v));
    }
}

static int append_env(struct run_ctx *c, const char *entry);

/* papermill's parameterize_notebook; secret parameters come back as
 * "NBSOAR_SECRET_<NAME>=value" entries for the kernel's environment. */
static int inject(struct run_ctx *c, char *err, size_t errlen)
{
    const struct nbsoar_host *h = c->st->host;
    json_t *secrets = NULL;
    for (size_t i = 0; c->job->secret_parameters && c->job->secret_parameters[i]; i++) {
        if (!secrets)
            secrets = json_array();
        json_array_append_new(secrets, json_string(c->job->secret_parameters[i]));
    }
    struct param_inject_opts po = {
        .kernel_name = c->o.kernel,
        .language = c->o.language,
        .report_mode = c->o.report_mode,
        .secret_names = secrets,
    };
    json_t *env = NULL;
    char *warning = NULL;
    int rc = parameters_inject(c->nb, c->params, &po, &env, &warning, err, errlen);
    json_decref(secrets);
    if (warning)
        h->log(h, NBSOAR_LOG_WARN, "%s", warning);
    free(warning);
    size_t i;
    json_t *v;
    json_array_foreach(env, i, v) {
        if (rc == 0 && append_env(c, json_string_value(v)) != 0) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        }
    }
    /* the array holds secret values: wipe before releasing */
    json_array_foreach(env, i, v) {
        char *sv = (char *)json_string_value(v);
        explicit_bzero(sv, strlen(sv));
    }
    json_decref(env);
    return rc;
}

static const char *nb_kernel_name(const struct run_ctx *c)
{
    if (c->o.kernel)
        return c->o.kernel;
    return json_string_value(json_object_get(json_object_get(json_object_get(c->nb, "metadata"), "kernelspec"), "name"));
}

static const char *nb_language(const struct run_ctx *c)
{
    if (c->o.language)
        return c->o.language;
    json_t *meta = json_object_get(c->nb, "metadata");
    const char *l = json_string_value(json_object_get(json_object_get(meta, "language_info"), "name"));
    return l ? l : json_string_value(json_object_get(json_object_get(meta, "kernelspec"), "language"));
}

static int open_stream_files(struct run_ctx *c, char *err, size_t errlen)
{
    if (c->o.stdout_file && !(c->stdout_file = fopen(c->o.stdout_file, "w"))) {
        snprintf(err, errlen, "cannot open --stdout-file %s: %s", c->o.stdout_file, strerror(errno));
        return -1;
    }
    if (c->o.stderr_file && !(c->stderr_file = fopen(c->o.stderr_file, "w"))) {
        snprintf(err, errlen, "cannot open --stderr-file %s: %s", c->o.stderr_file, strerror(errno));
        return -1;
    }
    return 0;
}

static int append_env(struct run_ctx *c, const char *entry)
{
    size_t n = 0;
    while (c->extra_env && c->extra_env[n])
        n++;
    char **env = realloc(c->extra_env, (n + 2) * sizeof *env);
    if (!env)
        return -1;
    c->extra_env = env;
    env[n] = strdup(entry);
    env[n + 1] = NULL;
    return env[n] ? 0 : -1;
}

static void run_free(struct run_ctx *c)
{
    json_decref(c->nb);
    json_decref(c->params);
    for (size_t i = 0; c->extra_env && c->extra_env[i]; i++) {
        explicit_bzero(c->extra_env[i], strlen(c->extra_env[i]));
        free(c->extra_env[i]);
    }
    free(c->extra_env);
    if (c->stdout_file)
        fclose(c->stdout_file);
    if (c->stderr_file)
        fclose(c->stderr_file);
    remote_run_end(c->st->host, &c->st->remote, &c->rr);
    free(c->output_owned);
}

/* Operations, taxonomies, problems and --operations FILE. */
static void collect_operations(struct run_ctx *c, struct nbsoar_run_result *res, json_t *details)
{
    const struct nbsoar_host *h = c->st->host;
    json_t *problems;
    operations_extract(c->nb, &res->operations, &res->taxonomies, &problems);
    size_t i;
    json_t *p;
    json_array_foreach(problems, i, p) h->log(h, NBSOAR_LOG_WARN, "operations: %s", json_string_value(p));
    json_object_set_new(details, "operation_problems", problems);
    if (c->o.operations_file) {
        if (json_dump_file(res->operations, c->o.operations_file, JSON_INDENT(1) | JSON_ENSURE_ASCII) != 0)
            h->log(h, NBSOAR_LOG_ERROR, "cannot write operations to %s", c->o.operations_file);
    }
}

/* Classifies the finished run the way papermill's CLI would exit. */
static void judge(struct run_ctx *c, const struct exec_report *rep, struct nbsoar_run_result *res)
{
    const struct nbsoar_host *h = c->st->host;
    struct pm_error e;
    pm_find_error(c->nb, &e);
    if (e.found) {
        pm_insert_error_markers(c->nb, &e);
        char *msg = pm_error_message(&e);
        char *full = NULL;
        if (rep->outcome != EXEC_COMPLETED && asprintf(&full, "%s\n%s", rep->message, msg ? msg : "") < 0)
            full = NULL;
        const char *text = full ? full : msg ? msg : rep->message;
        if (rep->outcome == EXEC_KERNEL_DIED)
            fail(res, h, NBSOAR_JOB_ERROR, DEAD_KERNEL_EXIT, text);
        else if (rep->outcome == EXEC_TRANSPORT_ERROR)
            fail(res, h, NBSOAR_JOB_ERROR, 1, text);
        else
            fail(res, h, NBSOAR_JOB_FAILED, 1, text);
        free(full);
        free(msg);
    } else {
        res->status = NBSOAR_JOB_SUCCEEDED;
        res->exit_code = 0;
    }
    pm_error_clear(&e);
}

static json_t *make_details(const struct run_ctx *c, const struct exec_report *rep, const struct kernel *k)
{
    json_t *d = json_object();
    json_object_set_new(d, "input", json_string(c->input_name));
    json_object_set_new(d, "cells", json_integer((json_int_t)json_array_size(json_object_get(c->nb, "cells"))));
    if (rep) {
        static const char *const outcome[] = {"completed", "timeout", "kernel_died", "transport_error"};
        json_object_set_new(d, "code_cells_run", json_integer(rep->code_cells_run));
        json_object_set_new(d, "saves", json_integer(rep->saves));
        json_object_set_new(d, "outcome", json_string(outcome[rep->outcome]));
        if (rep->cell_index >= 0)
            json_object_set_new(d, "cell_index", json_integer(rep->cell_index));
    }
    if (k && k->name)
        json_object_set_new(d, "kernel", json_string(k->name));
    return d;
}

static int execute(struct run_ctx *c, struct nbsoar_run_result *res)
{
    const struct nbsoar_host *h = c->st->host;
    char err[512] = "";
    const char *kname = nb_kernel_name(c), *lang = nb_language(c);
    if (!kname && !lang) {
        fail(res, h, NBSOAR_JOB_ERROR, 1, "No kernel name found in notebook and no override provided.");
        return NBSOAR_ERROR;
    }
    if (open_stream_files(c, err, sizeof err) != 0) {
        fail(res, h, NBSOAR_JOB_ERROR, 1, err);
        return NBSOAR_ERROR;
    }
    /* papermill's CLI sets this in its own environment, which the kernel
     * inherits: it silences ipykernel's debugger warning on stderr. */
    if (!getenv("PYDEVD_DISABLE_FILE_VALIDATION") && append_env(c, "PYDEVD_DISABLE_FILE_VALIDATION=1") != 0) {
        fail(res, h, NBSOAR_JOB_ERROR, 1, "out of memory");
        return NBSOAR_ERROR;
    }
    struct kernel_start_opts ko = {
        .kernel_name = kname,
        .language = lang,
        .cwd = c->o.cwd,
        .extra_env = (const char *const *)c->extra_env,
        .start_timeout_ms = c->o.start_timeout_ms,
    };
    struct exec_opts eo;
    exec_opts_default(&eo);
    eo.execution_timeout_ms = c->o.execution_timeout_ms;
    if (c->job->timeout_ms > 0) {
        eo.stop_at_ms = c->start_ms + c->job->timeout_ms;
        long left = (long)(eo.stop_at_ms - mono_ms());
        if (left < ko.start_timeout_ms)
            ko.start_timeout_ms = left > 1 ? left : 1;
    }
    eo.interrupt_grace_ms = c->o.interrupt_grace_ms;
    eo.iopub_timeout_ms = c->o.iopub_timeout_ms;
    eo.request_save_on_cell_execute = c->o.request_save_on_cell_execute;
    eo.autosave_cell_every_ms = c->o.autosave_cell_every_ms;
    eo.coalesce_streams = c->o.coalesce_streams;
    eo.log_output = c->o.log_output;
    eo.stdout_file = c->stdout_file;
    eo.stderr_file = c->stderr_file;
    eo.hooks = (struct exec_hooks){
        .arg = c,
        .save = jupyter_output_is_file(c->output) ? hook_save : NULL,
        .progress = c->o.progress && h->progress ? hook_progress : NULL,
        .log = hook_log,
    };

    for (size_t i = 0; c->rr.base && c->extra_env && c->extra_env[i]; i++) {
        if (strncmp(c->extra_env[i], "NBSOAR_SECRET_", 14) == 0) {
            /* Jupyter Server's POST /api/kernels takes no environment */
            fail(res, h, NBSOAR_JOB_ERROR, 1, "secret parameters reach the kernel through its environment, "
                                              "which a remote Jupyter Server cannot set: run locally");
            return NBSOAR_ERROR;
        }
    }
    /* A pool kernel shares the pool's environment: a run with secrets in
     * its kernel's environment, or another cwd, starts its own. */
    size_t n_env = 0;
    while (c->extra_env && c->extra_env[n_env])
        n_env++;
    struct kernel_pool *pool = c->rr.base ? NULL : c->st->pool;
    struct kernel *k = NULL;
    if (c->rr.base)
        k = remote_kernel_start(h, &c->st->remote, &c->rr, &ko, err, sizeof err);
    if (pool && kname && n_env <= 1 && kernel_pool_fits(pool, c->o.cwd))
        k = kernel_pool_take(pool, kname);
    int64_t cold_at = mono_ms();
    if (!k && !c->rr.base)
        k = kernel_local_start(&ko, err, sizeof err);
    if (!k) {
        /* papermill has saved the started notebook by now; so do we. */
        int64_t now = pm_now_us();
        pm_notebook_start(c->nb, now);
        json_object_set_new(json_object_get(json_object_get(c->nb, "metadata"), "papermill"), "exception",
                            json_true());
        pm_notebook_complete(c->nb, now, pm_now_us());
        /* a start cut short by the job's own time limit is that job timing
         * out (not retried); a kernel that failed on its own may start on
         * the next attempt */
        int job_time_up = eo.stop_at_ms > 0 && mono_ms() >= eo.stop_at_ms;
        /* so is a kernel that used up start_timeout: a retry would wait as long again */
        int start_time_up = !job_time_up && !c->rr.base && mono_ms() - cold_at >= ko.start_timeout_ms;
        char msg[700];
        snprintf(msg, sizeof msg, "kernel did not start%s: %s",
                 job_time_up ? " within the job's time limit" : start_time_up ? " within start_timeout" : "", err);
        fail(res, h, NBSOAR_JOB_ERROR, 1, msg);
        write_output(c, c->nb, err, sizeof err);
        res->details = make_details(c, NULL, NULL);
        if (job_time_up || start_time_up)
            json_object_set_new(res->details, "outcome", json_string("timeout"));
        if (start_time_up)
            json_object_set_new(res->details, "start_timeout_ms", json_integer(ko.start_timeout_ms));
        return NBSOAR_ERROR;
    }
    struct exec_report rep;
    exec_notebook(k, c->nb, &eo, &rep);
    json_t *details = make_details(c, &rep, k);
    judge(c, &rep, res);
    /* the notebook is written before the kernel's graceful exit, which
     * takes ipykernel a few hundred milliseconds */
    int wrc = write_output(c, c->nb, err, sizeof err);
    if (pool)
        kernel_pool_retire(pool, k);
    else
        k->ops->shutdown(k);
    if (wrc != 0) {
        fail(res, h, NBSOAR_JOB_ERROR, 1, err);
        json_decref(details);
        return NBSOAR_ERROR;
    }
    collect_operations(c, res, details);
    res->details = details;
    return res->status == NBSOAR_JOB_SUCCEEDED ? NBSOAR_OK : NBSOAR_ERROR;
}

static int jupyter_run(void *state, const struct nbsoar_job *job, struct nbsoar_run_result *res)
{
    struct run_ctx c = {.st = state, .job = job, .start_ms = mono_ms()};
    const struct nbsoar_host *h = c.st->host;
    char err[1024] = "";
    memset(res, 0, sizeof *res);
    int rc = NBSOAR_ERROR;

    if (jupyter_options_parse(c.st->defaults, job->options, &c.o, err, sizeof err) != 0 || !job->notebook) {
        fail(res, h, NBSOAR_JOB_ERROR, 2, job->notebook ? err : "the job names no input notebook");
        goto out;
    }
    c.input_name = c.o.input_name ? c.o.input_name : job->notebook;
    c.output = job->output;
    if (c.output && strcmp(c.output, "-") != 0) {
        if (!(c.output_owned = output_expand_folder(c.output, time(NULL)))) {
            fail(res, h, NBSOAR_JOB_ERROR, 1, "the output folder's strftime pattern expands to nothing");
            goto out;
        }
        c.output = c.output_owned;
    }
    if (remote_run_begin(h, &c.st->remote, &c.rr, err, sizeof err) != 0) {
        fail(res, h, NBSOAR_JOB_ERROR, 1, err);
        goto out;
    }
    if (jupyter_check_output(c.output, err, sizeof err) != 0) {
        fail(res, h, NBSOAR_JOB_ERROR, 1, err);
        goto out;
    }
    c.nb = read_input(&c, err, sizeof err);
    if (!c.nb) {
        fail(res, h, NBSOAR_JOB_ERROR, 1, err);
        goto out;
    }
    notebook_upgrade(c.nb);
    pm_load_defaults(c.nb);
    c.params = final_parameters(&c);
    register_secrets(&c);
    if (inject(&c, err, sizeof err) != 0) {
        fail(res, h, NBSOAR_JOB_ERROR, 1, err);
        goto out;
    }
    pm_prepare(c.nb, c.input_name, c.output, c.o.report_mode);

    if (c.o.prepare_only) {
        if (write_output(&c, c.nb, err, sizeof err) != 0) {
            fail(res, h, NBSOAR_JOB_ERROR, 1, err);
            goto out;
        }
        res->status = NBSOAR_JOB_SUCCEEDED;
        res->details = make_details(&c, NULL, NULL);
        rc = NBSOAR_OK;
        goto out;
    }
    rc = execute(&c, res);
out:
    if (c.output && !res->output)
        res->output = strdup(c.output);
    if (c.output && !res->output_link)
        res->output_link = contents_browser_link(c.output);
    res->duration_s = (double)(mono_ms() - c.start_ms) / 1000.0;
    run_free(&c);
    return rc;
}

static int jupyter_init(const struct nbsoar_host *host, const json_t *config, void **state)
{
    struct jupyter_state *st = calloc(1, sizeof *st);
    if (!st)
        return NBSOAR_ERROR;
    st->host = host;
    st->defaults = jupyter_options_from_config(config);
    *state = st;
    struct jupyter_options probe;
    char err[512];
    if (jupyter_options_parse(st->defaults, NULL, &probe, err, sizeof err) != 0 ||
        jupyter_remote_init(host, config, &st->remote, err, sizeof err) != 0) {
        host->log(host, NBSOAR_LOG_ERROR, "%s", err);
        return NBSOAR_ERROR;
    }
    json_int_t warm = json_integer_value(json_object_get(config, "warm_pool"));
    if (warm < 0 || warm > 16) {
        host->log(host, NBSOAR_LOG_ERROR, "warm_pool: %" JSON_INTEGER_FORMAT " is out of range (0..16)", warm);
        return NBSOAR_ERROR;
    }
    if (warm > 0 && !host->check_mode) {
        static const char *const env[] = {"PYDEVD_DISABLE_FILE_VALIDATION=1", NULL};
        st->pool = kernel_pool_new((int)warm, probe.kernel ? probe.kernel : "python3", probe.cwd, env,
                                   probe.start_timeout_ms);
        if (!st->pool) {
            host->log(host, NBSOAR_LOG_ERROR, "warm_pool: cannot start the kernel pool");
            return NBSOAR_ERROR;
        }
    }
    return NBSOAR_OK;
}

static void jupyter_shutdown(void *state)
{
    struct jupyter_state *st = state;
    if (st) {
        kernel_pool_free(st->pool);
        json_decref(st->defaults);
        jupyter_remote_free(&st->remote);
    }
    free(st);
}

static const struct nbsoar_plugin jupyter_plugin = {
    NBSOAR_PLUGIN_HEADER,
    .name = "jupyter",
    .version = "0.1.0",
    .description = "runs notebooks like papermill on a local Jupyter kernel",
    .config = jupyter_config_keys,
    .init = jupyter_init,
    .run = jupyter_run,
    .shutdown = jupyter_shutdown,
};

NBSOAR_EXPORT const struct nbsoar_plugin *nbsoar_plugin_entry(void)
{
    return &jupyter_plugin;
}
