/* Parsing and checking the executor's job->options object. */
#include "jupyter_options.h"

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

int jupyter_options_parse(const json_t *options, struct jupyter_options *o, char *err, size_t errlen)
{
    memset(o, 0, sizeof *o);
    o->request_save_on_cell_execute = 1;
    o->start_timeout_ms = 60000;
    o->interrupt_grace_ms = 5000;
    o->iopub_timeout_ms = 4000;
    o->autosave_cell_every_ms = 30000;
    if (!options || json_is_null(options))
        return 0;
    if (!json_is_object(options)) {
        snprintf(err, errlen, "executor options must be a JSON object");
        return -1;
    }
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)options, key, v) {
        if (strcmp(key, "inject_paths") == 0) {
            if (!json_is_boolean(v)) {
                snprintf(err, errlen, "option '%s' must be true or false", key);
                return -1;
            }
            if (json_is_true(v))
                o->inject_input_path = o->inject_output_path = 1;
            continue;
        }
        const struct opt_def *d = find_def(key);
        if (!d) {
            snprintf(err, errlen, "unknown executor option '%s'", key);
            return -1;
        }
        char *field = (char *)o + d->offset;
        switch (d->kind) {
        case OPT_STRING:
            if (json_is_null(v))
                break;
            if (!json_is_string(v)) {
                snprintf(err, errlen, "option '%s' must be a string", key);
                return -1;
            }
            *(const char **)field = json_string_value(v);
            break;
        case OPT_BOOL:
            if (!json_is_boolean(v)) {
                snprintf(err, errlen, "option '%s' must be true or false", key);
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
                snprintf(err, errlen, "option '%s' must be a number of seconds >= 0", key);
                return -1;
            }
            *(long *)field = (long)llround(s * 1000.0);
            break;
        }
        }
    }
    return 0;
}
