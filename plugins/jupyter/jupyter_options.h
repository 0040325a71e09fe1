/* job->options of the jupyter executor: papermill's flags as one JSON
 * object.  Every key is optional; unknown keys and wrong types are refused
 * with the key's name.  Seconds may be integers or reals.
 *
 *   kernel                        string   kernelspec name (-k); default: the notebook's kernelspec
 *   language                      string   language for the translator and kernel choice (-l)
 *   cwd                           string   the kernel's working directory (--cwd)
 *   report_mode                   bool     hide code cell inputs (--report-mode)
 *   prepare_only                  bool     inject and write, do not execute (--prepare-only)
 *   log_output                    bool     log cell output through the host log (--log-output)
 *   stdout_file, stderr_file      string   files that receive the raw stream text
 *   start_timeout                 seconds  kernel start-up limit, default 60
 *   execution_timeout             seconds  per cell, default none (0 or null: none)
 *   interrupt_grace               seconds  after a timeout's interrupt, before giving up; default 5
 *   iopub_timeout                 seconds  wait for IOPub idle after the reply; default 4
 *   inject_input_path             bool     parameter PAPERMILL_INPUT_PATH
 *   inject_output_path            bool     parameter PAPERMILL_OUTPUT_PATH
 *   inject_paths                  bool     both of the above
 *   request_save_on_cell_execute  bool     save while running, default true
 *   autosave_cell_every           seconds  save throttle, default 30 (0: at every cell, as papermill)
 *   progress                      bool     report cells done through the host progress service
 *   operations_file               string   write the operations as a JSON array there
 *   coalesce_streams              bool     nbclient's stream merging, default false (papermill's)
 *   input_name                    string   how the input is named in metadata and messages
 *                                          (default: job->notebook; "-" is read from stdin) */
#ifndef NBSOAR_JUPYTER_OPTIONS_H
#define NBSOAR_JUPYTER_OPTIONS_H

#include <stddef.h>
#include <jansson.h>
#include <nbsoar/plugin.h>

struct jupyter_options {
    /* strings are borrowed from the options object */
    const char *kernel, *language, *cwd, *stdout_file, *stderr_file, *operations_file, *input_name;
    int report_mode, prepare_only, log_output, inject_input_path, inject_output_path;
    int request_save_on_cell_execute, progress, coalesce_streams;
    long start_timeout_ms, execution_timeout_ms, interrupt_grace_ms, iopub_timeout_ms;
    long autosave_cell_every_ms;
};

/* defaults (the plugin's config section, see jupyter_options_from_config)
 * then options (job->options) are applied over the built-in defaults;
 * either may be NULL.  Strings borrow from them.  Returns 0, or -1 with err. */
int jupyter_options_parse(const json_t *defaults, const json_t *options, struct jupyter_options *o, char *err,
                          size_t errlen);

/* The [executor NAME] keys of the plugin: the same names as the options
 * (kernel, language, cwd, start_timeout, execution_timeout, interrupt_grace,
 * iopub_timeout, autosave_cell_every, request_save_on_cell_execute,
 * log_output, report_mode, coalesce_streams), durations as "30s", "2m". */
extern const struct nbsoar_config_key jupyter_config_keys[];
/* The config object init() got, as an options object (durations in
 * seconds).  OWNED by the caller. */
json_t *jupyter_options_from_config(const json_t *config);

#endif
