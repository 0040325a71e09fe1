/*
 * stdout: an out-of-tree example plugin — a sink that prints every
 * operation it receives as one JSON line on standard output, prefixed with
 * the job id.  It includes only <nbsoar/plugin.h> and exports only
 * nbsoar_plugin_entry (built with -fvisibility=hidden; see the Makefile).
 *
 *   [sink print]
 *   plugin = stdout
 *   prefix = ops>
 */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nbsoar/plugin.h>

struct stdout_sink {
    const struct nbsoar_host *host;
    char *prefix;
};

static const struct nbsoar_config_key stdout_keys[] = {
    {"prefix", NBSOAR_KEY_STRING, "", 0, "text printed before each line"},
    {NULL, 0, NULL, 0, NULL},
};

static int stdout_init(const struct nbsoar_host *host, const json_t *config, void **state)
{
    struct stdout_sink *s = calloc(1, sizeof(*s));
    if (s == NULL)
        return NBSOAR_ERROR;
    *state = s; /* shutdown() frees it, even when init fails */
    s->host = host;
    const char *prefix = json_string_value(json_object_get(config, "prefix"));
    s->prefix = strdup(prefix != NULL ? prefix : "");
    return s->prefix != NULL ? NBSOAR_OK : NBSOAR_ERROR;
}

static int stdout_apply(void *state, const json_t *operation, const struct nbsoar_job *job, json_t **result)
{
    struct stdout_sink *s = state;
    char *text = json_dumps(operation, JSON_COMPACT | JSON_SORT_KEYS);
    if (text == NULL) {
        *result = json_pack("{s:s}", "error", "cannot format the operation");
        return NBSOAR_ERROR;
    }
    /* Operations come from notebooks: never print a registered secret. */
    char *clean = s->host->redact(s->host, text);
    free(text);
    if (clean == NULL) {
        *result = json_pack("{s:s}", "error", "out of memory");
        return NBSOAR_RETRY;
    }
    printf("%s%s %s\n", s->prefix, job != NULL && job->id != NULL ? job->id : "-", clean);
    fflush(stdout);
    free(clean);
    *result = json_pack("{s:s}", "printed", "stdout");
    return NBSOAR_OK;
}

static void stdout_shutdown(void *state)
{
    struct stdout_sink *s = state;
    if (s == NULL)
        return;
    free(s->prefix);
    free(s);
}

static const char *const stdout_operations[] = {"*", NULL};

static const struct nbsoar_plugin stdout_plugin = {
    NBSOAR_PLUGIN_HEADER,
    .name = "stdout",
    .version = "1.0.0",
    .description = "example sink: prints each operation as a JSON line",
    .config = stdout_keys,
    .init = stdout_init,
    .apply = stdout_apply,
    .operations = stdout_operations,
    .shutdown = stdout_shutdown,
};

NBSOAR_EXPORT const struct nbsoar_plugin *nbsoar_plugin_entry(void)
{
    return &stdout_plugin;
}
