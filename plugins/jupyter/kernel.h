/* One execution engine, several kernel transports (local ZMQ now, the
 * Jupyter Server WebSocket later).  The engine sees only this interface. */
#ifndef NBSOAR_KERNEL_H
#define NBSOAR_KERNEL_H

#include <stddef.h>
#include <jansson.h>

enum kernel_channel {
    KERNEL_SHELL = 0,
    KERNEL_IOPUB,
    KERNEL_STDIN,
    KERNEL_CONTROL,
};

/* One received message.  msg is OWNED by whoever holds the struct
 * (kernel_msg_clear frees it); the other pointers borrow from it. */
struct kernel_msg {
    enum kernel_channel channel;
    json_t *msg;               /* {header, parent_header, metadata, content, buffers?};
                                  see kernel_msg_parse for what is kept */
    const char *msg_type;      /* header.msg_type */
    const char *parent_id;     /* parent_header.msg_id, "" when none */
    json_t *content;           /* borrowed from msg */
};
void kernel_msg_clear(struct kernel_msg *m);

enum kernel_recv_rc {
    KERNEL_RECV_MSG = 1,
    KERNEL_RECV_TIMEOUT = 0,
    KERNEL_RECV_DEAD = -1,     /* the kernel process exited or missed heartbeats */
    KERNEL_RECV_ERROR = -2,    /* transport failure; err says which */
};

struct kernel;
struct kernel_ops {
    /* Sends msg_type with content (borrowed) on channel; writes the new
     * msg_id (36 chars + NUL) into msg_id. */
    int (*send)(struct kernel *k, enum kernel_channel ch, const char *msg_type,
                const json_t *content, char msg_id[37], char *err, size_t errlen);
    /* Waits up to timeout_ms (< 0: no limit, 0: only what is queued) for
     * the next message from any channel; out->msg is then OWNED by the
     * caller (kernel_msg_clear).  Messages with a bad signature never come
     * out of here.  Returns enum kernel_recv_rc. */
    int (*recv)(struct kernel *k, int timeout_ms, struct kernel_msg *out, char *err, size_t errlen);
    /* Interrupt as the kernelspec says (signal or interrupt_request). */
    int (*interrupt)(struct kernel *k, char *err, size_t errlen);
    /* 1 while the kernel runs (process alive, heartbeats answered). */
    int (*alive)(struct kernel *k);
    /* shutdown_request, then SIGTERM, then SIGKILL to the process group
     * (or DELETE for a remote kernel); frees k. */
    void (*shutdown)(struct kernel *k);
};

struct kernel {
    const struct kernel_ops *ops;
    char *name;          /* kernelspec name, OWNED by the kernel */
    char *language;      /* kernelspec language, OWNED by the kernel */
    json_t *info;        /* kernel_info_reply content once ready, OWNED; language_info lives here */
    unsigned long rejected; /* messages dropped: bad signature or malformed */
    void *impl;          /* transport state */
};

struct kernel_start_opts {
    const char *kernel_name;        /* NULL: by language, then python3 */
    const char *language;           /* used when kernel_name is NULL */
    const char *cwd;                /* NULL: the caller's cwd */
    const char *const *extra_env;   /* "NAME=value" added to the kernel's environment; NULL-terminated */
    long start_timeout_ms;          /* until kernel_info_reply; papermill default 60 s */
    /* Optional: one line per rejected message (bad signature, malformed),
     * never with the key or the message body; NULL = silent. */
    void (*log)(void *ud, const char *line);
    void *log_ud;
};

/* Local kernel over ZMQ (kernel_zmq.c).  Returns NULL with err on failure
 * (no such kernelspec, failed to start, no reply within the timeout). */
struct kernel *kernel_local_start(const struct kernel_start_opts *o, char *err, size_t errlen);

#endif
