/* Loopback Python servers for tests (the scripts in tests/support): started in a child
 * that dies with the test, their port read from their first line of output.
 * Failures abort the test (Criterion asserts). */
#ifndef NBSOAR_TEST_PY_SERVER_H
#define NBSOAR_TEST_PY_SERVER_H

#include <sys/types.h>

/* Runs /usr/bin/python3 $NBSOAR_SOURCE_ROOT/tests/support/<script> with
 * args (NULL-terminated, may be NULL); *port gets the port it printed. */
pid_t py_server_start(const char *script, const char *const *args, int *port);
/* SIGTERM and wait.  0 is ignored. */
void py_server_stop(pid_t pid);

#endif
