/* Connection file, spawn and end of a local kernel process. */
#include "kernel_proc.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>

#include "kernel_msg.h"

extern char **environ;

long long kernel_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Free loopback ports: bind all five at once (so they differ), read them
 * back, release them.  Another process may grab one before the kernel
 * binds it; the caller retries when the kernel dies early. */
static int pick_ports(int port[KPORT_COUNT], char *err, size_t errlen)
{
    int fds[KPORT_COUNT];
    int rc = 0;
    for (int i = 0; i < KPORT_COUNT; i++)
        fds[i] = -1;
    for (int i = 0; i < KPORT_COUNT && rc == 0; i++) {
        struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
        socklen_t alen = sizeof a;
        fds[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fds[i] < 0 || bind(fds[i], (struct sockaddr *)&a, sizeof a) != 0 ||
            getsockname(fds[i], (struct sockaddr *)&a, &alen) != 0) {
            snprintf(err, errlen, "cannot reserve a loopback port: %s", strerror(errno));
            rc = -1;
        } else {
            port[i] = ntohs(a.sin_port);
        }
    }
    for (int i = 0; i < KPORT_COUNT; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    return rc;
}

static int write_connection_file(struct kernel_proc *p, const char *kernel_name, char *err, size_t errlen)
{
    char id[37];
    kernel_uuid4(id);
    kernel_uuid4(p->key);
    if (asprintf(&p->conn_file, "%s/kernel-%s.json", p->dir, id) < 0) {
        p->conn_file = NULL;
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    json_t *cf = json_pack("{s:i, s:i, s:i, s:i, s:i, s:s, s:s, s:s, s:s, s:s}", "shell_port",
                           p->port[KPORT_SHELL], "iopub_port", p->port[KPORT_IOPUB], "stdin_port",
                           p->port[KPORT_STDIN], "control_port", p->port[KPORT_CONTROL], "hb_port",
                           p->port[KPORT_HB], "ip", "127.0.0.1", "transport", "tcp", "signature_scheme",
                           "hmac-sha256", "key", p->key, "kernel_name", kernel_name);
    char *text = cf ? json_dumps(cf, JSON_INDENT(1)) : NULL;
    json_decref(cf);
    int fd = text ? open(p->conn_file, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600) : -1;
    int ok = fd >= 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text);
    if (fd >= 0 && close(fd) != 0)
        ok = 0;
    free(text);
    if (!ok) {
        snprintf(err, errlen, "cannot write connection file %s: %s", p->conn_file, strerror(errno));
        return -1;
    }
    return 0;
}

/* A growable NULL-terminated array of OWNED strings. */
struct strv {
    char **v;
    size_t n, cap;
};

static int strv_push(struct strv *s, char *str)
{
    if (!str)
        return -1;
    if (s->n + 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64;
        char **grown = realloc(s->v, cap * sizeof *grown);
        if (!grown) {
            free(str);
            return -1;
        }
        s->v = grown;
        s->cap = cap;
    }
    s->v[s->n++] = str;
    s->v[s->n] = NULL;
    return 0;
}

static void strv_free(struct strv *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->v[i]);
    free(s->v);
}

/* Sets NAME=value in env, replacing an existing NAME. */
static int env_set(struct strv *env, char *entry)
{
    if (!entry)
        return -1;
    size_t nlen = strcspn(entry, "=");
    for (size_t i = 0; i < env->n; i++) {
        if (strncmp(env->v[i], entry, nlen) == 0 && env->v[i][nlen] == '=') {
            free(env->v[i]);
            env->v[i] = entry;
            return 0;
        }
    }
    return strv_push(env, entry);
}

static const char *env_get(const struct strv *env, const char *name, size_t nlen)
{
    for (size_t i = 0; i < env->n; i++)
        if (strncmp(env->v[i], name, nlen) == 0 && env->v[i][nlen] == '=')
            return env->v[i] + nlen + 1;
    return NULL;
}

/* Python's string.Template(v).safe_substitute(env): $$, $name, ${name};
 * unknown names stay as written.  Returns a new string (OWNED). */
static char *template_subst(const char *v, const struct strv *env)
{
    size_t cap = strlen(v) + 1, o = 0;
    char *out = malloc(cap);
    for (const char *p = v; out && *p;) {
        const char *val = NULL;
        size_t skip = 1;
        if (p[0] == '$' && p[1] == '$') {
            val = "$";
            skip = 2;
        } else if (p[0] == '$') {
            int braced = p[1] == '{';
            const char *s = p + 1 + braced;
            size_t n = 0;
            while (isalnum((unsigned char)s[n]) || s[n] == '_')
                n++;
            if (n > 0 && !isdigit((unsigned char)s[0]) && (!braced || s[n] == '}')) {
                val = env_get(env, s, n);
                if (val)
                    skip = 1 + (size_t)braced + n + (size_t)braced;
            }
        }
        const char *piece = val ? val : p;
        size_t plen = val ? strlen(val) : 1;
        if (o + plen + 1 > cap) {
            cap = (o + plen + 1) * 2;
            char *grown = realloc(out, cap);
            if (!grown) {
                free(out);
                return NULL;
            }
            out = grown;
        }
        memcpy(out + o, piece, plen);
        o += plen;
        p += skip;
    }
    if (out)
        out[o] = '\0';
    return out;
}

static int build_env(struct strv *env, const struct kernelspec *spec, const char *const *extra_env)
{
    for (char **e = environ; e && *e; e++)
        if (strv_push(env, strdup(*e)) != 0)
            return -1;
    if (spec->env) {
        const char *k;
        json_t *v;
        json_object_foreach(spec->env, k, v) {
            char *val = template_subst(json_string_value(v), env);
            char *entry = NULL;
            if (!val || asprintf(&entry, "%s=%s", k, val) < 0)
                entry = NULL;
            free(val);
            if (env_set(env, entry) != 0)
                return -1;
        }
    }
    for (size_t i = 0; extra_env && extra_env[i]; i++)
        if (env_set(env, strdup(extra_env[i])) != 0)
            return -1;
    /* As jupyter_client: the kernel exits when we die; no PYTHONEXECUTABLE. */
    char *ppid = NULL;
    if (asprintf(&ppid, "JPY_PARENT_PID=%ld", (long)getpid()) < 0 || env_set(env, ppid) != 0)
        return -1;
    for (size_t i = 0; i < env->n; i++) {
        if (strncmp(env->v[i], "PYTHONEXECUTABLE=", 17) == 0) {
            free(env->v[i]);
            memmove(env->v + i, env->v + i + 1, (env->n - i) * sizeof *env->v);
            env->n--;
            break;
        }
    }
    return 0;
}

/* Replaces {name} for the names jupyter_client knows; others stay. */
static char *format_arg(const char *arg, const struct kernel_proc *p, const struct kernelspec *spec)
{
    const char *home = getenv("HOME");
    struct {
        const char *name, *value;
    } ns[] = {{"connection_file", p->conn_file}, {"resource_dir", spec->resource_dir}, {"prefix", "/usr"}};
    char *out = NULL;
    size_t olen = 0;
    FILE *f = open_memstream(&out, &olen);
    if (!f)
        return NULL;
    if (arg[0] == '~' && (arg[1] == '/' || arg[1] == '\0') && home) {
        fputs(home, f);
        arg++;
    }
    for (const char *s = arg; *s;) {
        int done = 0;
        for (size_t i = 0; *s == '{' && i < sizeof ns / sizeof ns[0] && !done; i++) {
            size_t n = strlen(ns[i].name);
            if (ns[i].value && strncmp(s + 1, ns[i].name, n) == 0 && s[1 + n] == '}') {
                fputs(ns[i].value, f);
                s += n + 2;
                done = 1;
            }
        }
        if (!done)
            fputc(*s++, f);
    }
    fclose(f);
    return out;
}

static int spawn(struct kernel_proc *p, const struct kernelspec *spec, const char *cwd,
                 const char *const *extra_env, char *err, size_t errlen)
{
    struct strv argv = {0}, env = {0};
    int rc = -1;
    for (size_t i = 0; spec->argv[i]; i++)
        if (strv_push(&argv, format_arg(spec->argv[i], p, spec)) != 0)
            goto done;
    if (build_env(&env, spec, extra_env) != 0)
        goto done;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    posix_spawn_file_actions_init(&fa);
    posix_spawnattr_init(&attr);
    /* Own session and process group: interrupts and kills reach the
     * kernel's children, and a terminal's ^C does not reach the kernel. */
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
    sigset_t none, all;
    sigemptyset(&none);
    sigfillset(&all);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setsigdefault(&attr, &all);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    if (cwd)
        posix_spawn_file_actions_addchdir_np(&fa, cwd);
    int e = posix_spawnp(&p->pid, argv.v[0], &fa, &attr, argv.v, env.v);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (e != 0) {
        p->pid = 0;
        if (cwd && e == ENOENT && access(cwd, X_OK) != 0)
            snprintf(err, errlen, "kernel %s: cannot change to directory %s: %s", spec->name, cwd, strerror(e));
        else
            snprintf(err, errlen, "kernel %s: cannot execute %s: %s", spec->name, argv.v[0], strerror(e));
        goto done;
    }
    rc = 0;
done:
    if (rc != 0 && err[0] == '\0')
        snprintf(err, errlen, "out of memory starting kernel %s", spec->name);
    strv_free(&argv);
    strv_free(&env);
    return rc;
}

static void remove_files(struct kernel_proc *p)
{
    if (p->conn_file)
        unlink(p->conn_file);
    if (p->dir)
        rmdir(p->dir);
    free(p->conn_file);
    free(p->dir);
    p->conn_file = NULL;
    p->dir = NULL;
}

int kernel_proc_start(struct kernel_proc *p, const struct kernelspec *spec, const char *cwd,
                      const char *const *extra_env, char *err, size_t errlen)
{
    memset(p, 0, sizeof *p);
    if (errlen)
        err[0] = '\0';
    const char *tmp = getenv("TMPDIR");
    if (asprintf(&p->dir, "%s/nbsoar-kernel-XXXXXX", tmp && *tmp ? tmp : "/tmp") < 0) {
        p->dir = NULL;
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    if (!mkdtemp(p->dir)) {
        snprintf(err, errlen, "cannot create a private directory %s: %s", p->dir, strerror(errno));
        free(p->dir);
        p->dir = NULL;
        return -1;
    }
    if (pick_ports(p->port, err, errlen) != 0 || write_connection_file(p, spec->name, err, errlen) != 0 ||
        spawn(p, spec, cwd, extra_env, err, errlen) != 0) {
        remove_files(p);
        return -1;
    }
    return 0;
}

int kernel_proc_alive(struct kernel_proc *p)
{
    if (p->pid <= 0 || p->exited)
        return 0;
    /* WNOWAIT: the zombie keeps the pid and group id reserved until
     * kernel_proc_stop has signalled the group, so no unrelated process
     * can be hit. */
    siginfo_t si;
    memset(&si, 0, sizeof si);
    int w = waitid(P_PID, (id_t)p->pid, &si, WEXITED | WNOHANG | WNOWAIT);
    if (w == 0 && si.si_pid == 0)
        return 1;
    /* ECHILD: someone else reaps our children (SIGCHLD ignored, a
     * waitpid(-1) elsewhere); fall back to asking whether it exists. */
    if (w != 0 && kill(p->pid, 0) == 0)
        return 1;
    p->exited = 1;
    p->exit_code = si.si_code == CLD_EXITED ? si.si_status : -1;
    p->term_signal = si.si_code == CLD_EXITED ? 0 : si.si_status;
    return 0;
}

int kernel_proc_signal(struct kernel_proc *p, int sig)
{
    if (p->pid <= 0)
        return -1;
    return kill(-p->pid, sig);
}

void kernel_proc_describe(const struct kernel_proc *p, char *buf, size_t len)
{
    if (!p->exited)
        snprintf(buf, len, "is running");
    else if (p->term_signal)
        snprintf(buf, len, "was killed by signal %d (%s)", p->term_signal, strsignal(p->term_signal));
    else if (p->exit_code >= 0)
        snprintf(buf, len, "exited with status %d", p->exit_code);
    else
        snprintf(buf, len, "exited (status unknown: reaped elsewhere)");
}

/* Polls for the exit for up to ms, in short steps so a quick exit costs
 * little. */
static int wait_exit(struct kernel_proc *p, int ms)
{
    long long until = kernel_now_ms() + ms;
    struct timespec step = {0, 2 * 1000 * 1000};
    while (kernel_proc_alive(p)) {
        if (kernel_now_ms() >= until)
            return 0;
        nanosleep(&step, NULL);
    }
    return 1;
}

void kernel_proc_stop(struct kernel_proc *p, int grace_ms, int term_ms)
{
    if (p->pid > 0) {
        if (!wait_exit(p, grace_ms)) {
            kernel_proc_signal(p, SIGTERM);
            if (!wait_exit(p, term_ms))
                kernel_proc_signal(p, SIGKILL);
        }
        /* Before reaping the leader: whatever it left in its group goes too. */
        kernel_proc_signal(p, SIGKILL);
        int st;
        while (waitpid(p->pid, &st, 0) < 0 && errno == EINTR)
            ;
        p->pid = 0;
    }
    remove_files(p);
}
