/* Loopback Python servers for tests (the scripts in tests/support and the
 * simulators in tests/sim): started in a child that dies with the test, their port read
 * from their first line of output.  Failures abort the test (Criterion asserts). */
#ifndef NBSOAR_TEST_PY_SERVER_H
#define NBSOAR_TEST_PY_SERVER_H

#include <stddef.h>
#include <sys/types.h>

/* Runs $PYTHON (default /usr/bin/python3) on $NBSOAR_SOURCE_ROOT/<script>
 * (e.g. "tests/support/smtp_sink.py") with args (NULL-terminated, may be
 * NULL); *port gets the port it printed. */
pid_t py_server_start(const char *script, const char *const *args, int *port);
/* SIGTERM and wait.  0 is ignored. */
void py_server_stop(pid_t pid);

/* A new self-signed certificate for IP 127.0.0.1 with common name cn:
 * dir (dirlen >= 32) gets a new folder holding cert.pem and key.pem. */
void py_server_certificate(char *dir, size_t dirlen, const char *cn);

#endif
