/* The floor: what ipykernel itself costs, measured with the barest client
 * that still speaks the protocol — raw ZMQ sockets, signed requests, and
 * replies recognised by substring without JSON parsing or signature
 * checks.  Also measures the same workload through the jupyter_kernel
 * library (full parsing and verification) to show its overhead.
 *
 * kernel_floor [-n CELLS] [-r RUNS] [-k KERNEL]
 * Prints one line per measurement and a JSON summary on the last line. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include <zmq.h>

#include "kernel.h"
#include "kernel_msg.h"
#include "kernel_proc.h"
#include "kernelspec.h"

/* This process's CPU time (user + system), in seconds. */
static double cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
           (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct bare {
    struct kernel_proc proc;
    struct kernel_session session;
    struct kernel_signer *signer;
    void *ctx, *shell, *iopub, *control;
};

static void *bare_socket(struct bare *b, int type, int port)
{
    char ep[64];
    int zero = 0, ivl = 10;
    void *s = zmq_socket(b->ctx, type);
    zmq_setsockopt(s, ZMQ_LINGER, &zero, sizeof zero);
    zmq_setsockopt(s, ZMQ_RECONNECT_IVL, &ivl, sizeof ivl);
    if (type == ZMQ_SUB)
        zmq_setsockopt(s, ZMQ_SUBSCRIBE, "", 0);
    snprintf(ep, sizeof ep, "tcp://127.0.0.1:%d", port);
    zmq_connect(s, ep);
    return s;
}

static void bare_send(struct bare *b, void *sock, const char *type, json_t *content, char id[37])
{
    struct kernel_wire w;
    char err[128], sig[65];
    kernel_wire_build(&b->session, type, content, NULL, &w, err, sizeof err);
    const void *parts[4] = {w.part[0], w.part[1], w.part[2], w.part[3]};
    kernel_signer_sign(b->signer, parts, w.len, sig);
    zmq_send(sock, "<IDS|MSG>", 9, ZMQ_SNDMORE);
    zmq_send(sock, sig, strlen(sig), ZMQ_SNDMORE);
    for (int i = 0; i < 4; i++)
        zmq_send(sock, w.part[i], w.len[i], i < 3 ? ZMQ_SNDMORE : 0);
    memcpy(id, w.msg_id, 37);
    kernel_wire_clear(&w);
}

/* Reads one multipart message: 1 when its parent header holds id and, for
 * want "idle", its content holds "idle", else its header holds want. */
static int bare_recv(void *sock, const char *id, const char *want)
{
    zmq_msg_t f[8];
    int n = 0, more = 1, hit = 0;
    while (more) {
        zmq_msg_t tmp, *m = n < 8 ? &f[n] : &tmp;
        zmq_msg_init(m);
        zmq_msg_recv(m, sock, 0);
        more = zmq_msg_more(m);
        if (m == &tmp)
            zmq_msg_close(m);
        else
            n++;
    }
    int d = 0;
    while (d < n && zmq_msg_size(&f[d]) != 9)
        d++;
    if (d + 5 < n) {
        zmq_msg_t *parent = &f[d + 3], *which = strcmp(want, "idle") == 0 ? &f[d + 5] : &f[d + 2];
        hit = memmem(zmq_msg_data(parent), zmq_msg_size(parent), id, strlen(id)) != NULL &&
              memmem(zmq_msg_data(which), zmq_msg_size(which), want, strlen(want)) != NULL;
    }
    for (int i = 0; i < n; i++)
        zmq_msg_close(&f[i]);
    return hit;
}

/* Waits for the shell reply and the iopub idle of id. */
static void bare_wait(struct bare *b, const char *id, const char *reply_type)
{
    int reply = 0, idle = 0;
    zmq_pollitem_t items[2] = {{.socket = b->shell, .events = ZMQ_POLLIN},
                               {.socket = b->iopub, .events = ZMQ_POLLIN}};
    while (!(reply && idle)) {
        zmq_poll(items, 2, -1);
        if (items[0].revents & ZMQ_POLLIN)
            reply |= bare_recv(b->shell, id, reply_type);
        if (items[1].revents & ZMQ_POLLIN)
            idle |= bare_recv(b->iopub, id, "idle");
    }
}

/* Spawn to kernel_info_reply + an iopub message, in seconds. */
static double bare_start(struct bare *b, const struct kernelspec *spec)
{
    char err[256], id[37];
    double t0 = now_s();
    if (kernel_proc_start(&b->proc, spec, NULL, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "kernel_floor: %s\n", err);
        exit(1);
    }
    kernel_session_init(&b->session);
    b->signer = kernel_signer_new(b->proc.key, strlen(b->proc.key), err, sizeof err);
    b->ctx = zmq_ctx_new();
    b->shell = bare_socket(b, ZMQ_DEALER, b->proc.port[KPORT_SHELL]);
    b->iopub = bare_socket(b, ZMQ_SUB, b->proc.port[KPORT_IOPUB]);
    b->control = bare_socket(b, ZMQ_DEALER, b->proc.port[KPORT_CONTROL]);
    /* Ready: a kernel_info_reply and any iopub message (the subscription
     * is live); kernel_info is resent until both arrived. */
    int reply = 0, iopub = 0;
    double last = now_s();
    zmq_pollitem_t items[2] = {{.socket = b->shell, .events = ZMQ_POLLIN},
                               {.socket = b->iopub, .events = ZMQ_POLLIN}};
    bare_send(b, b->shell, "kernel_info_request", NULL, id);
    while (!(reply && iopub)) {
        if (now_s() - last > (reply ? 0.02 : 1.0)) {
            bare_send(b, b->shell, "kernel_info_request", NULL, id);
            last = now_s();
        }
        zmq_poll(items, 2, 10);
        if (items[0].revents & ZMQ_POLLIN)
            reply |= bare_recv(b->shell, "", "kernel_info_reply");
        if (items[1].revents & ZMQ_POLLIN)
            iopub |= bare_recv(b->iopub, "", "");
    }
    return now_s() - t0;
}

/* shutdown_request to process exit, in seconds. */
static double bare_stop(struct bare *b)
{
    char id[37];
    json_t *c = json_pack("{s:b}", "restart", 0);
    double t0 = now_s();
    bare_send(b, b->control, "shutdown_request", c, id);
    json_decref(c);
    kernel_proc_stop(&b->proc, 5000, 1000);
    double took = now_s() - t0;
    zmq_close(b->shell);
    zmq_close(b->iopub);
    zmq_close(b->control);
    zmq_ctx_term(b->ctx);
    kernel_signer_free(b->signer);
    return took;
}

static json_t *execute(const char *code)
{
    return json_pack("{s:s, s:b, s:b, s:{}, s:b, s:b}", "code", code, "silent", 0, "store_history", 1,
                     "user_expressions", "allow_stdin", 0, "stop_on_error", 1);
}

static double last_cpu; /* CPU seconds per cell of the last *_cells call */

static double bare_cells(struct bare *b, const char *code, int n)
{
    json_t *c = execute(code);
    char id[37];
    double t0 = now_s(), c0 = cpu_s();
    for (int i = 0; i < n; i++) {
        bare_send(b, b->shell, "execute_request", c, id);
        bare_wait(b, id, "execute_reply");
    }
    json_decref(c);
    last_cpu = (cpu_s() - c0) / n;
    return (now_s() - t0) / n;
}

/* The same cells through the library: parsed, verified messages. */
static double lib_cells(struct kernel *k, const char *code, int n)
{
    json_t *c = execute(code);
    char id[37], err[256];
    double t0 = now_s(), c0 = cpu_s();
    for (int i = 0; i < n; i++) {
        int reply = 0, idle = 0;
        k->ops->send(k, KERNEL_SHELL, "execute_request", c, id, err, sizeof err);
        while (!(reply && idle)) {
            struct kernel_msg m;
            if (k->ops->recv(k, 10000, &m, err, sizeof err) != KERNEL_RECV_MSG) {
                fprintf(stderr, "kernel_floor: %s\n", err);
                exit(1);
            }
            if (strcmp(m.parent_id, id) == 0) {
                reply |= strcmp(m.msg_type, "execute_reply") == 0;
                idle |= strcmp(m.msg_type, "status") == 0 &&
                        strcmp(json_string_value(json_object_get(m.content, "execution_state")), "idle") == 0;
            }
            kernel_msg_clear(&m);
        }
    }
    json_decref(c);
    last_cpu = (cpu_s() - c0) / n;
    return (now_s() - t0) / n;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#define MAX_RUNS 20

int main(int argc, char **argv)
{
    int cells = 200, runs = 3, opt;
    const char *name = "python3";
    while ((opt = getopt(argc, argv, "n:r:k:")) != -1) {
        if (opt == 'n')
            cells = atoi(optarg);
        else if (opt == 'r')
            runs = atoi(optarg);
        else if (opt == 'k')
            name = optarg;
        else {
            fprintf(stderr, "usage: kernel_floor [-n CELLS] [-r RUNS] [-k KERNEL]\n");
            return 2;
        }
    }
    if (cells < 1 || runs < 1 || runs > MAX_RUNS) {
        fprintf(stderr, "kernel_floor: -n must be >= 1 and -r within 1..%d\n", MAX_RUNS);
        return 2;
    }
    struct kernelspec spec;
    char err[1024];
    if (kernelspec_find(name, NULL, &spec, err, sizeof err) != 0) {
        fprintf(stderr, "kernel_floor: %s\n", err);
        return 1;
    }
    double ready[MAX_RUNS], stop[MAX_RUNS], pass[MAX_RUNS], print[MAX_RUNS], lready[MAX_RUNS], lpass[MAX_RUNS],
        lprint[MAX_RUNS], lstop[MAX_RUNS], cpu[MAX_RUNS], lcpu[MAX_RUNS];
    for (int r = 0; r < runs; r++) {
        struct bare b;
        memset(&b, 0, sizeof b);
        ready[r] = bare_start(&b, &spec);
        pass[r] = bare_cells(&b, "pass", cells);
        print[r] = bare_cells(&b, "print(1)", cells);
        cpu[r] = last_cpu;
        stop[r] = bare_stop(&b);
        printf("floor run %d: ready %.1f ms, pass %.3f ms/cell, print %.3f ms/cell (client CPU %.3f ms/cell), "
               "shutdown %.1f ms\n",
               r + 1, ready[r] * 1e3, pass[r] * 1e3, print[r] * 1e3, cpu[r] * 1e3, stop[r] * 1e3);

        struct kernel_start_opts o = {.kernel_name = name, .start_timeout_ms = 60000};
        double t0 = now_s();
        struct kernel *k = kernel_local_start(&o, err, sizeof err);
        if (!k) {
            fprintf(stderr, "kernel_floor: %s\n", err);
            return 1;
        }
        lready[r] = now_s() - t0;
        lpass[r] = lib_cells(k, "pass", cells);
        lprint[r] = lib_cells(k, "print(1)", cells);
        lcpu[r] = last_cpu;
        t0 = now_s();
        k->ops->shutdown(k);
        lstop[r] = now_s() - t0;
        printf("lib   run %d: ready %.1f ms, pass %.3f ms/cell, print %.3f ms/cell (client CPU %.3f ms/cell), "
               "shutdown %.1f ms\n",
               r + 1, lready[r] * 1e3, lpass[r] * 1e3, lprint[r] * 1e3, lcpu[r] * 1e3, lstop[r] * 1e3);
        fflush(stdout);
    }
    printf("{\"kernel\": \"%s\", \"cells\": %d, \"runs\": %d, "
           "\"floor\": {\"ready_ms\": %.1f, \"pass_ms\": %.3f, \"print_ms\": %.3f, \"cpu_ms\": %.3f, "
           "\"shutdown_ms\": %.1f}, "
           "\"lib\": {\"ready_ms\": %.1f, \"pass_ms\": %.3f, \"print_ms\": %.3f, \"cpu_ms\": %.3f, "
           "\"shutdown_ms\": %.1f}}\n",
           name, cells, runs, median(ready, runs) * 1e3, median(pass, runs) * 1e3, median(print, runs) * 1e3,
           median(cpu, runs) * 1e3, median(stop, runs) * 1e3, median(lready, runs) * 1e3, median(lpass, runs) * 1e3,
           median(lprint, runs) * 1e3, median(lcpu, runs) * 1e3, median(lstop, runs) * 1e3);
    kernelspec_clear(&spec);
    return 0;
}
