/* See sim_proc.h. */
#include "sim_proc.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "http_client.h"
#include "py_server.h"

void sim_proc_start(struct sim *s, const char *script, const char *const *args)
{
    const char *argv[32] = {"--port", "0"};
    size_t n = 2;
    for (size_t i = 0; args != NULL && args[i] != NULL && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    s->pid = py_server_start(script, argv, &s->port);
    snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", s->port);
}

void sim_proc_start_tls(struct sim *s, const char *script, const char *cn,
                        const char *const *args)
{
    py_server_certificate(s->tls_dir, sizeof(s->tls_dir), cn);
    char cert[128], key[128];
    snprintf(cert, sizeof(cert), "%s/cert.pem", s->tls_dir);
    snprintf(key, sizeof(key), "%s/key.pem", s->tls_dir);
    const char *argv[32] = {"--cert", cert, "--key", key};
    size_t n = 4;
    for (size_t i = 0; args != NULL && args[i] != NULL && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    sim_proc_start(s, script, argv);
    snprintf(s->url, sizeof(s->url), "https://127.0.0.1:%d", s->port);
}

void sim_stop(struct sim *s)
{
    py_server_stop(s->pid);
    s->pid = 0;
    if (s->tls_dir[0] != '\0') {
        char path[128];
        snprintf(path, sizeof(path), "%s/cert.pem", s->tls_dir);
        unlink(path);
        snprintf(path, sizeof(path), "%s/key.pem", s->tls_dir);
        unlink(path);
        rmdir(s->tls_dir);
        s->tls_dir[0] = '\0';
    }
}

static json_t *sim_call(const struct sim *s, const char *method, const char *path, json_t *body)
{
    char url[256], err[512], ca[128];
    snprintf(url, sizeof(url), "%s%s", s->url, path);
    snprintf(ca, sizeof(ca), "%s/cert.pem", s->tls_dir);
    struct nbsoar_http_endpoint ep = {.max_retries = -1,
                                      .ca_file = s->tls_dir[0] != '\0' ? ca : NULL};
    struct nbsoar_http_request req = {.method = method, .url = url, .json = body};
    struct nbsoar_http_response resp;
    int rc = http_request(&ep, &req, &resp, err, sizeof(err));
    cr_assert_eq(rc, NBSOAR_OK, "simulator hook %s: %s", path, err);
    cr_assert_eq(resp.status, 200, "simulator hook %s: HTTP %ld", path, resp.status);
    json_t *out = resp.json;
    resp.json = NULL;
    http_response_free(&resp);
    return out;
}

json_t *sim_state(const struct sim *s)
{
    return sim_call(s, "GET", "/__sim/state", NULL);
}

json_t *sim_hook(const struct sim *s, const char *hook, const char *body_json)
{
    char path[128];
    snprintf(path, sizeof(path), "/__sim/%s", hook);
    json_t *body = json_loads(body_json != NULL ? body_json : "{}", 0, NULL);
    cr_assert_not_null(body, "bad hook body %s", body_json);
    json_t *out = sim_call(s, "POST", path, body);
    json_decref(body);
    return out;
}

static int host_http(const struct nbsoar_host *h, const struct nbsoar_http_endpoint *ep,
                     const struct nbsoar_http_request *req, struct nbsoar_http_response *resp,
                     char *err, size_t errlen)
{
    (void)h;
    return http_request(ep, req, resp, err, errlen);
}

static void host_http_free(struct nbsoar_http_response *resp)
{
    http_response_free(resp);
}

struct fake_host *sim_host_new(const char *name)
{
    cr_assert_eq(http_global_init(), 0);
    http_set_backoff(1, 5, 1000);
    struct fake_host *fh = fake_host_new(name);
    fh->host.http = host_http;
    fh->host.http_response_free = host_http_free;
    return fh;
}

const struct nbsoar_plugin *sim_plugin(const char *name)
{
    const char *root = getenv("NBSOAR_BUILD_ROOT");
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s/%s.so", root != NULL && root[0] != '\0' ? root : ".",
             name, name);
    const struct nbsoar_plugin *p = fake_host_load_plugin(name, path);
    cr_assert_not_null(p, "cannot load %s", path);
    return p;
}
