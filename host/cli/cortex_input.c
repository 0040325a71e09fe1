/* input.json as Cortex writes it (JobRunnerSrv): data, dataType, tlp, pap,
 * parameters and config (the descriptor's config block merged with the
 * worker's configuration items and the proxy settings).  Every field is
 * checked with a message naming it; only what the chosen path needs is
 * required (the Python responder insists on the HTTP tokens even for local
 * notebooks). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cortex.h"
#include "redact.h"

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "a list";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

static int bad(char *err, size_t errlen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static int bad(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* A string field; absent, null and "" give NULL unless required. */
static int get_string(const json_t *obj, const char *prefix, const char *key, int required, const char **out,
                      char *err, size_t errlen)
{
    const json_t *v = json_object_get(obj, key);
    *out = NULL;
    if (v && json_is_string(v)) {
        if (json_string_length(v) > 0)
            *out = json_string_value(v);
    } else if (v && !json_is_null(v)) {
        return bad(err, errlen, "%s%s must be a string, not %s", prefix, key, type_name(v));
    }
    if (required && !*out)
        return bad(err, errlen, "%s%s is missing: the job cannot run without it", prefix, key);
    return 0;
}

/* A boolean field with its descriptor default; Cortex stores unset as null. */
static int get_bool(const json_t *obj, const char *key, int def, int *out, char *err, size_t errlen)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v))
        *out = def;
    else if (json_is_boolean(v))
        *out = json_is_true(v);
    else
        return bad(err, errlen, "config.%s must be true or false, not %s", key, type_name(v));
    return 0;
}

static int get_level(const json_t *obj, const char *prefix, const char *key, long def, long *out, char *err,
                     size_t errlen)
{
    const json_t *v = json_object_get(obj, key);
    if (!v || json_is_null(v)) {
        *out = def;
        return 0;
    }
    if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > 4)
        return bad(err, errlen, "%s%s must be an integer from 0 to 4, not %s", prefix, key, type_name(v));
    *out = (long)json_integer_value(v);
    return 0;
}

static int check_paths(struct cortex_job *job, const json_t *config, char *err, size_t errlen)
{
    const json_t *paths = json_object_get(config, "input_paths");
    if (json_is_string(paths))
        return bad(err, errlen, "config.input_paths must be a list of notebook paths (it is a multi item), "
                                "not a string");
    if (!paths || json_is_null(paths) || (json_is_array(paths) && json_array_size(paths) == 0))
        return bad(err, errlen, "config.input_paths is missing: name at least one notebook");
    if (!json_is_array(paths))
        return bad(err, errlen, "config.input_paths must be a list of strings, not %s", type_name(paths));
    size_t i;
    const json_t *p;
    json_array_foreach(paths, i, p) {
        char why[256];
        if (!json_is_string(p) || json_string_length(p) == 0)
            return bad(err, errlen, "config.input_paths[%zu] must be a non-empty string, not %s", i,
                       type_name(p));
        if (cortex_path_ok(json_string_value(p), why, sizeof why) != 0)
            return bad(err, errlen, "config.input_paths[%zu]: %s", i, why);
    }
    job->input_paths = paths;
    return 0;
}

/* The HTTP handler needs a token, and a user on JupyterHub. */
static int check_http(const char *side, const char *host, const char *token, int is_hub, const char *user,
                      char *err, size_t errlen)
{
    if (strncmp(host, "http://", 7) != 0 && strncmp(host, "https://", 8) != 0)
        return 0;
    if (!token)
        return bad(err, errlen, "config.%s_hostname is an HTTP address, so config.%s_handler_http_service_api_token "
                                "is needed", side, side);
    if (is_hub && !user)
        return bad(err, errlen, "config.%s_hostname is a JupyterHub, so config.any_handler_http_user is needed "
                                "(the user whose server runs the notebooks)", side);
    return 0;
}

static int check_location(const char *key, const char *v, char *err, size_t errlen)
{
    static const char *const others[] = {"s3://", "abs://", "adl://", "gs://", "hdfs://", "file://", NULL};
    for (size_t i = 0; others[i]; i++) {
        if (strncmp(v, others[i], strlen(others[i])) == 0)
            return bad(err, errlen, "config.%s: %s locations are not supported; use a local folder or a "
                                    "Jupyter server's http(s):// address", key, others[i]);
    }
    return 0;
}

static int check_config(struct cortex_job *job, const json_t *config, char *err, size_t errlen)
{
    const char *p = "config.";
    if (get_string(config, p, "input_hostname", 1, &job->input_hostname, err, errlen) ||
        get_string(config, p, "output_hostname", 1, &job->output_hostname, err, errlen) ||
        get_string(config, p, "output_folder", 0, &job->output_folder, err, errlen) ||
        get_string(config, p, "input_handler_http_service_api_token", 0, &job->input_token, err, errlen) ||
        get_string(config, p, "output_handler_http_service_api_token", 0, &job->output_token, err, errlen) ||
        get_string(config, p, "any_handler_http_user", 0, &job->hub_user, err, errlen))
        return -1;
    if (!job->output_folder)
        job->output_folder = "/";
    if (get_bool(config, "input_handler_http_is_jupyterhub", 1, &job->input_is_hub, err, errlen) ||
        get_bool(config, "output_handler_http_is_jupyterhub", 1, &job->output_is_hub, err, errlen) ||
        get_bool(config, "input_handler_http_execute_remotely", 0, &job->execute_remotely, err, errlen) ||
        check_paths(job, config, err, errlen) ||
        check_location("input_hostname", job->input_hostname, err, errlen) ||
        check_location("output_hostname", job->output_hostname, err, errlen) ||
        check_http("input", job->input_hostname, job->input_token, job->input_is_hub, job->hub_user, err,
                   errlen) ||
        check_http("output", job->output_hostname, job->output_token, job->output_is_hub, job->hub_user, err,
                   errlen))
        return -1;
    const json_t *proxy = json_object_get(config, "proxy");
    if (proxy && !json_is_null(proxy)) {
        if (!json_is_object(proxy))
            return bad(err, errlen, "config.proxy must be an object, not %s", type_name(proxy));
        if (get_string(proxy, "config.proxy.", "http", 0, &job->proxy_http, err, errlen) ||
            get_string(proxy, "config.proxy.", "https", 0, &job->proxy_https, err, errlen))
            return -1;
    }
    return 0;
}

/* cortexutils' ceilings: refused when the check is on and the level is above. */
static int check_ceilings(const struct cortex_job *job, const json_t *config, char *err, size_t errlen)
{
    int check_tlp, check_pap;
    long max_tlp, max_pap;
    if (get_bool(config, "check_tlp", 0, &check_tlp, err, errlen) ||
        get_bool(config, "check_pap", 0, &check_pap, err, errlen) ||
        get_level(config, "config.", "max_tlp", 2, &max_tlp, err, errlen) ||
        get_level(config, "config.", "max_pap", 2, &max_pap, err, errlen))
        return -1;
    if (check_tlp && job->tlp > max_tlp)
        return bad(err, errlen, "TLP is higher than allowed (the job's TLP is %ld, config.max_tlp is %ld)", job->tlp,
                   max_tlp);
    if (check_pap && job->pap > max_pap)
        return bad(err, errlen, "PAP is higher than allowed (the job's PAP is %ld, config.max_pap is %ld)", job->pap,
                   max_pap);
    return 0;
}

static int check_data(struct cortex_job *job, char *err, size_t errlen)
{
    const json_t *data = json_object_get(job->doc, "data");
    if ((!data || json_is_null(data)) && job->analyzer && json_object_get(job->doc, "file"))
        return bad(err, errlen, "file observables are not supported: the analyzer takes observables whose "
                                "value is in \"data\"");
    if (!data || json_is_null(data))
        return bad(err, errlen, "data is missing: the TheHive object (or observable) the job is about");
    if (job->analyzer && !json_is_string(data))
        return bad(err, errlen, "data must be the observable's value, a string, not %s", type_name(data));
    if (!job->analyzer && !json_is_object(data))
        return bad(err, errlen, "data must be the TheHive object, a JSON object, not %s", type_name(data));
    job->data = data;
    return 0;
}

static int check_parameters(struct cortex_job *job, char *err, size_t errlen)
{
    const json_t *params = json_object_get(job->doc, "parameters");
    if (!params || json_is_null(params))
        return 0;
    if (!json_is_object(params))
        return bad(err, errlen, "parameters must be an object, not %s", type_name(params));
    return get_string(params, "parameters.", "organisation", 0, &job->organisation, err, errlen) ||
                   get_string(params, "parameters.", "user", 0, &job->user, err, errlen)
               ? -1
               : 0;
}

/* Every string config value whose key names a token, a key, a password or a
 * secret, registered before any message could quote it. */
static void register_tokens(const json_t *config)
{
    static const char *const words[] = {"token", "key", "password", "secret", NULL};
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)config, k, v) {
        for (size_t i = 0; json_is_string(v) && words[i]; i++) {
            if (strcasestr(k, words[i])) {
                redact_add(json_string_value(v));
                break;
            }
        }
    }
}

int cortex_job_parse(struct cortex_job *job, const char *text, size_t len, const char *where, int analyzer,
                     char *err, size_t errlen)
{
    memset(job, 0, sizeof *job);
    job->analyzer = analyzer;
    json_error_t je;
    job->doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!job->doc)
        return bad(err, errlen, "%s is not JSON: line %d, column %d: %s", where, je.line, je.column, je.text);
    if (!json_is_object(job->doc))
        return bad(err, errlen, "%s must hold a JSON object, not %s", where, type_name(job->doc));
    const json_t *config = json_object_get(job->doc, "config");
    if (!config || json_is_null(config))
        return bad(err, errlen, "config is missing: the worker's configuration items");
    if (!json_is_object(config))
        return bad(err, errlen, "config must be an object, not %s", type_name(config));
    register_tokens(config);
    /* cortexutils' order: dataType and the ceilings before the worker's own items */
    if (get_string(job->doc, "", "dataType", 1, &job->data_type, err, errlen) ||
        get_level(job->doc, "", "tlp", 2, &job->tlp, err, errlen) ||
        get_level(job->doc, "", "pap", 2, &job->pap, err, errlen) || check_ceilings(job, config, err, errlen) ||
        check_config(job, config, err, errlen) || check_data(job, err, errlen) ||
        check_parameters(job, err, errlen))
        return -1;
    return 0;
}

void cortex_job_free(struct cortex_job *job)
{
    json_decref(job->doc);
    memset(job, 0, sizeof *job);
}
