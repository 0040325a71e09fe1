/* spool file handling: folders, moves that never overwrite, reason files. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "spool.h"

#define SPOOL_MAX_COLLISIONS 10000

int spool_mkdirs(const char *dir, char *err, size_t errlen)
{
    char buf[PATH_MAX];
    if (snprintf(buf, sizeof(buf), "%s", dir) >= (int)sizeof(buf)) {
        snprintf(err, errlen, "%s: path too long", dir);
        return NBSOAR_ERROR;
    }
    for (char *p = buf + 1;; p++) {
        if (*p != '/' && *p != '\0')
            continue;
        char saved = *p;
        *p = '\0';
        if (mkdir(buf, 0750) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create folder %s: %s", buf, strerror(errno));
            return NBSOAR_ERROR;
        }
        *p = saved;
        if (saved == '\0')
            break;
    }
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(err, errlen, "%s is not a folder", dir);
        return NBSOAR_ERROR;
    }
    return NBSOAR_OK;
}

/* Atomic rename that fails with EEXIST instead of replacing dst. */
static int rename_noreplace(const char *src, const char *dst)
{
    if (renameat2(AT_FDCWD, src, AT_FDCWD, dst, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS)
        return -1;
    /* File systems without RENAME_NOREPLACE: link() refuses to replace too. */
    if (link(src, dst) != 0)
        return -1;
    if (unlink(src) != 0) {
        int e = errno;
        unlink(dst);
        errno = e;
        return -1;
    }
    return 0;
}

/* "a.json", n -> "a-n.json"; a leading dot is not an extension. */
static void numbered_name(const char *name, int n, char *out, size_t outlen)
{
    const char *dot = strrchr(name, '.');
    if (dot == NULL || dot == name)
        dot = name + strlen(name);
    snprintf(out, outlen, "%.*s-%d%s", (int)(dot - name), name, n, dot);
}

int spool_move(const char *src, const char *dir, const char *name, char *final, size_t finallen,
               char *err, size_t errlen)
{
    char dst[PATH_MAX], numbered[NAME_MAX + 1];
    snprintf(dst, sizeof(dst), "%s/%s", dir, name);
    for (int n = 1; rename_noreplace(src, dst) != 0; n++) {
        if (errno != EEXIST || n > SPOOL_MAX_COLLISIONS) {
            snprintf(err, errlen, "cannot move %s to %s: %s", src, dst, strerror(errno));
            return NBSOAR_ERROR;
        }
        numbered_name(name, n, numbered, sizeof(numbered));
        snprintf(dst, sizeof(dst), "%s/%s", dir, numbered);
    }
    if (final != NULL)
        snprintf(final, finallen, "%s", dst);
    return NBSOAR_OK;
}

/* Writes all of buf in one write(); partial writes are failures. */
static int write_all_once(int fd, const char *path, const char *buf, size_t len, char *err, size_t errlen)
{
    ssize_t n = write(fd, buf, len);
    if (n < 0 || (size_t)n != len) {
        snprintf(err, errlen, "cannot write %s: %s", path, n < 0 ? strerror(errno) : "short write");
        return NBSOAR_ERROR;
    }
    return NBSOAR_OK;
}

static int write_line(const char *path, int flags, const char *text, char *err, size_t errlen)
{
    int fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC | flags, 0640);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NBSOAR_ERROR;
    }
    size_t n = strlen(text);
    char *line = malloc(n + 2);
    if (line == NULL) {
        close(fd);
        snprintf(err, errlen, "out of memory");
        return NBSOAR_ERROR;
    }
    memcpy(line, text, n);
    line[n] = '\n';
    line[n + 1] = '\0';
    int rc = write_all_once(fd, path, line, n + 1, err, errlen);
    free(line);
    if (close(fd) != 0 && rc == NBSOAR_OK) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        rc = NBSOAR_ERROR;
    }
    return rc;
}

int spool_write_text(const char *path, const char *text, char *err, size_t errlen)
{
    return write_line(path, O_TRUNC, text, err, errlen);
}

int spool_append_line(const char *path, const char *line, char *err, size_t errlen)
{
    return write_line(path, O_APPEND, line, err, errlen);
}

int spool_reject_file(const struct spool *sp, const char *src, const char *name, const char *reason)
{
    const struct nbsoar_host *h = sp->host;
    char final[PATH_MAX], err[PATH_MAX + 256];
    h->log(h, NBSOAR_LOG_WARN, "rejected %s: %s", src, reason);
    if (h->counter_add != NULL)
        h->counter_add(h, "spool_rejected_total", 1);
    if (spool_move(src, sp->rejected_dir, name, final, sizeof(final), err, sizeof(err)) != NBSOAR_OK) {
        h->log(h, NBSOAR_LOG_ERROR, "%s", err);
        return NBSOAR_ERROR;
    }
    char reason_path[PATH_MAX + 8];
    snprintf(reason_path, sizeof(reason_path), "%s.reason", final);
    if (spool_write_text(reason_path, reason, err, sizeof(err)) != NBSOAR_OK) {
        h->log(h, NBSOAR_LOG_ERROR, "%s", err);
        return NBSOAR_ERROR;
    }
    return NBSOAR_OK;
}
