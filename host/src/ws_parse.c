/* WebSocket URLs and handshake header lines (see ws_parse.h). */
#include "ws_parse.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

int ws_parse_url(const char *url, int *tls, char *host, size_t hostlen, int *port, char *path, size_t pathlen)
{
    const char *rest;
    if (strncmp(url, "wss://", 6) == 0 || strncmp(url, "https://", 8) == 0)
        *tls = 1;
    else if (strncmp(url, "ws://", 5) == 0 || strncmp(url, "http://", 7) == 0)
        *tls = 0;
    else
        return -1;
    rest = strstr(url, "://") + 3;
    size_t hl = strcspn(rest, "/?#");
    const char *slash = rest + hl;
    if (memchr(rest, '@', hl))
        return -1; /* credentials belong in the auth header */
    const char *colon = NULL;
    if (rest[0] == '[') {
        const char *close = memchr(rest, ']', hl);
        if (!close)
            return -1;
        if (close + 1 < slash && close[1] == ':')
            colon = close + 1;
        if ((size_t)(close - rest - 1) >= hostlen)
            return -1;
        memcpy(host, rest + 1, (size_t)(close - rest - 1));
        host[close - rest - 1] = '\0';
    } else {
        colon = memchr(rest, ':', hl);
        size_t n = colon ? (size_t)(colon - rest) : hl;
        if (n == 0 || n >= hostlen)
            return -1;
        memcpy(host, rest, n);
        host[n] = '\0';
    }
    *port = *tls ? 443 : 80;
    if (colon) {
        char *end;
        long p = strtol(colon + 1, &end, 10);
        if (end != slash || p <= 0 || p > 65535)
            return -1;
        *port = (int)p;
    }
    const char *pend = slash + strcspn(slash, "#");
    size_t pl = (size_t)(pend - slash);
    if (pl + 2 > pathlen)
        return -1;
    if (pl == 0 || slash[0] != '/') {
        path[0] = '/';
        memcpy(path + 1, slash, pl);
        path[pl + 1] = '\0';
    } else {
        memcpy(path, slash, pl);
        path[pl] = '\0';
    }
    return 0;
}

int ws_split_header(const char *line, char **name, char **value)
{
    const char *colon = strchr(line, ':');
    if (!colon || colon == line)
        return -1;
    size_t nl = (size_t)(colon - line);
    char *n = malloc(nl + 2);
    char *v = strdup(colon + 1 + strspn(colon + 1, " \t"));
    if (!n || !v) {
        free(n);
        free(v);
        return -1;
    }
    for (size_t i = 0; i < nl; i++)
        n[i] = (char)tolower((unsigned char)line[i]);
    n[nl] = ':';
    n[nl + 1] = '\0';
    *name = n;
    *value = v;
    return 0;
}
