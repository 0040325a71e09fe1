/* Jupyter messaging protocol 5.3, independent of the transport: headers,
 * the four serialized dicts, HMAC-SHA256 signatures and parsing back into
 * struct kernel_msg.  The ZMQ transport (kernel_zmq.c) and the Jupyter
 * Server WebSocket transport both build and read messages through here. */
#ifndef NBSOAR_KERNEL_MSG_H
#define NBSOAR_KERNEL_MSG_H

#include <stddef.h>
#include <jansson.h>

#include "kernel.h"

#define KERNEL_PROTOCOL_VERSION "5.3"

/* Who sends: session id (uuid4) and username, as in every header. */
struct kernel_session {
    char id[37];
    char username[64];
};

/* New random session id; username from $USER ("username" when unset, as
 * jupyter_client's Session does). */
void kernel_session_init(struct kernel_session *s);

/* Random uuid4 text (36 chars + NUL), from the kernel's CSPRNG. */
void kernel_uuid4(char out[37]);

/* A new header object (OWNED by the caller) for msg_type, with a fresh
 * msg_id copied into msg_id and the current UTC time as ISO 8601. */
json_t *kernel_msg_header(const struct kernel_session *s, const char *msg_type, char msg_id[37]);

/* One message as the four serialized dicts, in wire order: header,
 * parent_header, metadata, content.  part[i] are OWNED by the struct. */
struct kernel_wire {
    char msg_id[37];
    char *part[4];
    size_t len[4];
};
/* Builds and serializes msg_type with content (borrowed; NULL = {}),
 * parent_header (borrowed; NULL = {}) and empty metadata.  Returns 0, or -1
 * with err on ENOMEM. */
int kernel_wire_build(const struct kernel_session *s, const char *msg_type, const json_t *content,
                      const json_t *parent_header, struct kernel_wire *w, char *err, size_t errlen);
void kernel_wire_clear(struct kernel_wire *w);

/* The whole message as one JSON object {header, parent_header, metadata,
 * content, buffers: [], channel} for the JSON (WebSocket) wire format.
 * OWNED by the caller; NULL on ENOMEM. */
json_t *kernel_msg_new_json(const struct kernel_session *s, enum kernel_channel ch, const char *msg_type,
                            const json_t *content, const json_t *parent_header, char msg_id[37]);

/* HMAC-SHA256 over the four parts with the connection key.  An empty key
 * means unsigned messages: empty signature, nothing checked. */
struct kernel_signer;
/* Returns a signer (OWNED; kernel_signer_free) or NULL with err. */
struct kernel_signer *kernel_signer_new(const char *key, size_t keylen, char *err, size_t errlen);
void kernel_signer_free(struct kernel_signer *s);
/* Lowercase hex signature of parts into hex (64 chars + NUL, "" for an
 * empty key).  Returns 0, or -1 when OpenSSL fails. */
int kernel_signer_sign(struct kernel_signer *s, const void *const part[4], const size_t len[4], char hex[65]);
/* 1 when sig (siglen bytes, not NUL-terminated) is the signature of parts,
 * compared in constant time; 0 otherwise. */
int kernel_signer_verify(struct kernel_signer *s, const void *const part[4], const size_t len[4],
                         const char *sig, size_t siglen);

/* Parses the four serialized dicts into out (msg OWNED by out): content in
 * full, of the header only msg_type, msg_id and date, of the parent only
 * msg_id, and the metadata checked but left empty.  Returns 0, or -1 with
 * err naming the part that is not a JSON object. */
int kernel_msg_parse(enum kernel_channel ch, const void *const part[4], const size_t len[4],
                     struct kernel_msg *out, char *err, size_t errlen);

/* Takes ownership of msg (a whole message object, as the WebSocket sends)
 * and fills out's borrowed pointers.  Returns 0, or -1 with err when header
 * or content is missing (msg is freed then). */
int kernel_msg_adopt(enum kernel_channel ch, json_t *msg, struct kernel_msg *out, char *err, size_t errlen);

/* "shell", "iopub", "stdin", "control". */
const char *kernel_channel_name(enum kernel_channel ch);

#endif
