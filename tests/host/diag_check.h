/* Looking into a struct diags from the config, config map and vault tests. */
#ifndef NBSOAR_TEST_DIAG_CHECK_H
#define NBSOAR_TEST_DIAG_CHECK_H

#include "diag.h"

/* 1 when some message of d equals want exactly. */
int has_msg(const struct diags *d, const char *want);
/* Every message of d to the test log, to see why a check failed. */
void dump(const struct diags *d);

#endif
