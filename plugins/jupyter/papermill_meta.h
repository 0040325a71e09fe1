/* The metadata papermill 2.6.0 writes into an executed notebook, and its
 * failure report: metadata.papermill on the notebook and on every cell, the
 * cell life cycle (pending, running, completed, failed), the two error marker
 * cells, and the scan that turns error outputs into the run's exception.
 * Timestamps are papermill 2.6.0's naive datetime.utcnow().isoformat(). */
#ifndef NBSOAR_PAPERMILL_META_H
#define NBSOAR_PAPERMILL_META_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

#define PAPERMILL_ERROR_MARKER_TAG "papermill-error-cell-tag"
/* The papermill release whose output format this reproduces; written as
 * metadata.papermill.version when the input has no papermill block. */
#define PAPERMILL_FORMAT_VERSION "2.6.0"

/* Wall clock in microseconds since the epoch (UTC). */
int64_t pm_now_us(void);
/* Python's datetime.utcfromtimestamp(us).isoformat(): no fraction when the
 * microseconds are 0, six digits otherwise.  out needs 32 bytes. */
void pm_format_iso(int64_t us, char out[32]);
/* Python's timedelta.total_seconds() for a difference in microseconds. */
double pm_seconds(int64_t delta_us);

/* What iorw.load_notebook_node adds: the default metadata.papermill block
 * when absent, and metadata.tags = [] / metadata.papermill = {} on cells
 * that lack them. */
void pm_load_defaults(json_t *nb);
/* execute.prepare_notebook_metadata plus remove_error_markers: hides code
 * inputs in report mode, records the paths (a NULL path is written as null),
 * drops marker cells of an earlier run. */
void pm_prepare(json_t *nb, const char *input_path, const char *output_path, int report_mode);

/* The engine's life cycle calls (engines.py NotebookExecutionManager). */
void pm_notebook_start(json_t *nb, int64_t start_us);
void pm_cell_start(json_t *cell, int64_t now_us);
void pm_cell_exception(json_t *nb, json_t *cell);
void pm_cell_complete(json_t *cell, int64_t now_us);
void pm_notebook_complete(json_t *nb, int64_t start_us, int64_t end_us);

/* The first error raise_for_execution_errors finds (the last error output
 * wins across cells, as in papermill).  Strings are OWNED by the struct. */
struct pm_error {
    int found;
    int cell_index;
    json_int_t exec_count;   /* -1: null */
    char *ename, *evalue;
    char *traceback;         /* lines joined by "\n", ANSI colours stripped */
};
/* Scans nb; fills e (e->found 0 when the run counts as a success, including
 * SystemExit with '' or '0'). */
void pm_find_error(const json_t *nb, struct pm_error *e);
void pm_error_clear(struct pm_error *e);
/* Inserts the anchor cell before the failing cell and the banner at 0. */
void pm_insert_error_markers(json_t *nb, const struct pm_error *e);
/* str(PapermillExecutionError) prefixed with the cell index and the
 * exception, e.g. "cell 3, In [2]: ValueError: bad\n-----...".  OWNED. */
char *pm_error_message(const struct pm_error *e);

/* ansicolors' strip_color: removes ESC[...m and ESC[K sequences.  OWNED. */
char *pm_strip_color(const char *s);

#endif
