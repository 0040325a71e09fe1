/* Mail over SMTP (libcurl) behind nbsoar_host.mail_send. */
#ifndef NBSOAR_MAIL_SMTP_H
#define NBSOAR_MAIL_SMTP_H

#include <stddef.h>

#include "nbsoar/plugin.h"

/* Sends m (see struct nbsoar_mail in plugin.h for the fields and the
 * return codes); libcurl is initialised on first use.
 * The password is registered with redact_add(); err never holds it. */
int mail_smtp_send(const struct nbsoar_mail *m, char *err, size_t errlen);

/* The message text (headers, blank line, body with CRLF line ends) that
 * mail_smtp_send() hands the server, for tests.  OWNED: free(); NULL with
 * err set when a header value holds CR or LF or a field is missing. */
char *mail_smtp_message(const struct nbsoar_mail *m, char *err, size_t errlen);

#endif
