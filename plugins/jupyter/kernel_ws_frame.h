/* Jupyter Server kernel WebSocket frames, both protocols:
 *   v1.kernel.websocket.jupyter.org: binary; u64 LE offset count, the u64
 *     LE offsets, then channel, header, parent_header, metadata, content,
 *     buffers (jupyter_server base/zmqhandlers.py serialize_msg_to_ws_v1);
 *   legacy: a JSON text frame {header, parent_header, metadata, content,
 *     buffers, channel}, or, for a message with buffers, a binary frame of
 *     u32 BE part count, u32 BE offsets, the JSON, then the buffers. */
#ifndef NBSOAR_KERNEL_WS_FRAME_H
#define NBSOAR_KERNEL_WS_FRAME_H

#include <stddef.h>

#include "kernel.h"
#include "kernel_msg.h"

/* A v1 frame of w on channel ch.  OWNED by the caller (free); NULL on ENOMEM. */
unsigned char *kws_frame_v1(enum kernel_channel ch, const struct kernel_wire *w, size_t *len);

/* Parses one received frame into out (msg OWNED by out).  v1: the
 * connection speaks v1.  Buffers, when present, become out->msg "buffers"
 * as an array of their sizes (the engine has no use for their bytes).
 * Returns 0, or -1 with err naming what is malformed. */
int kws_decode(const unsigned char *data, size_t len, int binary, int v1, struct kernel_msg *out, char *err,
               size_t errlen);

/* "shell" -> KERNEL_SHELL...; -1 when unknown. */
int kws_channel_from_name(const char *name, size_t len);

#endif
