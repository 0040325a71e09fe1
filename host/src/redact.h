/* Secret registry: every value registered here is replaced by *** in
 * anything the host logs or reports.  Thread-safe. */
#ifndef NBSOAR_REDACT_H
#define NBSOAR_REDACT_H

#include <stddef.h>

/* Registers a copy of `secret`.  Values shorter than 4 bytes are ignored:
 * masking "1" or "no" everywhere would garble every message. */
void redact_add(const char *secret);

/* A copy of `text` with every registered secret replaced by "***".
 * OWNED by the caller (free()); NULL only when text is NULL or on ENOMEM. */
char *redact_dup(const char *text);

/* Rewrites buf in place (truncating if needed). */
void redact_buf(char *buf, size_t size);

/* Forgets every secret (tests, config reload). */
void redact_clear(void);

#endif
