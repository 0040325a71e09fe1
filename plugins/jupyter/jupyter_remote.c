/* Remote settings and the per-run remote session (see the header). */
#include "jupyter_remote.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "hub.h"

static char *dup_key(const json_t *config, const char *key)
{
    const char *v = json_string_value(json_object_get(config, key));
    return v && *v ? strdup(v) : NULL;
}

static long ms_key(const json_t *config, const char *key, long dflt)
{
    json_t *v = json_object_get(config, key);
    return json_is_integer(v) && json_integer_value(v) > 0 ? (long)json_integer_value(v) : dflt;
}

/* The token's text from the file, white space trimmed.  OWNED. */
static char *read_token_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "token_file %s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    char buf[4096];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    char *s = buf;
    while (*s && isspace((unsigned char)*s))
        s++;
    size_t len = strlen(s);
    while (len > 0 && isspace((unsigned char)s[len - 1]))
        s[--len] = '\0';
    char *tok = len ? strdup(s) : NULL;
    if (!len)
        snprintf(err, errlen, "token_file %s is empty", path);
    explicit_bzero(buf, sizeof buf);
    return tok;
}

int jupyter_remote_init(const struct nbsoar_host *h, const json_t *config, struct jupyter_remote *r, char *err,
                        size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->connect_timeout_ms = ms_key(config, "connect_timeout", 10000);
    r->request_timeout_ms = ms_key(config, "request_timeout", 60000);
    r->hub_start_timeout_ms = ms_key(config, "hub_start_timeout", 120000);
    r->no_verify_tls = json_is_false(json_object_get(config, "verify_tls"));
    r->stop_server_after = json_is_true(json_object_get(config, "stop_server_after"));
    r->ca_file = dup_key(config, "ca_file");
    r->hub_user = dup_key(config, "hub_user");
    r->hub_server = dup_key(config, "hub_server");
    if (!r->hub_server)
        r->hub_server = strdup("nbsoar");
    const char *proto = json_string_value(json_object_get(config, "ws_protocol"));
    if (!proto || strcmp(proto, "auto") == 0) {
        r->protocol = KERNEL_WS_AUTO;
    } else if (strcmp(proto, "v1") == 0) {
        r->protocol = KERNEL_WS_V1;
    } else if (strcmp(proto, "legacy") == 0) {
        r->protocol = KERNEL_WS_LEGACY;
    } else {
        snprintf(err, errlen, "ws_protocol must be auto, v1 or legacy, not '%s'", proto);
        return -1;
    }
    const char *server = json_string_value(json_object_get(config, "server"));
    if (!server || !*server)
        return 0;
    if (strncmp(server, "http://", 7) != 0 && strncmp(server, "https://", 8) != 0) {
        snprintf(err, errlen, "server must be an http:// or https:// URL, not '%s'", server);
        return -1;
    }
    if (strchr(server, '?') || strchr(strstr(server, "://") + 3, '@')) {
        snprintf(err, errlen, "server URL must carry no query or credentials: give the token with token, "
                              "token_file or $JUPYTER_TOKEN");
        return -1;
    }
    size_t n = strlen(server);
    if (asprintf(&r->server, "%s%s", server, server[n - 1] == '/' ? "" : "/") < 0) {
        r->server = NULL;
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char *token = dup_key(config, "token");
    const char *file = json_string_value(json_object_get(config, "token_file"));
    if (!token && file && *file && !(token = read_token_file(file, err, errlen)))
        return -1;
    if (!token && getenv("JUPYTER_TOKEN") && *getenv("JUPYTER_TOKEN"))
        token = strdup(getenv("JUPYTER_TOKEN"));
    if (token) {
        h->secret_add(h, token);
        if (asprintf(&r->auth_header, "Authorization: token %s", token) < 0)
            r->auth_header = NULL;
        explicit_bzero(token, strlen(token));
        free(token);
        if (!r->auth_header) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        h->secret_add(h, r->auth_header);
    }
    return 0;
}

void jupyter_remote_free(struct jupyter_remote *r)
{
    if (r->auth_header) {
        explicit_bzero(r->auth_header, strlen(r->auth_header));
        free(r->auth_header);
    }
    free(r->server);
    free(r->hub_user);
    free(r->hub_server);
    free(r->ca_file);
    memset(r, 0, sizeof *r);
}

void jupyter_remote_endpoint(const struct jupyter_remote *r, const char *url, struct nbsoar_http_endpoint *ep)
{
    memset(ep, 0, sizeof *ep);
    ep->no_verify_tls = r->no_verify_tls;
    ep->ca_file = r->ca_file;
    ep->connect_timeout_ms = r->connect_timeout_ms;
    ep->timeout_ms = r->request_timeout_ms;
    if (!r->server || !url)
        return;
    /* the same scheme://host[:port] as the server, nothing else */
    const char *p = strstr(r->server, "://") + 3;
    size_t n = (size_t)(p - r->server) + strcspn(p, "/");
    if (strncasecmp(url, r->server, n) == 0 && strchr("/?#", url[n]))
        ep->auth_header = r->auth_header;
}

int remote_run_begin(const struct nbsoar_host *h, const struct jupyter_remote *r, struct remote_run *run, char *err,
                     size_t errlen)
{
    memset(run, 0, sizeof *run);
    if (!r->server)
        return 0;
    if (!r->hub_user) {
        run->base = strdup(r->server);
        return run->base ? 0 : -1;
    }
    struct nbsoar_http_endpoint ep;
    jupyter_remote_endpoint(r, r->server, &ep);
    return hub_server_start(h, &ep, r->server, r->hub_user, r->hub_server, r->hub_start_timeout_ms, &run->base,
                            &run->hub_started, err, errlen);
}

void remote_run_end(const struct nbsoar_host *h, const struct jupyter_remote *r, struct remote_run *run)
{
    if (run->hub_started && r->stop_server_after) {
        struct nbsoar_http_endpoint ep;
        jupyter_remote_endpoint(r, r->server, &ep);
        char err[768];
        if (hub_server_stop(h, &ep, r->server, r->hub_user, r->hub_server, err, sizeof err) != 0)
            h->log(h, NBSOAR_LOG_WARN, "%s", err);
    }
    free(run->base);
    memset(run, 0, sizeof *run);
}

struct kernel *remote_kernel_start(const struct nbsoar_host *h, const struct jupyter_remote *r,
                                   const struct remote_run *run, const struct kernel_start_opts *ko, char *err,
                                   size_t errlen)
{
    struct nbsoar_http_endpoint ep;
    jupyter_remote_endpoint(r, run->base, &ep);
    struct kernel_remote_opts o = {
        .host = h,
        .ep = &ep,
        .base_url = run->base,
        .kernel_name = ko->kernel_name,
        .language = ko->language,
        .path = ko->cwd, /* a server-side contents path there */
        .start_timeout_ms = ko->start_timeout_ms,
        .protocol = r->protocol,
    };
    return kernel_remote_start(&o, err, errlen);
}
