/* A list of problems found while loading config, vault and plugins.
 * Loaders append to it and keep going, so `nbsoar check` can report every
 * problem at once instead of stopping at the first. */
#ifndef NBSOAR_DIAG_H
#define NBSOAR_DIAG_H

#include <stddef.h>
#include <stdio.h>

#include "nbsoar/plugin.h"

struct diag {
    char *msg;  /* OWNED: "FILE:LINE: message", ready to print; NULL on ENOMEM */
    char *file; /* OWNED: NULL when the message names no file */
    int line;   /* 0 when it names no line */
};

struct diags {
    struct diag *items; /* OWNED, in the order they were found */
    size_t n;
};

/* Appends "FILE:LINE: message" ("FILE: message" when line is 0, just the
 * message when file is NULL).  Never fails visibly: on ENOMEM the message
 * is dropped, but diags_count() still grows so callers see the failure. */
void diags_add(struct diags *d, const char *file, int line, const char *fmt, ...)
    NBSOAR_PRINTF(4, 5);
size_t diags_count(const struct diags *d);
/* Moves every item of src to the end of dst; src is left empty. */
void diags_append(struct diags *dst, struct diags *src);
/* Orders by file (first appearance) then line, keeping the order of
 * messages on the same line, so a report reads top to bottom. */
void diags_sort(struct diags *d);
/* Writes each message on its own line, with registered secrets redacted. */
void diags_print(const struct diags *d, FILE *out);
void diags_free(struct diags *d);

#endif
