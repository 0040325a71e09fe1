#include "diag.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

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
    struct diag *grown = realloc(d->items, (d->n + 1) * sizeof(*d->items));
    if (grown == NULL) {
        free(msg);
        return;
    }
    d->items = grown;
    d->items[d->n++] = (struct diag){
        .msg = msg, .file = file ? strdup(file) : NULL, .line = file ? line : 0};
}

size_t diags_count(const struct diags *d)
{
    return d->n;
}

void diags_append(struct diags *dst, struct diags *src)
{
    struct diag *grown = realloc(dst->items, (dst->n + src->n + 1) * sizeof(*dst->items));
    if (grown == NULL) {
        diags_free(src);
        return;
    }
    dst->items = grown;
    for (size_t i = 0; i < src->n; i++)
        dst->items[dst->n++] = src->items[i];
    free(src->items);
    src->items = NULL;
    src->n = 0;
}

/* Rank of a file: the index of its first message; no file sorts first. */
static size_t file_rank(const struct diags *d, const char *file)
{
    if (file == NULL)
        return 0;
    for (size_t i = 0; i < d->n; i++)
        if (d->items[i].file != NULL && strcmp(d->items[i].file, file) == 0)
            return i + 1;
    return d->n + 1;
}

void diags_sort(struct diags *d)
{
    /* Insertion sort: stable, and reports hold a handful of lines. */
    size_t *rank = calloc(d->n ? d->n : 1, sizeof(*rank));
    if (rank == NULL)
        return;
    for (size_t i = 0; i < d->n; i++)
        rank[i] = file_rank(d, d->items[i].file);
    for (size_t i = 1; i < d->n; i++) {
        struct diag item = d->items[i];
        size_t r = rank[i], j = i;
        while (j > 0 && (rank[j - 1] > r || (rank[j - 1] == r && d->items[j - 1].line > item.line))) {
            d->items[j] = d->items[j - 1];
            rank[j] = rank[j - 1];
            j--;
        }
        d->items[j] = item;
        rank[j] = r;
    }
    free(rank);
}

void diags_print(const struct diags *d, FILE *out)
{
    for (size_t i = 0; i < d->n; i++) {
        const char *msg = d->items[i].msg ? d->items[i].msg : "(out of memory)";
        char *clean = redact_dup(msg);
        fprintf(out, "%s\n", clean ? clean : "(out of memory)");
        free(clean);
    }
}

void diags_free(struct diags *d)
{
    for (size_t i = 0; i < d->n; i++) {
        free(d->items[i].msg);
        free(d->items[i].file);
    }
    free(d->items);
    d->items = NULL;
    d->n = 0;
}
