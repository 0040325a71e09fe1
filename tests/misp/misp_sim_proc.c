/* See misp_sim_proc.h. */
#include "misp_sim_proc.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "http_client.h"

extern char **environ;

static const char *env_or(const char *name, const char *fallback)
{
    const char *v = getenv(name);
    return v != NULL && v[0] != '\0' ? v : fallback;
}

void misp_sim_start(struct misp_sim *s, int extra)
{
    char script[1024], n[16];
    snprintf(script, sizeof(script), "%s/tests/sim/misp_sim.py", env_or("NBSOAR_SOURCE_ROOT", "."));
    snprintf(n, sizeof(n), "%d", extra);
    const char *python = env_or("PYTHON", "/usr/bin/python3");
    char *argv[] = {(char *)python, script, "--extra", n, "--key", MISP_SIM_KEY, "--port", "0", NULL};
    int out[2];
    cr_assert_eq(pipe(out), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    int rc = posix_spawn(&s->pid, python, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    close(out[1]);
    cr_assert_eq(rc, 0, "cannot start %s: %s", python, strerror(rc));
    FILE *f = fdopen(out[0], "r");
    cr_assert_not_null(f);
    char line[32] = "";
    cr_assert_not_null(fgets(line, sizeof(line), f), "the MISP simulator printed no port");
    fclose(f);
    s->port = atoi(line);
    cr_assert_gt(s->port, 0, "bad port line from the simulator: %s", line);
    snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d/", s->port);
}

void misp_sim_stop(struct misp_sim *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
}

json_t *misp_sim_hook(const struct misp_sim *s, const char *what, const char *body_json)
{
    char url[256], err[512];
    snprintf(url, sizeof(url), "%s__sim/%s", s->url, what);
    json_t *body = body_json != NULL ? json_loads(body_json, 0, NULL) : NULL;
    cr_assert(body_json == NULL || body != NULL, "bad hook body %s", body_json);
    struct nbsoar_http_endpoint ep = {.max_retries = -1};
    struct nbsoar_http_request req = {.method = body ? "POST" : "GET", .url = url, .json = body};
    struct nbsoar_http_response resp;
    int rc = http_request(&ep, &req, &resp, err, sizeof(err));
    json_decref(body);
    cr_assert_eq(rc, NBSOAR_OK, "simulator hook %s: %s", what, err);
    cr_assert_eq(resp.status, 200, "simulator hook %s: HTTP %ld", what, resp.status);
    json_t *out = resp.json;
    resp.json = NULL;
    http_response_free(&resp);
    return out;
}

json_t *misp_sim_state(const struct misp_sim *s)
{
    return misp_sim_hook(s, "state", NULL);
}

void misp_sim_fault(const struct misp_sim *s, const char *mode, int count)
{
    char body[128];
    snprintf(body, sizeof(body), "{\"mode\": \"%s\", \"count\": %d}", mode, count);
    json_decref(misp_sim_hook(s, "fault", body));
}

json_t *misp_sim_event(const json_t *state, const char *id_or_uuid)
{
    size_t i;
    json_t *ev;
    json_array_foreach(json_object_get(state, "events"), i, ev) {
        const char *id = json_string_value(json_object_get(ev, "id"));
        const char *uuid = json_string_value(json_object_get(ev, "uuid"));
        if ((id && !strcmp(id, id_or_uuid)) || (uuid && !strcmp(uuid, id_or_uuid)))
            return ev;
    }
    return NULL;
}

int misp_sim_requests(const json_t *state, const char *method, const char *path_prefix)
{
    int n = 0;
    size_t i;
    json_t *r;
    json_array_foreach(json_object_get(state, "requests"), i, r) {
        const char *m = json_string_value(json_object_get(r, "method"));
        const char *p = json_string_value(json_object_get(r, "path"));
        if (m && p && !strcmp(m, method) && !strncmp(p, path_prefix, strlen(path_prefix)))
            n++;
    }
    return n;
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

struct fake_host *misp_host_new(void)
{
    cr_assert_eq(http_global_init(), 0);
    http_set_backoff(1, 5, 1000);
    struct fake_host *fh = fake_host_new("misp-test");
    fh->host.http = host_http;
    fh->host.http_response_free = host_http_free;
    return fh;
}

const struct nbsoar_plugin *misp_plugin(void)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/misp/misp.so", env_or("NBSOAR_BUILD_ROOT", "."));
    const struct nbsoar_plugin *p = fake_host_load_plugin("misp", path);
    cr_assert_not_null(p, "cannot load %s", path);
    return p;
}

int misp_plugin_init(const struct nbsoar_plugin *p, struct fake_host *fh,
                     const struct misp_sim *s, const char *overrides, void **state)
{
    json_t *conf = fake_host_config(p, overrides);
    cr_assert_not_null(conf);
    if (s != NULL && !strncmp(json_string_value(json_object_get(conf, "url")), "vault:", 6))
        json_object_set_new(conf, "url", json_string(s->url));
    if (!strncmp(json_string_value(json_object_get(conf, "key")), "vault:", 6))
        json_object_set_new(conf, "key", json_string(MISP_SIM_KEY));
    if (!strncmp(json_string_value(json_object_get(conf, "verifycert")), "vault:", 6))
        json_object_set_new(conf, "verifycert", json_string("true"));
    *state = NULL;
    int rc = p->init(&fh->host, conf, state);
    json_decref(conf);
    return rc;
}
