/* Dispatcher metrics (see dispatch_metrics.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dispatch_metrics.h"

#define MAX_SERIES 64
static const double bucket_bounds[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
#define N_BUCKETS (sizeof bucket_bounds / sizeof bucket_bounds[0])

struct series {
    char name[64], label[32], value[64];
    int is_hist;
    double count, sum;
    double buckets[N_BUCKETS];
};

struct dispatch_metrics {
    pthread_mutex_t mu;
    struct series s[MAX_SERIES];
    size_t n;
    int listen_fd;
    int stop_pipe[2];
    pthread_t thread;
    int serving;
    const struct host_env *env;
};

struct dispatch_metrics *dispatch_metrics_new(void)
{
    struct dispatch_metrics *m = calloc(1, sizeof *m);
    if (m == NULL)
        return NULL;
    pthread_mutex_init(&m->mu, NULL);
    m->listen_fd = -1;
    m->stop_pipe[0] = m->stop_pipe[1] = -1;
    return m;
}

static struct series *find(struct dispatch_metrics *m, const char *name, const char *label,
                           const char *value, int hist)
{
    for (size_t i = 0; i < m->n; i++)
        if (strcmp(m->s[i].name, name) == 0 && strcmp(m->s[i].label, label ? label : "") == 0 &&
            strcmp(m->s[i].value, value ? value : "") == 0)
            return &m->s[i];
    if (m->n == MAX_SERIES)
        return NULL;
    struct series *s = &m->s[m->n++];
    snprintf(s->name, sizeof s->name, "%s", name);
    snprintf(s->label, sizeof s->label, "%s", label ? label : "");
    snprintf(s->value, sizeof s->value, "%s", value ? value : "");
    s->is_hist = hist;
    return s;
}

void dispatch_metrics_count(struct dispatch_metrics *m, const char *name, const char *label,
                            const char *value, double v)
{
    if (m == NULL)
        return;
    pthread_mutex_lock(&m->mu);
    struct series *s = find(m, name, label, value, 0);
    if (s != NULL)
        s->count += v;
    pthread_mutex_unlock(&m->mu);
}

void dispatch_metrics_observe(struct dispatch_metrics *m, const char *name, double seconds)
{
    if (m == NULL)
        return;
    pthread_mutex_lock(&m->mu);
    struct series *s = find(m, name, NULL, NULL, 1);
    if (s != NULL) {
        s->count++;
        s->sum += seconds;
        for (size_t b = 0; b < N_BUCKETS; b++)
            if (seconds <= bucket_bounds[b])
                s->buckets[b]++;
    }
    pthread_mutex_unlock(&m->mu);
}

/* Label values come from instance names and fixed words; quotes and
 * backslashes are escaped anyway. */
static void put_label(FILE *f, const char *k, const char *v)
{
    fprintf(f, "%s=\"", k);
    for (; *v; v++) {
        if (*v == '"' || *v == '\\')
            fputc('\\', f);
        fputc(*v == '\n' ? ' ' : *v, f);
    }
    fputc('"', f);
}

char *dispatch_metrics_render(struct dispatch_metrics *m, const struct host_env *env)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (f == NULL)
        return NULL;
    pthread_mutex_lock(&m->mu);
    for (size_t i = 0; i < m->n; i++) {
        struct series *s = &m->s[i];
        int first = 1;
        for (size_t j = 0; j < i; j++)
            first &= strcmp(m->s[j].name, s->name) != 0;
        if (first)
            fprintf(f, "# TYPE %s %s\n", s->name, s->is_hist ? "histogram" : "counter");
        if (s->is_hist) {
            for (size_t b = 0; b < N_BUCKETS; b++)
                fprintf(f, "%s_bucket{le=\"%g\"} %.0f\n", s->name, bucket_bounds[b], s->buckets[b]);
            fprintf(f, "%s_bucket{le=\"+Inf\"} %.0f\n%s_sum %.6f\n%s_count %.0f\n", s->name,
                    s->count, s->name, s->sum, s->name, s->count);
        } else if (s->label[0]) {
            fprintf(f, "%s{", s->name);
            put_label(f, s->label, s->value);
            fprintf(f, "} %.17g\n", s->count);
        } else {
            fprintf(f, "%s %.17g\n", s->name, s->count);
        }
    }
    pthread_mutex_unlock(&m->mu);
    json_t *pc = env ? host_env_counters(env) : NULL;
    const char *inst, *name;
    json_t *obj, *v;
    json_object_foreach(pc, inst, obj) {
        json_object_foreach(obj, name, v) {
            fprintf(f, "nbsoar_plugin_%s{", name);
            put_label(f, "instance", inst);
            fprintf(f, "} %.17g\n", json_number_value(v));
        }
    }
    json_decref(pc);
    fclose(f);
    return buf;
}

static void answer(struct dispatch_metrics *m, int fd)
{
    char req[2048];
    ssize_t n = recv(fd, req, sizeof req - 1, 0);
    if (n <= 0)
        return;
    req[n] = '\0';
    char *body = NULL;
    const char *status = "404 Not Found";
    if (strncmp(req, "GET /metrics ", 13) == 0 || strncmp(req, "GET / ", 6) == 0) {
        body = dispatch_metrics_render(m, m->env);
        status = "200 OK";
    }
    char head[256];
    int hl = snprintf(head, sizeof head,
                      "HTTP/1.0 %s\r\nContent-Type: text/plain; version=0.0.4\r\n"
                      "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                      status, body ? strlen(body) : 0);
    if (send(fd, head, (size_t)hl, MSG_NOSIGNAL) == hl && body != NULL)
        (void)!send(fd, body, strlen(body), MSG_NOSIGNAL);
    free(body);
}

static void *serve_main(void *arg)
{
    struct dispatch_metrics *m = arg;
    for (;;) {
        struct pollfd p[2] = {{m->listen_fd, POLLIN, 0}, {m->stop_pipe[0], POLLIN, 0}};
        if (poll(p, 2, -1) < 0 && errno != EINTR)
            break;
        if (p[1].revents)
            break;
        if (p[0].revents & POLLIN) {
            int fd = accept4(m->listen_fd, NULL, NULL, SOCK_CLOEXEC);
            if (fd >= 0) {
                struct timeval tv = {2, 0};
                setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
                answer(m, fd);
                close(fd);
            }
        }
    }
    return NULL;
}

int dispatch_metrics_serve(struct dispatch_metrics *m, const char *addr,
                           const struct host_env *env, char *err, size_t errlen)
{
    char host[64];
    const char *colon = strrchr(addr, ':');
    int port = colon ? atoi(colon + 1) : 0;
    if (colon == NULL || (size_t)(colon - addr) >= sizeof host || port <= 0 || port > 65535) {
        snprintf(err, errlen, "[host] metrics: '%s' is not ADDRESS:PORT", addr);
        return -1;
    }
    snprintf(host, sizeof host, "%.*s", (int)(colon - addr), addr);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 || (ntohl(sa.sin_addr.s_addr) >> 24) != 127) {
        snprintf(err, errlen, "[host] metrics: '%s' must be a loopback IPv4 address", host);
        return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 16) != 0 ||
        pipe2(m->stop_pipe, O_CLOEXEC) != 0) {
        snprintf(err, errlen, "[host] metrics: cannot listen on %s: %s", addr, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    m->listen_fd = fd;
    m->env = env;
    if (pthread_create(&m->thread, NULL, serve_main, m) != 0) {
        snprintf(err, errlen, "[host] metrics: cannot start the responder thread");
        return -1;
    }
    m->serving = 1;
    return 0;
}

void dispatch_metrics_free(struct dispatch_metrics *m)
{
    if (m == NULL)
        return;
    if (m->serving) {
        (void)!write(m->stop_pipe[1], "x", 1);
        pthread_join(m->thread, NULL);
    }
    for (int i = 0; i < 2; i++)
        if (m->stop_pipe[i] >= 0)
            close(m->stop_pipe[i]);
    if (m->listen_fd >= 0)
        close(m->listen_fd);
    pthread_mutex_destroy(&m->mu);
    free(m);
}
