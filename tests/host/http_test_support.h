/* Helpers of the HTTP client tests (criterion): the loopback server
 * tests/support/http_test_server.py, a self-signed certificate, timing. */
#ifndef NBSOAR_HTTP_TEST_SUPPORT_H
#define NBSOAR_HTTP_TEST_SUPPORT_H

#include <sys/types.h>
#include "http_client.h"

extern pid_t server_pids[2]; /* [0] plain HTTP, [1] TLS */
extern char tls_dir[64];     /* cert.pem and key.pem once make_certificate() ran */

/* Suite init and fini: no proxy variables, fast backoff; stop servers. */
void http_test_setup(void);
void http_test_teardown(void);

/* Starts the server (TLS with tls_dir's certificate when tls) and returns its port. */
int start_server(int tls);
void stop_server(int tls);
/* A self-signed certificate for IP 127.0.0.1 (not localhost) in tls_dir. */
void make_certificate(void);

double now_s(void);

struct call {
    int rc;
    struct nbsoar_http_response resp;
    char err[2048];
    double elapsed;
};

/* One request with an empty body or JSON; times it. */
void call(struct call *c, const struct nbsoar_http_endpoint *ep, const char *method,
          const char *url, const json_t *json);
/* "http://127.0.0.1:PORT" + path.  OWNED: free(). */
char *url(int port, const char *path);
/* How many requests the server saw under `name`. */
int server_count(int port, const char *name);

#endif
