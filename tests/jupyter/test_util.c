/* Shared helpers of the jupyter_core tests. */
#include "test_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

char *tu_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
        free(buf);
        buf = NULL;
    }
    fclose(f);
    if (buf) {
        buf[n] = '\0';
        if (len)
            *len = (size_t)n;
    }
    return buf;
}

int tu_write_file(const char *path, const char *data, size_t len)
{
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(data, 1, len, f);
    return fclose(f) == 0 && w == len ? 0 : -1;
}

char *tu_mkdtemp(void)
{
    const char *base = getenv("TMPDIR");
    char *dir;
    if (asprintf(&dir, "%s/nbsoar-test-XXXXXX", base ? base : "/tmp") < 0)
        return NULL;
    if (!mkdtemp(dir)) {
        free(dir);
        return NULL;
    }
    return dir;
}

void tu_rmdir(const char *dir)
{
    tu_system("rm -rf '%s'", dir);
}

int tu_system(const char *fmt, ...)
{
    char *cmd;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&cmd, fmt, ap);
    va_end(ap);
    if (n < 0)
        return -1;
    int rc = system(cmd);
    free(cmd);
    if (rc == -1)
        return -1;
    return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

void tu_test_file(char *out, size_t outlen, const char *name)
{
    const char *root = getenv("NBSOAR_SOURCE_ROOT");
    snprintf(out, outlen, "%s/tests/jupyter/%s", root ? root : ".", name);
}

const char *tu_python(void)
{
    const char *p = getenv("PYTHON");
    return p ? p : "/usr/bin/python3";
}

void tu_fixture_dir(char *out, size_t outlen, const char *sub)
{
    const char *fx = getenv("NBSOAR_FIXTURES");
    snprintf(out, outlen, "%s/%s", fx ? fx : ".", sub);
    if (access(out, R_OK) == 0)
        return;
    const char *root = getenv("NBSOAR_SOURCE_ROOT");
    const char *ups[] = {"..", "../..", "../../.."};
    for (size_t i = 0; i < sizeof ups / sizeof ups[0]; i++) {
        snprintf(out, outlen, "%s/%s/shared/fixtures/%s", root ? root : ".", ups[i], sub);
        if (access(out, R_OK) == 0)
            return;
    }
}
