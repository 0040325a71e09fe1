/* Internals of the local ZMQ transport shared by kernel_zmq.c (sockets,
 * send, recv, health) and kernel_zmq_start.c (spawn and readiness). */
#ifndef NBSOAR_KERNEL_ZMQ_H
#define NBSOAR_KERNEL_ZMQ_H

#include "kernel.h"
#include "kernel_msg.h"
#include "kernel_proc.h"

#define ZK_MAX_FRAMES 16
#define ZK_HB_INTERVAL_MS 1000   /* one ping a second ... */
#define ZK_HB_MAX_MISSED 3       /* ... three unanswered: dead */
#define ZK_CHECK_MS 100          /* process exit checked this often in recv */

struct zk {
    struct kernel base;
    void *ctx;
    void *sock[4];               /* indexed by enum kernel_channel */
    void *hb;
    struct kernel_proc proc;
    struct kernel_session session;
    struct kernel_signer *signer;
    int interrupt_message;
    void (*log)(void *ud, const char *line);
    void *log_ud;

    int hb_on;                   /* heartbeats are checked once the kernel is ready */
    int hb_waiting;
    int hb_missed;
    long long hb_sent_ms;
    long long next_check_ms;
    int dead;
    char dead_reason[160];
    unsigned rr;                 /* round-robin start among ready channels */

    char (*startup_ids)[37];     /* kernel_info_requests sent while starting */
    size_t n_startup;
};

extern const struct kernel_ops zk_ops;

/* Opens and connects the sockets to the ports of z->proc.  Returns 0 or -1. */
int zk_connect(struct zk *z, char *err, size_t errlen);
void zk_close_sockets(struct zk *z);

/* Signs and sends one message; msg_id receives the new id. */
int zk_send(struct kernel *k, enum kernel_channel ch, const char *msg_type, const json_t *content,
            char msg_id[37], char *err, size_t errlen);

/* Waits up to timeout_ms for one message, checking health; the channels
 * polled are those in mask (1 << channel).  Same codes as ops->recv. */
int zk_recv_from(struct zk *z, unsigned mask, int timeout_ms, struct kernel_msg *out, char *err, size_t errlen);

/* Health check now: process exit and heartbeat; sets z->dead. */
void zk_check_health(struct zk *z);

#endif
