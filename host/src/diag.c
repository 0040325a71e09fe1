#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>

#include "redact.h"

void diags_add(struct diags *d, const char *file, int line, const char *fmt, ...)
{
    char *body = NULL, *msg = NULL;
    va_list ap;
    va_start(ap, fmt);
    int rc = vasprintf(&body, fmt, ap);
    va_end(ap);
    if (rc < 0)
        body = NULL;
    if (body != NULL) {
        if (file != NULL && line > 0)
            rc = asprintf(&msg, "%s:%d: %s", file, line, body);
        else if (file != NULL)
            rc = asprintf(&msg, "%s: %s", file, body);
        else
            rc = asprintf(&msg, "%s", body);
        if (rc < 0)
            msg = NULL;
    }
    free(body);
    char **grown = realloc(d->msgs, (d->n + 1) * sizeof(*d->msgs));
    if (grown == NULL) {
        free(msg);
        return;
    }
    d->msgs = grown;
    d->msgs[d->n++] = msg;
}

size_t diags_count(const struct diags *d)
{
    return d->n;
}

void diags_print(const struct diags *d, FILE *out)
{
    for (size_t i = 0; i < d->n; i++) {
        char *clean = redact_dup(d->msgs[i] ? d->msgs[i] : "(out of memory)");
        fprintf(out, "%s\n", clean ? clean : "(out of memory)");
        free(clean);
    }
}

void diags_free(struct diags *d)
{
    for (size_t i = 0; i < d->n; i++)
        free(d->msgs[i]);
    free(d->msgs);
    d->msgs = NULL;
    d->n = 0;
}
