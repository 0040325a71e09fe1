/* Starting and stopping the real servers the remote tests run against. */
#include "remote_support.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PYTHON "/usr/bin/python3"

int rs_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t len = sizeof a;
    if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 || getsockname(fd, (struct sockaddr *)&a, &len)) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    close(fd);
    return ntohs(a.sin_port);
}

void rs_mkdtemp(char *out, size_t len)
{
    const char *tmp = getenv("TMPDIR");
    snprintf(out, len, "%s/nbsoar-remote-XXXXXX", tmp && *tmp ? tmp : "/tmp");
    if (!mkdtemp(out))
        out[0] = '\0';
}

int rs_system(const char *fmt, ...)
{
    char *cmd;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&cmd, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    int st = system(cmd);
    free(cmd);
    return st == -1 ? -1 : WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

char *rs_slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return strdup("");
    char *buf = NULL;
    size_t cap = 0, n = 0, got;
    do {
        if (n + 4096 >= cap) {
            cap = cap ? cap * 2 : 8192;
            buf = realloc(buf, cap);
        }
        got = fread(buf + n, 1, cap - n - 1, f);
        n += got;
    } while (got > 0);
    fclose(f);
    buf[n] = '\0';
    return buf;
}

int rs_file_contains(const char *path, const char *needle)
{
    char *t = rs_slurp(path);
    int found = strstr(t, needle) != NULL;
    free(t);
    return found;
}

const char *rs_bin(void)
{
    const char *b = getenv("NBSOAR_BIN");
    return b ? b : "nbsoar";
}

void rs_source(char *out, size_t len, const char *rel)
{
    const char *root = getenv("NBSOAR_SOURCE_ROOT");
    snprintf(out, len, "%s/%s", root ? root : ".", rel);
}

static void make_token(char *out, size_t len)
{
    unsigned char r[12];
    FILE *f = fopen("/dev/urandom", "rb");
    if (!f || fread(r, 1, sizeof r, f) != sizeof r) {
        for (size_t i = 0; i < sizeof r; i++)
            r[i] = (unsigned char)rand();
    }
    if (f)
        fclose(f);
    size_t o = (size_t)snprintf(out, len, "tk");
    for (size_t i = 0; i < sizeof r && o + 3 < len; i++)
        o += (size_t)snprintf(out + o, len - o, "%02x", r[i]);
}

static int64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Starts argv in its own process group with output to s->log. */
static int spawn(struct rserver *s, char *const argv[], char *const extra_env[])
{
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        setpgid(0, 0);
        /* a test runner that dies without its POST_ALL hook still takes
         * the server down (it then stops its own kernels and spawns) */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        int fd = open(s->log, O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (fd >= 0) {
            dup2(fd, 1);
            dup2(fd, 2);
            close(fd);
        }
        int null = open("/dev/null", O_RDONLY);
        if (null >= 0)
            dup2(null, 0);
        if (chdir(s->dir) != 0)
            _exit(126);
        for (size_t i = 0; extra_env && extra_env[i]; i++)
            putenv(extra_env[i]);
        execv(argv[0], argv);
        _exit(127);
    }
    setpgid(pid, pid);
    s->pid = pid;
    return 0;
}

/* Waits until GET path on the port answers with any HTTP status (TLS: a
 * handshake is enough). */
static int wait_ready(struct rserver *s, const char *probe_cmd, long timeout_ms)
{
    int64_t deadline = mono_ms() + timeout_ms;
    while (mono_ms() < deadline) {
        int st;
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            s->pid = 0;
            return -1;
        }
        if (rs_system("%s >/dev/null 2>&1", probe_cmd) == 0)
            return 0;
        usleep(100 * 1000);
    }
    return -1;
}

int rs_start_jupyter(struct rserver *s, const char *dir, int tls)
{
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    snprintf(s->log, sizeof s->log, "%s/server.log", dir);
    make_token(s->token, sizeof s->token);
    s->port = rs_free_port();
    if (rs_system("mkdir -p '%s/root'", dir) != 0)
        return -1;
    if (tls && rs_system("openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=127.0.0.1 "
                         "-addext subjectAltName=IP:127.0.0.1,DNS:localhost -keyout '%s/key.pem' "
                         "-out '%s/cert.pem' >/dev/null 2>&1",
                         dir, dir) != 0)
        return -1;
    snprintf(s->url, sizeof s->url, "%s://127.0.0.1:%d/", tls ? "https" : "http", s->port);
    char token[100], port[40], root[600], cert[600], key[600];
    snprintf(token, sizeof token, "--ServerApp.token=%s", s->token);
    snprintf(port, sizeof port, "--port=%d", s->port);
    snprintf(root, sizeof root, "--ServerApp.root_dir=%s/root", dir);
    snprintf(cert, sizeof cert, "--ServerApp.certfile=%s/cert.pem", dir);
    snprintf(key, sizeof key, "--ServerApp.keyfile=%s/key.pem", dir);
    char *argv[] = {PYTHON, "-m", "jupyter_server", token, port, "--ip=127.0.0.1", "--no-browser",
                    "--allow-root", root, "--ServerApp.port_retries=0", "--log-level=DEBUG",
                    tls ? cert : NULL, tls ? key : NULL, NULL};
    static char pydevd[] = "PYDEVD_DISABLE_FILE_VALIDATION=1";
    char *env[] = {pydevd, NULL};
    if (spawn(s, argv, env) != 0)
        return -1;
    char probe[300];
    snprintf(probe, sizeof probe, "curl -sk -o /dev/null %sapi/status", s->url);
    if (wait_ready(s, probe, 30000) != 0) {
        rs_stop(s);
        return -1;
    }
    return 0;
}

int rs_start_hub(struct rserver *s, const char *dir)
{
    memset(s, 0, sizeof *s);
    snprintf(s->dir, sizeof s->dir, "%s", dir);
    snprintf(s->log, sizeof s->log, "%s/hub.log", dir);
    make_token(s->token, sizeof s->token);
    s->port = rs_free_port();
    int hub_port = rs_free_port(), api_port = rs_free_port();
    snprintf(s->url, sizeof s->url, "http://127.0.0.1:%d/", s->port);
    char conf[700];
    snprintf(conf, sizeof conf, "%s/jupyterhub_config.py", dir);
    FILE *f = fopen(conf, "w");
    if (!f)
        return -1;
    fprintf(f,
            "c.JupyterHub.ip = '127.0.0.1'\n"
            "c.JupyterHub.port = %d\n"
            "c.JupyterHub.hub_ip = '127.0.0.1'\n"
            "c.JupyterHub.hub_port = %d\n"
            "c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:%d'\n"
            "c.ConfigurableHTTPProxy.pid_file = '%s/proxy.pid'\n"
            "c.JupyterHub.authenticator_class = 'dummy'\n"
            "c.JupyterHub.spawner_class = 'simple'\n"
            "c.SimpleLocalProcessSpawner.home_dir_template = '%s/home/{username}'\n"
            "c.Spawner.args = ['--allow-root']\n"
            "c.Spawner.environment = {'PYDEVD_DISABLE_FILE_VALIDATION': '1'}\n"
            "c.JupyterHub.allow_named_servers = True\n"
            "c.JupyterHub.db_url = 'sqlite:///%s/hub.sqlite'\n"
            "c.JupyterHub.cookie_secret_file = '%s/cookie_secret'\n"
            "c.Authenticator.allowed_users = {'alice'}\n"
            "c.JupyterHub.services = [{'name': 'nbsoar', 'api_token': '%s'}, "
            "{'name': 'weak', 'api_token': '%s-weak'}]\n"
            "c.JupyterHub.load_roles = [{'name': 'nbsoar-runner', "
            "'scopes': ['servers', 'access:servers', 'read:servers'], 'services': ['nbsoar']}]\n",
            s->port, hub_port, api_port, dir, dir, dir, dir, s->token, s->token);
    fclose(f);
    if (rs_system("mkdir -p '%s/home/alice'", dir) != 0)
        return -1;
    char cfg[800];
    snprintf(cfg, sizeof cfg, "--config=%s", conf);
    char *argv[] = {PYTHON, "/usr/bin/jupyterhub", cfg, NULL};
    /* Debian's configurable-http-proxy finds its modules only there */
    static char node_path[] = "NODE_PATH=/usr/share/nodejs";
    static char path[] = "PATH=/usr/bin:/bin:/usr/sbin:/sbin";
    char *env[] = {node_path, path, NULL};
    if (spawn(s, argv, env) != 0)
        return -1;
    char probe[300];
    snprintf(probe, sizeof probe, "curl -sf -o /dev/null %shub/api/", s->url);
    if (wait_ready(s, probe, 40000) != 0) {
        rs_stop(s);
        return -1;
    }
    return 0;
}

static void stop_group(struct rserver *s, int first_sig)
{
    if (s->pid <= 0)
        return;
    kill(-s->pid, first_sig);
    for (int i = 0; i < 50; i++) {
        int st;
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            kill(-s->pid, SIGKILL); /* kernels and proxies left in the group */
            s->pid = 0;
            return;
        }
        usleep(100 * 1000);
    }
    kill(-s->pid, SIGKILL);
    waitpid(s->pid, NULL, 0);
    s->pid = 0;
}

void rs_stop(struct rserver *s)
{
    stop_group(s, SIGTERM);
}

void rs_kill_now(struct rserver *s)
{
    stop_group(s, SIGKILL);
}

void rs_fixture_start(struct rserver *s, int start, const char *prefix)
{
    char dir[512], name[64];
    rs_mkdtemp(dir, sizeof dir);
    if ((start < 0 ? rs_start_hub(s, dir) : rs_start_jupyter(s, dir, start)) != 0) {
        fprintf(stderr, "%s did not start; see %s\n", start < 0 ? "JupyterHub" : "jupyter-server", s->log);
        return;
    }
    const char *const what[4] = {"URL", "TOKEN", "DIR", "LOG"};
    const char *const value[4] = {s->url, s->token, s->dir, s->log};
    for (int i = 0; i < 4; i++) {
        snprintf(name, sizeof name, "%s_%s", prefix, what[i]);
        setenv(name, value[i], 1);
    }
}

void rs_fixture_stop(struct rserver *s)
{
    rs_stop(s);
    if (s->dir[0])
        rs_system("rm -rf '%s'", s->dir);
}
