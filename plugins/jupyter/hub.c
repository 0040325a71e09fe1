/* JupyterHub named servers (see hub.h). */
#include "hub.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POLL_FIRST_MS 100
#define POLL_MAX_MS 1000

static const char scopes_hint[] =
    "the service's role needs the scopes servers (start, stop, read the user model) and "
    "access:servers (use the server's API), and the Hub c.JupyterHub.allow_named_servers = True";

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Percent-encodes everything but RFC 3986 unreserved characters. */
static void escape(const char *in, char *out, size_t outlen)
{
    size_t o = 0;
    for (; *in && o + 4 < outlen; in++) {
        unsigned char ch = (unsigned char)*in;
        if (isalnum(ch) || strchr("-._~", ch))
            out[o++] = (char)ch;
        else
            o += (size_t)snprintf(out + o, outlen - o, "%%%02X", ch);
    }
    out[o] = '\0';
}

static long call(const struct nbsoar_host *h, const struct nbsoar_http_endpoint *ep, const char *method,
                 const char *url, json_t **json, char *err, size_t errlen)
{
    struct nbsoar_http_request req = {.method = method, .url = url};
    struct nbsoar_http_response resp = {0};
    err[0] = '\0';
    int rc = h->http(h, ep, &req, &resp, err, errlen);
    long status = rc == NBSOAR_OK || resp.status ? resp.status : 0;
    if (json) {
        *json = resp.json;
        resp.json = NULL;
    }
    h->http_response_free(&resp);
    return status;
}

static void explain(long status, const char *what, const char *user, const char *server, char *err, size_t errlen)
{
    char detail[600];
    snprintf(detail, sizeof detail, "%s", err);
    if (status == 403 || status == 401)
        snprintf(err, errlen, "JupyterHub refused %s for %s/%s (HTTP %ld): %s", what, user, server, status,
                 scopes_hint);
    else if (status == 400 && strstr(detail, "Named servers are not enabled"))
        snprintf(err, errlen,
                 "JupyterHub: Named servers are not enabled; set c.JupyterHub.allow_named_servers = True "
                 "in the Hub's configuration");
    else if (status == 404)
        snprintf(err, errlen, "JupyterHub: %s: no user %s (HTTP 404)", what, user);
    else
        snprintf(err, errlen, "JupyterHub: %s for %s/%s failed: %s", what, user, server,
                 detail[0] ? detail : "no answer");
}

/* The server's entry in the user model, or NULL when it is not running. */
static json_t *server_entry(json_t *model, const char *server)
{
    return json_object_get(json_object_get(model, "servers"), server);
}

/* scheme://host[:port] of url, into out. */
static int origin_of(const char *url, char *out, size_t outlen)
{
    const char *p = strstr(url, "://");
    if (!p)
        return -1;
    p += 3;
    size_t n = (size_t)(p - url) + strcspn(p, "/?#");
    if (n >= outlen)
        return -1;
    memcpy(out, url, n);
    out[n] = '\0';
    return 0;
}

int hub_server_start(const struct nbsoar_host *h, const struct nbsoar_http_endpoint *ep, const char *hub_url,
                     const char *user, const char *server, long timeout_ms, char **base_out, int *started,
                     char *err, size_t errlen)
{
    *base_out = NULL;
    *started = 0;
    char u[256], s[256], user_url[2048], server_url[2400], origin[512];
    escape(user, u, sizeof u);
    escape(server, s, sizeof s);
    snprintf(user_url, sizeof user_url, "%shub/api/users/%s", hub_url, u);
    snprintf(server_url, sizeof server_url, "%s/servers/%s", user_url, s);
    if (origin_of(hub_url, origin, sizeof origin) != 0) {
        snprintf(err, errlen, "JupyterHub URL %s has no scheme://host", hub_url);
        return -1;
    }
    int64_t deadline = mono_ms() + (timeout_ms > 0 ? timeout_ms : 120000);
    long wait = POLL_FIRST_MS;
    int posted = 0;
    for (;;) {
        json_t *model = NULL;
        long st = call(h, ep, "GET", user_url, &model, err, errlen);
        if (st != 200) {
            json_decref(model);
            explain(st, "reading the user", user, server, err, errlen);
            return -1;
        }
        json_t *entry = server_entry(model, server);
        const char *url = json_string_value(json_object_get(entry, "url"));
        if (entry && json_is_true(json_object_get(entry, "ready")) && url) {
            int rc = asprintf(base_out, "%s%s%s", origin, url[0] == '/' ? "" : "/", url);
            json_decref(model);
            if (rc < 0) {
                *base_out = NULL;
                snprintf(err, errlen, "out of memory");
                return -1;
            }
            return 0;
        }
        const char *pending = json_string_value(json_object_get(entry, "pending"));
        int stopping = pending && strcmp(pending, "stop") == 0; /* pending lives in model */
        json_decref(model);
        if (!entry && !posted) {
            st = call(h, ep, "POST", server_url, NULL, err, errlen);
            if (st != 201 && st != 202 && !(st == 400 && strstr(err, "already"))) {
                explain(st, "starting the named server", user, server, err, errlen);
                return -1;
            }
            posted = 1;
            *started = 1;
            h->log(h, NBSOAR_LOG_INFO, "JupyterHub: starting named server %s/%s (HTTP %ld)", user, server, st);
            continue;
        }
        if (stopping && posted) {
            snprintf(err, errlen, "JupyterHub: named server %s/%s is stopping instead of starting", user, server);
            return -1;
        }
        if (!entry && posted && mono_ms() > deadline) {
            snprintf(err, errlen, "JupyterHub: named server %s/%s disappeared while starting (spawn failed?)",
                     user, server);
            return -1;
        }
        if (mono_ms() + wait > deadline) {
            snprintf(err, errlen, "JupyterHub: named server %s/%s was not ready within %ld ms", user, server,
                     timeout_ms);
            return -1;
        }
        usleep((useconds_t)wait * 1000);
        wait = wait * 2 > POLL_MAX_MS ? POLL_MAX_MS : wait * 2;
    }
}

int hub_server_stop(const struct nbsoar_host *h, const struct nbsoar_http_endpoint *ep, const char *hub_url,
                    const char *user, const char *server, char *err, size_t errlen)
{
    char u[256], s[256], url[2300];
    escape(user, u, sizeof u);
    escape(server, s, sizeof s);
    snprintf(url, sizeof url, "%shub/api/users/%s/servers/%s", hub_url, u, s);
    long st = call(h, ep, "DELETE", url, NULL, err, errlen);
    if (st == 204 || st == 202)
        return 0;
    if (st == 403 || st == 401) {
        snprintf(err, errlen,
                 "JupyterHub refused to stop %s/%s (HTTP %ld): the service's role needs the scope "
                 "delete:servers (or servers)",
                 user, server, st);
        return -1;
    }
    explain(st, "stopping the named server", user, server, err, errlen);
    return -1;
}
