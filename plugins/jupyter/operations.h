/* Operations and taxonomies a playbook emits, read from an executed
 * notebook.  Cells tagged "operations": every stdout line is a JSON object
 * with a string "type" (blank lines are skipped), and every
 * application/json output is such an object or an array of them.  Cells
 * tagged "taxonomies": the same, without the "type" requirement.  A line or
 * value that does not qualify is never dropped silently: it becomes a
 * problem string "cell C line L: why" (or "cell C output O: why"). */
#ifndef NBSOAR_OPERATIONS_H
#define NBSOAR_OPERATIONS_H

#include <jansson.h>

/* All three out-parameters become new arrays OWNED by the caller. */
void operations_extract(const json_t *nb, json_t **operations, json_t **taxonomies, json_t **problems);

#endif
