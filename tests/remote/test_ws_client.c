/* The host's WebSocket client (ws_client.c) against a small RFC 6455
 * server written for the test (ws_test_server.py): the auth header in the
 * handshake, 403, subprotocol choice, fragmented and large messages,
 * keepalive pings, a close from the server, timeouts, a refused connect. */
#include <criterion/criterion.h>
#include <criterion/hooks.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "nbsoar/plugin.h"
#include "remote_support.h"
#include "ws_client.h"

#define TOKEN "ws-test-token-1234"

static pid_t server_pid;

ReportHook(PRE_ALL)(struct criterion_test_set *set)
{
    (void)set;
    char dir[512], portfile[600], script[600];
    rs_mkdtemp(dir, sizeof dir);
    snprintf(portfile, sizeof portfile, "%s/port", dir);
    rs_source(script, sizeof script, "tests/remote/ws_test_server.py");
    server_pid = fork();
    if (server_pid == 0) {
        execl("/usr/bin/python3", "python3", script, portfile, TOKEN, (char *)NULL);
        _exit(127);
    }
    for (int i = 0; i < 100 && access(portfile, R_OK) != 0; i++)
        usleep(50 * 1000);
    char *port = rs_slurp(portfile);
    char url[100];
    snprintf(url, sizeof url, "ws://127.0.0.1:%s/socket", port);
    setenv("WS_URL", url, 1);
    free(port);
    rs_system("rm -rf '%s'", dir);
}

ReportHook(POST_ALL)(struct criterion_global_stats *stats)
{
    (void)stats;
    if (server_pid > 0) {
        kill(server_pid, SIGKILL);
        waitpid(server_pid, NULL, 0);
    }
}

TestSuite(ws, .timeout = 30);

static const struct nbsoar_http_endpoint good = {.auth_header = "Authorization: token " TOKEN};

static struct nbsoar_ws *open_ws(const char *const *protocols, char *chosen, size_t len)
{
    char err[512] = "";
    struct nbsoar_ws *ws = NULL;
    int rc = ws_client_connect(&good, getenv("WS_URL"), protocols, &ws, chosen, len, err, sizeof err);
    cr_assert_eq(rc, NBSOAR_OK, "connect: %s", err);
    return ws;
}

static char *recv_text(struct nbsoar_ws *ws, int timeout_ms, int *binary)
{
    void *data = NULL;
    size_t len = 0;
    char err[512] = "";
    int rc = ws_client_recv(ws, timeout_ms, &data, &len, binary, err, sizeof err);
    cr_assert_eq(rc, 1, "a message arrived: %s", err);
    return data;
}

Test(ws, the_auth_header_is_a_handshake_header_and_the_subprotocol_is_chosen)
{
    const char *offer[] = {"other", "v1.test", NULL};
    char chosen[64];
    struct nbsoar_ws *ws = open_ws(offer, chosen, sizeof chosen);
    cr_assert_str_eq(chosen, "v1.test");
    ws_client_close(ws);
    ws = open_ws(NULL, chosen, sizeof chosen);
    cr_assert_str_eq(chosen, "", "no subprotocol offered, none chosen");
    ws_client_close(ws);
}

Test(ws, a_refused_token_is_named_as_http_403)
{
    struct nbsoar_http_endpoint bad = {.auth_header = "Authorization: token wrong-one"};
    char err[512] = "";
    struct nbsoar_ws *ws = NULL;
    int rc = ws_client_connect(&bad, getenv("WS_URL"), NULL, &ws, NULL, 0, err, sizeof err);
    cr_assert_eq(rc, NBSOAR_ERROR);
    cr_assert_null(ws);
    cr_assert(strstr(err, "HTTP 403 Forbidden"), "%s", err);
    cr_assert_null(strstr(err, "wrong-one"), "the token is not quoted: %s", err);
}

Test(ws, fragments_are_reassembled_into_one_message)
{
    struct nbsoar_ws *ws = open_ws(NULL, NULL, 0);
    char err[256];
    const char *m = "frag:7:a message the server sends in seven fragments";
    cr_assert_eq(ws_client_send(ws, m, strlen(m), 0, err, sizeof err), NBSOAR_OK, "%s", err);
    int binary = -1;
    char *got = recv_text(ws, 5000, &binary);
    cr_assert_str_eq(got, "a message the server sends in seven fragments");
    cr_assert_eq(binary, 0);
    free(got);
    ws_client_close(ws);
}

Test(ws, a_large_binary_message_round_trips)
{
    struct nbsoar_ws *ws = open_ws(NULL, NULL, 0);
    size_t n = 3 << 20;
    unsigned char *big = malloc(n);
    for (size_t i = 0; i < n; i++)
        big[i] = (unsigned char)(i * 7 + 3);
    char err[256];
    cr_assert_eq(ws_client_send(ws, big, n, 1, err, sizeof err), NBSOAR_OK, "%s", err);
    void *data;
    size_t len;
    int binary;
    cr_assert_eq(ws_client_recv(ws, 10000, &data, &len, &binary, err, sizeof err), 1, "%s", err);
    cr_assert_eq(len, n);
    cr_assert_eq(binary, 1);
    cr_assert_eq(memcmp(data, big, n), 0);
    free(data);
    free(big);
    ws_client_close(ws);
}

Test(ws, idle_connections_are_pinged)
{
    ws_client_set_keepalive(1, 3);
    struct nbsoar_ws *ws = open_ws(NULL, NULL, 0);
    void *data = NULL;
    size_t len;
    char err[256];
    cr_assert_eq(ws_client_recv(ws, 2500, &data, &len, NULL, err, sizeof err), 0, "nothing but pongs came");
    cr_assert_eq(ws_client_send(ws, "pings?", 6, 0, err, sizeof err), NBSOAR_OK);
    char *got = recv_text(ws, 5000, NULL);
    cr_assert_geq(atoi(got), 1, "the server saw a ping: %s", got);
    free(got);
    ws_client_close(ws);
    ws_client_set_keepalive(0, 0);
}

Test(ws, a_receive_times_out_and_a_server_close_is_reported)
{
    struct nbsoar_ws *ws = open_ws(NULL, NULL, 0);
    void *data = NULL;
    size_t len;
    char err[256] = "";
    struct timespec a, b;
    clock_gettime(CLOCK_MONOTONIC, &a);
    cr_assert_eq(ws_client_recv(ws, 300, &data, &len, NULL, err, sizeof err), 0);
    clock_gettime(CLOCK_MONOTONIC, &b);
    double s = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
    cr_assert(s >= 0.29 && s < 1.5, "waited %.3f s for a 300 ms timeout", s);
    cr_assert_eq(ws_client_send(ws, "close", 5, 0, err, sizeof err), NBSOAR_OK);
    cr_assert_eq(ws_client_recv(ws, 5000, &data, &len, NULL, err, sizeof err), -1);
    cr_assert(strstr(err, "closed by the server (code 4000)"), "%s", err);
    cr_assert_eq(ws_client_send(ws, "x", 1, 0, err, sizeof err), NBSOAR_ERROR, "sending after the close fails");
    ws_client_close(ws);
}

Test(ws, a_refused_connection_is_retryable_and_bad_urls_are_refused)
{
    char url[64], err[512] = "";
    snprintf(url, sizeof url, "ws://127.0.0.1:%d/x", rs_free_port());
    struct nbsoar_ws *ws = NULL;
    cr_assert_eq(ws_client_connect(&good, url, NULL, &ws, NULL, 0, err, sizeof err), NBSOAR_RETRY);
    cr_assert(strstr(err, "cannot connect"), "%s", err);
    cr_assert_eq(ws_client_connect(&good, "ftp://host/x", NULL, &ws, NULL, 0, err, sizeof err), NBSOAR_ERROR);
    cr_assert_eq(ws_client_connect(&good, "ws://user:pw@host/x", NULL, &ws, NULL, 0, err, sizeof err), NBSOAR_ERROR,
                 "credentials in the URL are refused");
}
