/* WebSocket URLs and handshake header lines, for ws_client.c. */
#ifndef NBSOAR_WS_PARSE_H
#define NBSOAR_WS_PARSE_H

#include <stddef.h>

/* Splits url into TLS flag, host (IPv6 without brackets), port (default
 * 80/443) and path with query (fragment dropped).  ws/wss and http/https
 * are accepted; userinfo is refused (credentials go in a header).
 * Returns 0, or -1 when url is none of these or a part does not fit. */
int ws_parse_url(const char *url, int *tls, char *host, size_t hostlen, int *port, char *path, size_t pathlen);

/* "Name: value" into *name ("name:", lower case, as lws wants it) and
 * *value (leading blanks dropped), both OWNED by the caller.  0 or -1. */
int ws_split_header(const char *line, char **name, char **value);

#endif
