/* See thehive_sim_proc.h. */
#include "thehive_sim_proc.h"

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

void sim_start(struct sim *s, int api_version)
{
    char script[1024], seed[1024], version[8];
    const char *src = env_or("NBSOAR_SOURCE_ROOT", ".");
    snprintf(script, sizeof(script), "%s/tests/sim/thehive_sim.py", src);
    snprintf(seed, sizeof(seed), "%s/tests/sim/thehive_seed.json", src);
    snprintf(version, sizeof(version), "%d", api_version);
    const char *python = env_or("PYTHON", "/usr/bin/python3");
    char *argv[] = {(char *)python, script, "--seed", seed, "--port", "0", "--api-version",
                    version, NULL};
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
    cr_assert_not_null(fgets(line, sizeof(line), f), "the simulator printed no port");
    fclose(f);
    s->port = atoi(line);
    cr_assert_gt(s->port, 0, "bad port line from the simulator: %s", line);
    snprintf(s->url, sizeof(s->url), "http://127.0.0.1:%d", s->port);
}

void sim_stop(struct sim *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
}

static json_t *sim_call(const struct sim *s, const char *method, const char *path, json_t *body)
{
    char url[256], err[512];
    snprintf(url, sizeof(url), "%s%s", s->url, path);
    struct nbsoar_http_endpoint ep = {.max_retries = -1};
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

void sim_fail(const struct sim *s, const char *mode, int count, const char *match)
{
    json_t *body = json_pack("{s:s,s:i,s:s}", "mode", mode, "count", count, "match",
                             match != NULL ? match : "");
    json_decref(sim_call(s, "POST", "/__sim/fail", body));
    json_decref(body);
}

int sim_count(const json_t *state, const char *plural, const char *field, const char *value)
{
    int n = 0;
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(state, plural), i, o) {
        const char *v = json_string_value(json_object_get(o, field));
        if (v != NULL && strcmp(v, value) == 0)
            n++;
    }
    return n;
}

json_t *sim_find(const json_t *state, const char *plural, const char *id)
{
    size_t i;
    json_t *o;
    json_array_foreach(json_object_get(state, plural), i, o) {
        const char *v = json_string_value(json_object_get(o, "_id"));
        if (v != NULL && strcmp(v, id) == 0)
            return o;
    }
    return NULL;
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

struct fake_host *sim_host_new(void)
{
    cr_assert_eq(http_global_init(), 0);
    http_set_backoff(1, 5, 1000);
    struct fake_host *fh = fake_host_new("thehive-test");
    fh->host.http = host_http;
    fh->host.http_response_free = host_http_free;
    return fh;
}

const struct nbsoar_plugin *sim_plugin(void)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/thehive/thehive.so", env_or("NBSOAR_BUILD_ROOT", "."));
    const struct nbsoar_plugin *p = fake_host_load_plugin("thehive", path);
    cr_assert_not_null(p, "cannot load %s", path);
    return p;
}

void *sim_plugin_init(const struct nbsoar_plugin *p, struct fake_host *fh, const struct sim *s,
                      int api_version, const char *overrides)
{
    json_t *conf = fake_host_config(p, overrides);
    cr_assert_not_null(conf, "bad overrides %s", overrides ? overrides : "");
    if (json_object_get(conf, "url") == NULL)
        json_object_set_new(conf, "url", json_string(s->url));
    if (json_object_get(conf, "api_key") == NULL)
        json_object_set_new(conf, "api_key", json_string(SIM_KEY));
    if (json_object_get(conf, "organisation") == NULL)
        json_object_set_new(conf, "organisation", json_string("soc"));
    json_object_set_new(conf, "api_version", json_integer(api_version));
    void *state = NULL;
    int rc = p->init(&fh->host, conf, &state);
    json_decref(conf);
    cr_assert_eq(rc, NBSOAR_OK, "init failed: %s", fake_host_log(fh));
    return state;
}
