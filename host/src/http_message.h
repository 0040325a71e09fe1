/* The HTTP client's messages for people: one line, redacted, with a hint
 * where one helps.  Internal to http_client.c and http_message.c. */
#ifndef NBSOAR_HTTP_MESSAGE_H
#define NBSOAR_HTTP_MESSAGE_H

#include <stddef.h>
#include "nbsoar/plugin.h"

/* Appends to err; silently truncates. */
void http_msg_add(char *err, size_t errlen, const char *fmt, ...) NBSOAR_PRINTF(3, 4);

/* Appends "HTTP 503" and, when body is not NULL, ": server said: BODY" with
 * the body redacted, on one line and cut to about 500 bytes. */
void http_msg_status(char *err, size_t errlen, long status, const char *body);

/* Appends what a failed libcurl transfer (a CURLcode) means; detail is
 * libcurl's error buffer ("" when empty); ca_file may be NULL. */
void http_msg_curl(char *err, size_t errlen, int code, const char *detail, const char *ca_file);

#endif
