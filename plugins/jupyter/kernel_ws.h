/* A kernel on a Jupyter Server, reached over its REST API and the kernel
 * WebSocket (/api/kernels/{id}/channels), through the host's HTTP and
 * WebSocket services.  The same struct kernel as the local ZMQ transport,
 * so the one execution engine drives both.
 *
 * Start: POST {base}api/kernels {"name"} (201), then the WebSocket with a
 * fresh session_id, offering v1.kernel.websocket.jupyter.org (binary
 * frames, u64 LE offsets) and falling back to the legacy JSON frames (and
 * their binary-buffers format) when the server does not choose it, then a
 * kernel_info_request until its reply.  A dropped socket is reconnected
 * once per drop (at most 3 times) with the same session_id, so the server
 * replays what it buffered.  An IOPub status "restarting" or "dead" (the
 * server restarted a died kernel) is a dead kernel.  interrupt is POST
 * .../interrupt; alive is the socket plus GET .../{id} not 404 (asked at
 * most every 5 s); shutdown closes the socket and always DELETEs the kernel. */
#ifndef NBSOAR_KERNEL_WS_H
#define NBSOAR_KERNEL_WS_H

#include <stddef.h>
#include <nbsoar/plugin.h>

#include "kernel.h"

enum kernel_ws_protocol {
    KERNEL_WS_AUTO = 0,   /* offer v1, speak what the server chose */
    KERNEL_WS_V1,         /* offer only v1; refuse a server that does not choose it */
    KERNEL_WS_LEGACY,     /* offer nothing: JSON frames */
};

struct kernel_remote_opts {
    const struct nbsoar_host *host;          /* kept by the kernel */
    const struct nbsoar_http_endpoint *ep;   /* auth header, TLS, timeouts; copied */
    const char *base_url;                    /* the server's base URL, ending in '/' */
    const char *kernel_name;                 /* NULL: by language from /api/kernelspecs, else the default */
    const char *language;
    const char *path;                        /* contents path for the kernel's cwd, or NULL */
    long start_timeout_ms;                   /* until kernel_info_reply; 0: 60 s */
    enum kernel_ws_protocol protocol;
};

/* Returns the started kernel (free with k->ops->shutdown) or NULL with err;
 * a kernel created before a failure is deleted again. */
struct kernel *kernel_remote_start(const struct kernel_remote_opts *o, char *err, size_t errlen);

/* "v1.kernel.websocket.jupyter.org" or "" (legacy): what k speaks. */
const char *kernel_remote_protocol(const struct kernel *k);

#endif
