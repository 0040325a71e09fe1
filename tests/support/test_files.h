/* Small file helpers for tests: temporary folders, whole-file reads and
 * writes.  Every failure aborts the test with a message (Criterion asserts). */
#ifndef NBSOAR_TEST_FILES_H
#define NBSOAR_TEST_FILES_H

#include <stddef.h>

/* A new empty folder under $TMPDIR (or /tmp).  OWNED: test_rmtree() then free(). */
char *test_tmpdir(const char *prefix);
/* rm -rf path. */
void test_rmtree(const char *path);
/* Writes len bytes (strlen when len is (size_t)-1) to dir/name, replacing it.
 * Written as a dot-file and renamed, like a well-behaved spool writer. */
void test_write_file(const char *dir, const char *name, const char *data, size_t len);
/* Appends text to path (no newline added). */
void test_append_file(const char *path, const char *text);
/* The whole of dir/name (name may be NULL: dir is the path), NUL-terminated.
 * OWNED: free(); NULL when the file does not exist. */
char *test_read_file(const char *dir, const char *name);
int test_file_exists(const char *dir, const char *name);
/* Number of entries in a folder, not counting "." and "..". */
int test_count_entries(const char *dir);

#endif
