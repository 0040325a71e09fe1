/* Turning IOPub messages into notebook outputs the way nbclient's
 * process_message does: output_from_msg for stream / display_data /
 * execute_result / error, clear_output (immediate, or deferred to the next
 * output with wait=True), and update_display_data rewriting every earlier
 * output that carries the same display_id, in any cell of the run.
 * transient is never stored. */
#ifndef NBSOAR_OUTPUTS_H
#define NBSOAR_OUTPUTS_H

#include <stddef.h>
#include <jansson.h>

struct display_ref;

struct output_state {
    json_t *cells;              /* borrowed: the notebook's cells array */
    struct display_ref *refs;   /* OWNED: display_id -> (cell, output) */
    size_t n_refs, cap_refs;
    int clear_pending;          /* clear_output(wait=True) seen */
};

void outputs_init(struct output_state *s, json_t *cells);
void outputs_free(struct output_state *s);
/* Starts a cell: a deferred clear does not carry over. */
void outputs_begin_cell(struct output_state *s);

/* Applies one IOPub message (content borrowed) for the cell at index.
 * Returns the output it appended (borrowed from the cell), or NULL when the
 * message adds none (status, execute_input, clear_output, updates, ...).
 * Sets cell.execution_count from any content that carries one. */
json_t *outputs_handle(struct output_state *s, size_t index, const char *msg_type,
                       const json_t *content);

/* nbclient's coalesce_streams option (off in papermill): merges every stream
 * of a name into its first occurrence, resolves backspaces and carriage
 * returns, and puts stdout before an adjacent stderr. */
void outputs_coalesce_streams(json_t *outputs);

#endif
