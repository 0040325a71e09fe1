/* Parsing and checking the executor's job->options object. */
#include "jupyter_options.h"
#include "jupyter_remote.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

enum opt_kind { OPT_STRING, OPT_BOOL, OPT_SECONDS };

struct opt_def {
    const char *key;
    enum opt_kind kind;
    size_t offset;
};

#define S(k, f) {k, OPT_STRING, offsetof(struct jupyter_options, f)}
#define B(k, f) {k, OPT_BOOL, offsetof(struct jupyter_options, f)}
#define T(k, f) {k, OPT_SECONDS, offsetof(struct jupyter_options, f)}
static const struct opt_def defs[] = {
    S("kernel", kernel),
    S("language", language),
    S("cwd", cwd),
    S("stdout_file", stdout_file),
    S("stderr_file", stderr_file),
    S("operations_file", operations_file),
    S("input_name", input_name),
    B("report_mode", report_mode),
    B("prepare_only", prepare_only),
    B("log_output", log_output),
    B("inject_input_path", inject_input_path),
    B("inject_output_path", inject_output_path),
    B("request_save_on_cell_execute", request_save_on_cell_execute),
    B("progress", progress),
    B("coalesce_streams", coalesce_streams),
    T("start_timeout", start_timeout_ms),
    T("execution_timeout", execution_timeout_ms),
    T("interrupt_grace", interrupt_grace_ms),
    T("iopub_timeout", iopub_timeout_ms),
    T("autosave_cell_every", autosave_cell_every_ms),
};
#undef S
#undef B
#undef T

static const struct opt_def *find_def(const char *key)
{
    for (size_t i = 0; i < sizeof defs / sizeof defs[0]; i++) {
        if (strcmp(defs[i].key, key) == 0)
            return &defs[i];
    }
    return NULL;
}

static int apply(const json_t *options, struct jupyter_options *o, const char *what, char *err, size_t errlen)
{
    if (!options || json_is_null(options))
        return 0;
    if (!json_is_object(options)) {
        snprintf(err, errlen, "%s must be a JSON object", what);
        return -1;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)options, key, v) {
        if (strcmp(key, "inject_paths") == 0) {
            if (!json_is_boolean(v)) {
                snprintf(err, errlen, "%s: '%s' must be true or false", what, key);
                return -1;
            }
            if (json_is_true(v))
                o->inject_input_path = o->inject_output_path = 1;
            continue;
        }
        const struct opt_def *d = find_def(key);
        if (!d) {
            snprintf(err, errlen, "%s: unknown key '%s'", what, key);
            return -1;
        }
        char *field = (char *)o + d->offset;
        switch (d->kind) {
        case OPT_STRING:
            if (json_is_null(v)) {
                *(const char **)field = NULL;
                break;
            }
            if (!json_is_string(v)) {
                snprintf(err, errlen, "%s: '%s' must be a string", what, key);
                return -1;
            }
            *(const char **)field = json_string_value(v);
            break;
        case OPT_BOOL:
            if (!json_is_boolean(v)) {
                snprintf(err, errlen, "%s: '%s' must be true or false", what, key);
                return -1;
            }
            *(int *)field = json_is_true(v);
            break;
        case OPT_SECONDS: {
            if (json_is_null(v)) {
                *(long *)field = 0;
                break;
            }
            double s = json_number_value(v);
            if (!json_is_number(v) || !isfinite(s) || s < 0 || s > 1e9) {
                snprintf(err, errlen, "%s: '%s' must be a number of seconds >= 0", what, key);
                return -1;
            }
            *(long *)field = (long)llround(s * 1000.0);
            break;
        }
        }
    }
    return 0;
}

int jupyter_options_parse(const json_t *defaults, const json_t *options, struct jupyter_options *o, char *err,
                          size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->request_save_on_cell_execute = 1;
    o->start_timeout_ms = 60000;
    o->interrupt_grace_ms = 5000;
    o->iopub_timeout_ms = 4000;
    o->autosave_cell_every_ms = 30000;
    if (apply(defaults, o, "executor config", err, errlen) != 0)
        return -1;
    return apply(options, o, "executor options", err, errlen);
}

const struct nbsoar_config_key jupyter_config_keys[] = {
    {"kernel", NBSOAR_KEY_STRING, NULL, 0, "kernelspec name; default: the notebook's"},
    {"language", NBSOAR_KEY_STRING, NULL, 0, "language when the notebook names no kernel"},
    {"cwd", NBSOAR_KEY_STRING, NULL, 0, "the kernel's working directory"},
    {"start_timeout", NBSOAR_KEY_DURATION_MS, "60s", 0, "kernel start-up limit"},
    {"execution_timeout", NBSOAR_KEY_DURATION_MS, NULL, 0, "per cell: interrupt, then give up; default none"},
    {"interrupt_grace", NBSOAR_KEY_DURATION_MS, "5s", 0, "after a timeout's interrupt, before the kernel is killed"},
    {"iopub_timeout", NBSOAR_KEY_DURATION_MS, "4s", 0, "wait for the kernel's idle status after its reply"},
    {"autosave_cell_every", NBSOAR_KEY_DURATION_MS, "30s", 0, "save the running notebook at most this often"},
    {"request_save_on_cell_execute", NBSOAR_KEY_BOOL, "true", 0, "save while running"},
    {"log_output", NBSOAR_KEY_BOOL, "false", 0, "log cell output"},
    {"report_mode", NBSOAR_KEY_BOOL, "false", 0, "hide code cell inputs"},
    {"coalesce_streams", NBSOAR_KEY_BOOL, "false", 0, "merge stream outputs as nbclient's option"},
    JUPYTER_REMOTE_KEYS,
    {NULL, 0, NULL, 0, NULL},
};

json_t *jupyter_options_from_config(const json_t *config)
{
    json_t *o = json_object();
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)config, key, v) {
        const struct opt_def *d = find_def(key);
        if (d && d->kind == OPT_SECONDS && json_is_integer(v))
            json_object_set_new(o, key, json_real((double)json_integer_value(v) / 1000.0));
        else if (d)
            json_object_set(o, key, v);
    }
    return o;
}
