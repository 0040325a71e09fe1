/* See splunk_sim_proc.h. */
#include "splunk_sim_proc.h"

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

void sim_start(struct sim *s, const char *const *extra_args)
{
    char script[1024];
    snprintf(script, sizeof(script), "%s/tests/sim/splunk_sim.py", env_or("NBSOAR_SOURCE_ROOT", "."));
    const char *python = env_or("PYTHON", "/usr/bin/python3");
    const char *argv[32] = {python, script, "--port", "0"};
    size_t n = 4;
    for (size_t i = 0; extra_args != NULL && extra_args[i] != NULL && n < 31; i++)
        argv[n++] = extra_args[i];
    argv[n] = NULL;
    int out[2];
    cr_assert_eq(pipe(out), 0);
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
    posix_spawn_file_actions_addclose(&fa, out[0]);
    int rc = posix_spawn(&s->pid, python, &fa, NULL, (char *const *)argv, environ);
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

void sim_start_tls(struct sim *s)
{
    snprintf(s->tls_dir, sizeof(s->tls_dir), "/tmp/nbsoar-splunk-XXXXXX");
    cr_assert_not_null(mkdtemp(s->tls_dir));
    char cmd[512], cert[128], key[128];
    snprintf(cert, sizeof(cert), "%s/cert.pem", s->tls_dir);
    snprintf(key, sizeof(key), "%s/key.pem", s->tls_dir);
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
             "-days 1 -subj /CN=splunk-sim -addext subjectAltName=IP:127.0.0.1 "
             "-keyout %s -out %s 2>/dev/null", key, cert);
    cr_assert_eq(system(cmd), 0, "openssl made no certificate");
    const char *const args[] = {"--notables", "50", "--cert", cert, "--key", key, NULL};
    sim_start(s, args);
    snprintf(s->url, sizeof(s->url), "https://127.0.0.1:%d", s->port);
}

void sim_stop(struct sim *s)
{
    if (s->pid > 0) {
        kill(s->pid, SIGTERM);
        waitpid(s->pid, NULL, 0);
        s->pid = 0;
    }
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

struct fake_host *sim_host_new(void)
{
    cr_assert_eq(http_global_init(), 0);
    http_set_backoff(1, 5, 1000);
    struct fake_host *fh = fake_host_new("splunk-test");
    fh->host.http = host_http;
    fh->host.http_response_free = host_http_free;
    return fh;
}

const struct nbsoar_plugin *sim_plugin(void)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/splunk/splunk.so", env_or("NBSOAR_BUILD_ROOT", "."));
    const struct nbsoar_plugin *p = fake_host_load_plugin("splunk", path);
    cr_assert_not_null(p, "cannot load %s", path);
    return p;
}

int sim_plugin_init(const struct nbsoar_plugin *p, struct fake_host *fh, const struct sim *s,
                    const char *overrides, void **state)
{
    json_t *conf = fake_host_config(p, overrides);
    cr_assert_not_null(conf, "bad overrides %s", overrides ? overrides : "");
    if (json_object_get(conf, "url") == NULL)
        json_object_set_new(conf, "url", json_string(s->url));
    if (json_object_get(conf, "username") == NULL && json_object_get(conf, "token") == NULL)
        json_object_set_new(conf, "token", json_string(SIM_TOKEN));
    *state = NULL;
    int rc = p->init(&fh->host, conf, state);
    json_decref(conf);
    return rc;
}
