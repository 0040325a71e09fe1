/* Starting a local kernel: kernelspec, spawn, connect, and wait until it
 * answers kernel_info_request and its iopub reaches us. */
#include "kernel_zmq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zmq.h>

#include "kernelspec.h"

#define ZK_DEFAULT_START_TIMEOUT_MS 60000
/* A kernel that dies this soon after spawn probably lost a port to another
 * process between our probe and its bind: try again with new ports. */
#define ZK_BIND_RACE_MS 5000
#define ZK_START_ATTEMPTS 3
#define ZK_READY_POLL_MS 10
/* kernel_info_request is resent this often until a reply comes (as
 * jupyter_client's wait_for_ready) ... */
#define ZK_KI_RESEND_MS 1000
/* ... and, once it has, this often until an iopub message proves our
 * subscription is live (nbclient's iopub welcome workaround). */
#define ZK_KI_IOPUB_RESEND_MS 20

static int send_kernel_info(struct zk *z, char *err, size_t errlen)
{
    char id[37];
    if (zk_send(&z->base, KERNEL_SHELL, "kernel_info_request", NULL, id, err, errlen) != 0)
        return -1;
    char(*grown)[37] = realloc(z->startup_ids, (z->n_startup + 1) * sizeof *grown);
    if (!grown) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    z->startup_ids = grown;
    memcpy(grown[z->n_startup++], id, 37);
    return 0;
}

static int ours(const struct zk *z, const char *parent_id)
{
    for (size_t i = 0; i < z->n_startup; i++)
        if (strcmp(z->startup_ids[i], parent_id) == 0)
            return 1;
    return 0;
}

/* 0 when ready; -1 with err.  The startup ids filter is off meanwhile
 * (n_startup counts them but recv must see the replies). */
static int wait_ready(struct zk *z, long long deadline, long timeout_ms, char *err, size_t errlen)
{
    int got_reply = 0, got_iopub = 0;
    long long last_ki = kernel_now_ms();
    size_t n_ids;
    if (send_kernel_info(z, err, errlen) != 0)
        return -1;
    while (!(got_reply && got_iopub)) {
        long long now = kernel_now_ms();
        if (now >= deadline) {
            snprintf(err, errlen, "kernel %s did not become ready within %ld ms (%s)", z->base.name, timeout_ms,
                     got_reply ? "it answered kernel_info_request but nothing arrived on iopub"
                               : "no kernel_info_reply");
            return -1;
        }
        if ((!got_reply && now - last_ki >= ZK_KI_RESEND_MS) ||
            (got_reply && now - last_ki >= ZK_KI_IOPUB_RESEND_MS)) {
            if (send_kernel_info(z, err, errlen) != 0)
                return -1;
            last_ki = now;
        }
        struct kernel_msg m;
        int slice = deadline - now < ZK_READY_POLL_MS ? (int)(deadline - now) : ZK_READY_POLL_MS;
        /* Hide the ids from the echo filter while we wait for them. */
        n_ids = z->n_startup;
        z->n_startup = 0;
        int r = zk_recv_from(z, (1u << KERNEL_SHELL) | (1u << KERNEL_IOPUB), slice, &m, err, errlen);
        z->n_startup = n_ids;
        if (r == KERNEL_RECV_DEAD) {
            size_t len = strlen(err);
            snprintf(err + len, errlen - len, " before it was ready");
            return -1;
        }
        if (r == KERNEL_RECV_ERROR)
            return -1;
        if (r != KERNEL_RECV_MSG)
            continue;
        if (m.channel == KERNEL_IOPUB) {
            got_iopub = 1;
        } else if (strcmp(m.msg_type, "kernel_info_reply") == 0 && ours(z, m.parent_id) && !got_reply) {
            got_reply = 1;
            z->base.info = json_incref(m.content);
        }
        kernel_msg_clear(&m);
    }
    return 0;
}

static int set_identity(struct zk *z, const struct kernelspec *spec)
{
    z->base.ops = &zk_ops;
    z->base.impl = z;
    z->base.name = strdup(spec->name);
    z->base.language = strdup(spec->language);
    z->interrupt_message = spec->interrupt_message;
    kernel_session_init(&z->session);
    z->ctx = zmq_ctx_new();
    if (z->ctx)
        zmq_ctx_set(z->ctx, ZMQ_BLOCKY, 0);
    return z->base.name && z->base.language && z->ctx ? 0 : -1;
}

/* Language from language_info when the kernelspec does not say. */
static void fill_language(struct zk *z)
{
    const char *li = json_string_value(json_object_get(json_object_get(z->base.info, "language_info"), "name"));
    if (z->base.language[0] == '\0' && li) {
        char *copy = strdup(li);
        if (copy) {
            free(z->base.language);
            z->base.language = copy;
        }
    }
}

/* One attempt: new connection file, spawn, connect, wait.  On failure the
 * process is stopped and the sockets closed; *early says whether it died
 * soon after spawn. */
static int attempt(struct zk *z, const struct kernelspec *spec, const struct kernel_start_opts *o,
                   long long deadline, long timeout_ms, int *early, char *err, size_t errlen)
{
    *early = 0;
    if (kernel_proc_start(&z->proc, spec, o->cwd, o->extra_env, err, errlen) != 0)
        return -1;
    long long spawned = kernel_now_ms();
    z->dead = 0;
    z->next_check_ms = spawned + ZK_CHECK_MS;
    z->n_startup = 0;
    z->signer = kernel_signer_new(z->proc.key, strlen(z->proc.key), err, errlen);
    if (z->signer && zk_connect(z, err, errlen) == 0 && wait_ready(z, deadline, timeout_ms, err, errlen) == 0)
        return 0;
    *early = z->proc.exited && kernel_now_ms() - spawned < ZK_BIND_RACE_MS;
    zk_close_sockets(z);
    kernel_proc_stop(&z->proc, 0, 100);
    kernel_signer_free(z->signer);
    z->signer = NULL;
    json_decref(z->base.info);
    z->base.info = NULL;
    return -1;
}

struct kernel *kernel_local_start(const struct kernel_start_opts *o, char *err, size_t errlen)
{
    struct kernelspec spec;
    if (kernelspec_find(o->kernel_name, o->language, &spec, err, errlen) != 0)
        return NULL;
    struct zk *z = calloc(1, sizeof *z);
    if (!z || set_identity(z, &spec) != 0) {
        snprintf(err, errlen, "out of memory starting kernel %s", spec.name);
        kernelspec_clear(&spec);
        if (z)
            zk_ops.shutdown(&z->base); /* frees what set_identity got */
        return NULL;
    }
    z->log = o->log;
    z->log_ud = o->log_ud;
    long timeout_ms = o->start_timeout_ms > 0 ? o->start_timeout_ms : ZK_DEFAULT_START_TIMEOUT_MS;
    long long deadline = kernel_now_ms() + timeout_ms;
    int ok = 0;
    for (int n = 1; n <= ZK_START_ATTEMPTS && !ok; n++) {
        int early = 0;
        ok = attempt(z, &spec, o, deadline, timeout_ms, &early, err, errlen) == 0;
        if (!ok && (!early || kernel_now_ms() >= deadline))
            break;
    }
    kernelspec_clear(&spec);
    if (!ok) {
        zk_ops.shutdown(&z->base);
        return NULL;
    }
    fill_language(z);
    z->hb_on = 1;
    z->hb_sent_ms = kernel_now_ms() - ZK_HB_INTERVAL_MS;
    zk_check_health(z);
    return &z->base;
}
