/* Where the executor reads and writes notebooks, as papermill's I/O
 * handlers: a local path, "-" for stdin/stdout, or an http(s) URL (GET
 * with Accept: application/json, PUT of the raw notebook JSON, through the
 * host's HTTP service).  A NULL output writes nothing. */
#ifndef NBSOAR_JUPYTER_IO_H
#define NBSOAR_JUPYTER_IO_H

#include <stddef.h>
#include <jansson.h>
#include <nbsoar/plugin.h>

/* A new tree OWNED by the caller, or NULL with err naming the input. */
json_t *jupyter_read_notebook(const struct nbsoar_host *h, const char *where, char *err, size_t errlen);
/* 0, or -1 with err.  Local files are replaced atomically. */
int jupyter_write_notebook(const struct nbsoar_host *h, const json_t *nb, const char *where, char *err,
                           size_t errlen);
/* papermill's local handler check: the output's folder must exist.  0 for
 * stdout, URLs and NULL. */
int jupyter_check_output(const char *where, char *err, size_t errlen);
/* 1 when where is a local file (cheap to save to while running). */
int jupyter_output_is_file(const char *where);

#endif
