/* nbformat 4 notebooks as jansson trees.  Reading accepts 4.0-4.5 with
 * multi-line strings as lists or strings; the tree keeps every field and
 * unknown metadata as is, with multi-line fields (source, stream text,
 * non-JSON mime values given as lists) joined into single strings, as
 * nbformat's rejoin_lines; transient fields (metadata.orig_nbformat,
 * orig_nbformat_minor, signature, cell metadata.trusted) are dropped.
 * Writing produces exactly what nbformat writes: 1-space indent, sorted
 * keys, ensure_ascii=False, source, stream text and the text/...,
 * application/javascript, image/svg+xml mime values split into lines,
 * a trailing newline; file writes are atomic (temp file + rename). */
#ifndef NBSOAR_NOTEBOOK_H
#define NBSOAR_NOTEBOOK_H

#include <stddef.h>
#include <jansson.h>

/* name: used in error messages (a path, "<stdin>", a URL).  Returns a new
 * tree (OWNED by the caller) or NULL with err naming the problem (JSON
 * syntax error with line and column, nbformat version, the cell index and
 * field that breaks the schema). */
json_t *notebook_parse(const char *text, size_t len, const char *name, char *err, size_t errlen);
json_t *notebook_read_file(const char *path, char *err, size_t errlen);
/* As notebook_parse, and repairs what nbformat's validate() repairs when
 * papermill reads a 4.5 notebook: a missing cell id is generated, a
 * repeated one replaced.  *warnings_out (OWNED, NULL when nothing was
 * repaired; may be NULL) gets one message per repair, naming the cell. */
json_t *notebook_parse_with_warnings(const char *text, size_t len, const char *name, json_t **warnings_out,
                                     char *err, size_t errlen);

/* Upgrades a 4.0-4.4 notebook to 4.5 as nbformat.v4.upgrade does: random
 * 8-hex cell ids, metadata.orig_nbformat_minor.  No-op on 4.5. */
void notebook_upgrade(json_t *nb);

/* nbformat's text for nb.  OWNED by the caller (free()); NULL on ENOMEM. */
char *notebook_dumps(const json_t *nb, size_t *len_out);
/* "-" writes to stdout.  Atomic for files. */
int notebook_write_file(const json_t *nb, const char *path, char *err, size_t errlen);

/* Helpers shared by the engine and the injector. */
const char *notebook_cell_source(const json_t *cell);           /* "" when absent */
int notebook_cell_has_tag(const json_t *cell, const char *tag);
int notebook_find_tagged(const json_t *nb, const char *tag);    /* first index or -1 */
void notebook_new_cell_id(char out[9]);                         /* 8 random hex chars */

#endif
