/* Dispatcher: where an executed notebook goes, and the notebook's digest.
 * Every value that comes from an event or the config is sanitised before it
 * becomes a path component, so "../" or "/" in an event id stays a name. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "dispatch.h"
#include "dispatch_output.h"

#define COMPONENT_MAX 96

/* One path component from untrusted text: [A-Za-z0-9._-] kept, the rest
 * '_', no leading dot (so neither "." nor ".." nor a hidden file). */
static void sanitise(const char *in, char out[COMPONENT_MAX + 1])
{
    size_t n = 0;
    for (const char *p = in ? in : ""; *p != '\0' && n < COMPONENT_MAX; p++) {
        char c = *p;
        int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                 c == '.' || c == '_' || c == '-';
        out[n++] = ok ? c : '_';
    }
    if (n == 0)
        out[n++] = '_';
    out[n] = '\0';
    if (out[0] == '.')
        out[0] = '_';
}

/* notebook "a/b/triage.ipynb" -> "triage" */
static void notebook_stem(const char *nb, char out[COMPONENT_MAX + 1])
{
    const char *base = nb ? strrchr(nb, '/') : NULL;
    base = base ? base + 1 : nb ? nb : "";
    char tmp[COMPONENT_MAX + 1];
    snprintf(tmp, sizeof tmp, "%s", base);
    size_t n = strlen(tmp);
    if (n > 6 && strcmp(tmp + n - 6, ".ipynb") == 0)
        tmp[n - 6] = '\0';
    sanitise(tmp, out);
}

char *dispatch_output_path(const char *folder, const char *template, long long when_s,
                           const char *route, const char *notebook, const char *event,
                           const char *job, char *err, size_t errlen)
{
    if (template[0] == '/' || strstr(template, "..") != NULL) {
        snprintf(err, errlen, "output_path '%s' must be relative and must not contain '..'",
                 template);
        return NULL;
    }
    char vals[4][COMPONENT_MAX + 1];
    static const char *const names[4] = {"{route}", "{notebook}", "{event}", "{job}"};
    sanitise(route ? route : "none", vals[0]);
    notebook_stem(notebook, vals[1]);
    sanitise(event, vals[2]);
    sanitise(job, vals[3]);
    /* placeholders first, into a template strftime then expands: a value's
     * '%' would be expanded too, but sanitised values hold none */
    char expanded[2048];
    size_t n = 0;
    for (const char *p = template; *p != '\0';) {
        int hit = 0;
        for (int i = 0; i < 4 && !hit; i++) {
            size_t len = strlen(names[i]);
            if (strncmp(p, names[i], len) == 0) {
                size_t vlen = strlen(vals[i]);
                if (n + vlen >= sizeof expanded)
                    break;
                memcpy(expanded + n, vals[i], vlen);
                n += vlen;
                p += len;
                hit = 1;
            }
        }
        if (!hit) {
            if (n + 1 >= sizeof expanded)
                break;
            expanded[n++] = *p++;
        }
    }
    expanded[n] = '\0';
    time_t t = (time_t)when_s;
    struct tm tm;
    gmtime_r(&t, &tm);
    char rel[2048];
    if (strftime(rel, sizeof rel, expanded, &tm) == 0) {
        snprintf(err, errlen, "output_path '%s' expands to nothing or too long", template);
        return NULL;
    }
    char *out = NULL;
    if (asprintf(&out, "%s/%s", folder, rel) < 0) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    return out;
}

int dispatch_mkdirs_for(const char *file, char *err, size_t errlen)
{
    char *dir = strdup(file);
    if (dir == NULL) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    char *slash = strrchr(dir, '/');
    if (slash != NULL)
        *slash = '\0';
    int rc = 0;
    for (char *p = dir + 1; rc == 0 && slash != NULL; p++) {
        int end = *p == '\0';
        if (*p != '/' && !end)
            continue;
        *p = '\0';
        if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
            snprintf(err, errlen, "cannot create %s: %s", dir, strerror(errno));
            rc = -1;
        }
        if (end)
            break;
        *p = '/';
    }
    free(dir);
    return rc;
}

int dispatch_file_sha256(const char *path, char hex[65])
{
    hex[0] = '\0';
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    int ok = ctx != NULL && EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) == 1;
    char buf[65536];
    ssize_t r;
    while (ok && ((r = read(fd, buf, sizeof buf)) > 0 || (r < 0 && errno == EINTR)))
        if (r > 0)
            ok = EVP_DigestUpdate(ctx, buf, (size_t)r) == 1;
    unsigned char md[32];
    unsigned int len = 0;
    ok = ok && r == 0 && EVP_DigestFinal_ex(ctx, md, &len) == 1 && len == 32;
    EVP_MD_CTX_free(ctx);
    close(fd);
    for (unsigned int i = 0; ok && i < 32; i++)
        snprintf(hex + 2 * i, 3, "%02x", md[i]);
    return ok ? 0 : -1;
}
