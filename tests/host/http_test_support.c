/* Helpers of the HTTP client tests: the loopback test server, a
 * self-signed certificate, timing.  See http_test_support.h. */
#include "http_test_support.h"

#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "py_server.h"
#include "redact.h"

pid_t server_pids[2];
char tls_dir[64];

int start_server(int tls)
{
    char cert[128], key[128];
    snprintf(cert, sizeof(cert), "%s/cert.pem", tls_dir);
    snprintf(key, sizeof(key), "%s/key.pem", tls_dir);
    const char *const tls_args[] = {"--cert", cert, "--key", key, NULL};
    int port = 0;
    server_pids[tls] = py_server_start("tests/support/http_test_server.py",
                                       tls ? tls_args : NULL, &port);
    return port;
}

void make_certificate(void)
{
    py_server_certificate(tls_dir, sizeof(tls_dir), "localhost");
}

void http_test_setup(void)
{
    /* The machine's proxy settings must not divert loopback requests. */
    const char *vars[] = {"http_proxy", "https_proxy", "HTTPS_PROXY", "all_proxy",
                          "ALL_PROXY", "no_proxy", "NO_PROXY", NULL};
    for (const char **v = vars; *v; v++)
        unsetenv(*v);
    http_global_init();
    http_set_backoff(5, 20, 5000);
}

void http_test_teardown(void)
{
    stop_server(0);
    stop_server(1);
    if (tls_dir[0] != '\0') {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf %s", tls_dir);
        cr_assert_eq(system(cmd), 0);
    }
    http_global_cleanup();
    redact_clear();
}

double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void call(struct call *c, const struct nbsoar_http_endpoint *ep, const char *method,
          const char *url, const json_t *json)
{
    struct nbsoar_http_request req = {.method = method, .url = url, .json = json};
    double t0 = now_s();
    c->rc = http_request(ep, &req, &c->resp, c->err, sizeof(c->err));
    c->elapsed = now_s() - t0;
}

char *url(int port, const char *path)
{
    char *u = NULL;
    cr_assert_neq(asprintf(&u, "http://127.0.0.1:%d%s", port, path), -1);
    return u;
}

int server_count(int port, const char *name)
{
    char path[128];
    snprintf(path, sizeof(path), "/count?name=%s", name);
    char *u = url(port, path);
    struct nbsoar_http_endpoint ep = {.max_retries = -1};
    struct call c;
    call(&c, &ep, "GET", u, NULL);
    cr_assert_eq(c.rc, NBSOAR_OK, "%s", c.err);
    int n = (int)json_integer_value(json_object_get(c.resp.json, "count"));
    http_response_free(&c.resp);
    free(u);
    return n;
}

void stop_server(int tls)
{
    py_server_stop(server_pids[tls]);
    server_pids[tls] = 0;
}
