/* Real servers for the remote tests: Debian's jupyter-server (HTTP or
 * HTTPS with a throw-away self-signed certificate) and JupyterHub 3.0, on
 * free loopback ports, with throw-away tokens, each in its own process
 * group so a test can kill it with its kernels. */
#ifndef NBSOAR_TEST_REMOTE_SUPPORT_H
#define NBSOAR_TEST_REMOTE_SUPPORT_H

#include <stddef.h>
#include <sys/types.h>

struct rserver {
    pid_t pid;            /* process group leader */
    int port;
    char dir[512];        /* its working directory (root_dir, logs) */
    char url[128];        /* http(s)://127.0.0.1:PORT/ */
    char token[64];
    char log[600];        /* its stdout+stderr */
};

int rs_free_port(void);
/* A fresh temporary directory (OWNED by the caller's buffer). */
void rs_mkdtemp(char *out, size_t len);
/* jupyter-server with root_dir dir/root; tls: make dir/cert.pem and
 * dir/key.pem (CN and SAN 127.0.0.1) first.  Returns 0 once it answers. */
int rs_start_jupyter(struct rserver *s, const char *dir, int tls);
/* JupyterHub with DummyAuthenticator, SimpleLocalProcessSpawner, named
 * servers, user alice, a service "nbsoar" (token s->token) whose role has
 * servers + access:servers + read:servers, and a service "weak" (token
 * s->token + "-weak") without any role. */
int rs_start_hub(struct rserver *s, const char *dir);
/* For a whole test binary (Criterion's PRE_ALL hook): starts the server
 * (start is rs_start_jupyter's tls or -1 for rs_start_hub) in a fresh
 * directory and tells the tests, which run in other processes, where it is
 * through PREFIX_URL, PREFIX_TOKEN, PREFIX_DIR and PREFIX_LOG. */
void rs_fixture_start(struct rserver *s, int start, const char *prefix);
/* The POST_ALL side: stops it and removes its directory. */
void rs_fixture_stop(struct rserver *s);
/* SIGTERM, then SIGKILL to the group; waits for the leader. */
void rs_stop(struct rserver *s);
void rs_kill_now(struct rserver *s);

/* Runs a shell command (printf format); its exit status, or -1. */
int rs_system(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char *rs_slurp(const char *path);                  /* OWNED; "" when unreadable */
int rs_file_contains(const char *path, const char *needle);
const char *rs_bin(void);                          /* $NBSOAR_BIN */
void rs_source(char *out, size_t len, const char *rel); /* $NBSOAR_SOURCE_ROOT/rel */

#endif
