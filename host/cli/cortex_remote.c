/* Notebooks on a Jupyter Server or JupyterHub (http(s):// in
 * input_hostname): the jupyter executor's remote settings and the contents
 * API locations, as the Python responder reached them:
 *   Jupyter Server  {hostname}api/contents/{path}
 *   JupyterHub      {hub}/user/{user}/cortex_job/api/contents/{path}
 * The executor holds one server (and token) per instance, and runs the
 * kernels there once it has one; so the supported shape is: input on a
 * server with input_handler_http_execute_remotely, output on the same
 * server or in a local folder.  Anything else is refused with a message
 * that says what to change, never run half-way. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cortex.h"

#define HUB_SERVER "cortex_job" /* the Python responder's named server */

int cortex_is_http(const char *location)
{
    return strncmp(location, "http://", 7) == 0 || strncmp(location, "https://", 8) == 0;
}

/* Length of scheme://host[:port]. */
static size_t origin_len(const char *url)
{
    const char *p = strstr(url, "://") + 3;
    return (size_t)(p - url) + strcspn(p, "/?#");
}

static int same_origin(const char *a, const char *b)
{
    size_t n = origin_len(a);
    return n == origin_len(b) && strncasecmp(a, b, n) == 0;
}

char *cortex_contents_root(const char *hostname, int is_hub, const char *user)
{
    size_t n = strlen(hostname);
    while (n > 0 && hostname[n - 1] == '/')
        n--;
    char *out = NULL;
    int rc = is_hub ? asprintf(&out, "%.*s/user/%s/%s/api/contents", (int)n, hostname, user, HUB_SERVER)
                    : asprintf(&out, "%.*s/api/contents", (int)n, hostname);
    return rc < 0 ? NULL : out;
}

int cortex_remote_check(const struct cortex_job *job, int executor_has_remote, char *err, size_t errlen)
{
    int in_http = cortex_is_http(job->input_hostname), out_http = cortex_is_http(job->output_hostname);
    if (!in_http && !out_http)
        return 0;
    if (!executor_has_remote) {
        snprintf(err, errlen, "notebooks on a Jupyter server (http:// or https:// in config.input_hostname or "
                              "config.output_hostname) are not available in this build; use local folders");
        return -1;
    }
    if (!in_http) {
        snprintf(err, errlen, "config.output_hostname is a Jupyter server but config.input_hostname is a local "
                              "folder: writing to a server is available only for notebooks that run there; use a "
                              "local output folder, or put the notebooks on the server");
        return -1;
    }
    if (!job->execute_remotely) {
        snprintf(err, errlen, "config.input_handler_http_execute_remotely is false: running a Jupyter server's "
                              "notebooks on local kernels is not available in this build; set it to true (each "
                              "notebook then runs on a fresh kernel of that server) or use local folders");
        return -1;
    }
    if (out_http && (!same_origin(job->input_hostname, job->output_hostname) ||
                     job->input_is_hub != job->output_is_hub)) {
        snprintf(err, errlen, "config.output_hostname must be the same Jupyter server as config.input_hostname "
                              "(or a local folder): one job talks to one server");
        return -1;
    }
    return 0;
}

/* "key = value" for the executor section; value copied. */
static int add(struct cortex_remote *r, const char *key, const char *value)
{
    if (r->n >= sizeof r->entries / sizeof r->entries[0])
        return -1;
    r->entries[r->n].key = strdup(key);
    r->entries[r->n].value = strdup(value);
    r->entries[r->n].line = 0;
    return r->entries[r->n++].value ? 0 : -1;
}

int cortex_remote_settings(const struct cortex_job *job, struct cortex_remote *r)
{
    memset(r, 0, sizeof *r);
    if (!cortex_is_http(job->input_hostname))
        return 0;
    if (add(r, "plugin", "jupyter") || add(r, "server", job->input_hostname))
        return -1;
    if (job->input_is_hub && (add(r, "hub_user", job->hub_user) || add(r, "hub_server", HUB_SERVER)))
        return -1;
    /* Cortex points REQUESTS_CA_BUNDLE at the job's cacerts */
    const char *ca = getenv("REQUESTS_CA_BUNDLE");
    if (ca && *ca && add(r, "ca_file", ca))
        return -1;
    return 0;
}

void cortex_remote_free(struct cortex_remote *r)
{
    for (size_t i = 0; i < r->n; i++) {
        free(r->entries[i].key);
        free(r->entries[i].value);
    }
    memset(r, 0, sizeof *r);
}
