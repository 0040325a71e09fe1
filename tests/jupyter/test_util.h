/* Shared helpers of the jupyter_core tests. */
#ifndef NBSOAR_TEST_JUPYTER_UTIL_H
#define NBSOAR_TEST_JUPYTER_UTIL_H

#include <stddef.h>

/* Whole file as a NUL-terminated buffer (OWNED, free()), NULL if unreadable. */
char *tu_read_file(const char *path, size_t *len);
int tu_write_file(const char *path, const char *data, size_t len);
/* A fresh directory under $TMPDIR (OWNED string); removed by tu_rmdir. */
char *tu_mkdtemp(void);
void tu_rmdir(const char *dir);
/* Runs a shell command; returns its exit status (or -1). */
int tu_system(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* $NBSOAR_SOURCE_ROOT/tests/jupyter/<name> into out. */
void tu_test_file(char *out, size_t outlen, const char *name);
const char *tu_python(void);
/* <fixtures>/<sub>: $NBSOAR_FIXTURES, else the first shared/fixtures found
 * above the source root (git worktrees live deeper than /work/main). */
void tu_fixture_dir(char *out, size_t outlen, const char *sub);

#endif
