/* Routes from a parsed config: the glue between config.h and route_match.h. */
#ifndef NBSOAR_ROUTE_CONF_H
#define NBSOAR_ROUTE_CONF_H

#include "config.h"
#include "diag.h"
#include "route_match.h"

/* Builds the table from every [route NAME] section of c (borrowed; nothing
 * of it is kept).  Returns NULL when a route is wrong, each problem added to
 * d as "FILE:LINE: [route NAME] key: why"; an empty table when c has no
 * routes.  OWNED by the caller: route_table_free(). */
struct route_table *route_table_from_conf(const struct conf *c, struct diags *d);

#endif
