/* See diag_check.h. */
#include "diag_check.h"

#include <criterion/criterion.h>
#include <criterion/logging.h>
#include <string.h>

int has_msg(const struct diags *d, const char *want)
{
    for (size_t i = 0; i < d->n; i++)
        if (d->items[i].msg && strcmp(d->items[i].msg, want) == 0)
            return 1;
    return 0;
}

void dump(const struct diags *d)
{
    for (size_t i = 0; i < d->n; i++)
        cr_log_info("diag: %s", d->items[i].msg);
}
