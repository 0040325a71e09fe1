/* The execution engine: runs every cell of a prepared notebook on a started
 * kernel the way papermill's PapermillNotebookClient does, through the
 * transport-neutral struct kernel only (local ZMQ today, Jupyter Server
 * WebSocket later).
 *
 * Per code cell: execute_request (stop_on_error false for a cell tagged
 * raises-exception), then IOPub messages of that request until status idle
 * AND the shell execute_reply, in any order; outputs as outputs.h builds
 * them; metadata.execution timestamps from the messages' header dates.
 * papermill's metadata life cycle comes from papermill_meta.h.
 *
 * Saving.  papermill rewrites the whole notebook at every cell start and
 * end, which costs O(cells) per cell (quadratic in all).  Here a save
 * happens at the start, then at a cell boundary or during a long cell only
 * once autosave_cell_every has passed since the last save (time-throttled;
 * doubled when a save takes over 25% of the interval, as papermill backs
 * off), and the caller writes the final notebook.  autosave_cell_every 0
 * gives papermill's save at every cell start and end (and no mid-cell
 * saves); request_save_on_cell_execute 0 turns saving during the run off. */
#ifndef NBSOAR_EXECUTE_H
#define NBSOAR_EXECUTE_H

#include <stdint.h>
#include <stdio.h>
#include <jansson.h>

#include "kernel.h"

enum exec_log_level {
    EXEC_LOG_INFO = 0,
    EXEC_LOG_WARN = 1,
};

struct exec_hooks {
    void *arg;
    /* Writes nb where the output goes; NULL: nowhere to save to. */
    int (*save)(void *arg, const json_t *nb, char *err, size_t errlen);
    /* Called at every cell start and end; label borrowed. May be NULL. */
    void (*progress)(void *arg, int done, int total, const char *label);
    /* --log-output lines. May be NULL. */
    void (*log)(void *arg, enum exec_log_level lvl, const char *text);
};

struct exec_opts {
    long execution_timeout_ms;     /* per cell; 0: none */
    int64_t stop_at_ms;            /* CLOCK_MONOTONIC ms when the whole job must end; 0: never */
    long interrupt_grace_ms;       /* wait after the timeout's interrupt before giving the cell up */
    long iopub_timeout_ms;         /* wait for idle after the reply (nbclient: 4 s) */
    int request_save_on_cell_execute;
    long autosave_cell_every_ms;   /* see above */
    int coalesce_streams;          /* nbclient's option; papermill leaves it off */
    int log_output;
    FILE *stdout_file, *stderr_file; /* raw stream text, borrowed, may be NULL */
    struct exec_hooks hooks;
};
/* papermill's defaults: saving on, 30 s autosave, 4 s IOPub wait, 5 s grace. */
void exec_opts_default(struct exec_opts *o);

enum exec_outcome {
    EXEC_COMPLETED = 0,   /* cells ran until the end or the first raising cell */
    EXEC_TIMEOUT,         /* a cell passed its execution timeout (or IOPub idle never came) */
    EXEC_KERNEL_DIED,     /* the kernel process exited or stopped answering */
    EXEC_TRANSPORT_ERROR, /* the transport failed; message says how */
};

struct exec_report {
    enum exec_outcome outcome;
    int cell_index;          /* the cell that timed out or was running when it ended; -1 */
    int kernel_unusable;     /* the kernel did not come back from an interrupt */
    int code_cells_run;
    int saves;
    int64_t start_us, end_us;
    char message[512];       /* set when outcome != EXEC_COMPLETED */
};

/* Runs nb (modified in place) on k.  The notebook must already carry
 * papermill's defaults (pm_load_defaults / pm_prepare).  Returns 0 when the
 * loop ran (see r->outcome), -1 only on bad arguments. */
int exec_notebook(struct kernel *k, json_t *nb, const struct exec_opts *o, struct exec_report *r);

#endif
