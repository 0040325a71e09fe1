/* nbsoar cortex: a Cortex worker that replaces the Python
 * "Jupyter_Run_Notebook" responder and analyzer.  Shared interfaces of:
 *
 *   cli_cortex.c     the command: job folder or stdin/stdout, the run, the report
 *   cortex_input.c   input.json read and checked (the ten configuration items, TLP/PAP)
 *   cortex_names.c   the job id per data type, input and output notebook locations
 *   cortex_run.c     every notebook on its own kernel, in parallel threads
 *   cortex_report.c  output.json for success and failure, secrets masked
 *   cortex_remote.c  notebooks on a Jupyter Server / JupyterHub: the executor's remote settings
 */
#ifndef NBSOAR_CORTEX_H
#define NBSOAR_CORTEX_H

#include <stddef.h>
#include <time.h>
#include <jansson.h>

#include "config.h"
#include "host_services.h"

/* The job as Cortex describes it.  Strings and json values are borrowed
 * from `doc`, which the struct owns. */
struct cortex_job {
    json_t *doc;                 /* OWNED: the whole input.json */
    int analyzer;                /* --analyzer: data is an observable string */
    const char *data_type;
    const json_t *data;          /* responder: object; analyzer: string */
    long tlp, pap;
    const char *organisation, *user;  /* parameters.organisation / .user, may be NULL */

    /* the Python responder's ten configuration items */
    const char *input_hostname, *output_hostname, *output_folder;
    const json_t *input_paths;   /* non-empty array of strings */
    const char *input_token, *output_token;  /* NULL when unset or empty */
    int input_is_hub, output_is_hub, execute_remotely;
    const char *hub_user;        /* any_handler_http_user, NULL when unset */

    const char *proxy_http, *proxy_https;  /* config.proxy.http / .https, may be NULL */
};

/* Parses `text` (len bytes; `where` names it in messages: "input.json" or
 * "stdin") and checks it.  Returns 0, or -1 with err; on -1 job->doc may
 * still hold the parsed document (for the failure report's "input").
 * Tokens are registered as secrets as soon as they are found. */
int cortex_job_parse(struct cortex_job *job, const char *text, size_t len, const char *where, int analyzer,
                     char *err, size_t errlen);
void cortex_job_free(struct cortex_job *job);

/* What the job's notebooks need: the id used in output names (the Python
 * responder's "case-1-task-2" ids, `~` dropped, unsafe characters as '_').
 * OWNED: free().  NULL with err when the data lacks the ids. */
char *cortex_job_id(const struct cortex_job *job, char *err, size_t errlen);

/* The parameters injected into every notebook (OWNED). */
json_t *cortex_parameters(const struct cortex_job *job);

/* Input notebook location: input_hostname (or its contents API root) joined
 * with path.  OWNED. */
char *cortex_input_location(const struct cortex_job *job, const char *path);

/* The output folder with strftime applied at `now` (OWNED), or NULL with
 * err when it expands to nothing. */
char *cortex_output_folder(const struct cortex_job *job, time_t now, char *err, size_t errlen);

/* Output notebook location: output_hostname (or its contents API root) /
 * folder / subfolders of path / id-basename(path).  OWNED. */
char *cortex_output_location(const struct cortex_job *job, const char *folder, const char *id,
                             const char *path);

/* A notebook path from input_paths is usable: relative, no "..". */
int cortex_path_ok(const char *path, char *err, size_t errlen);

/* 1 for an http:// or https:// location. */
int cortex_is_http(const char *location);

/* The contents API root of a Jupyter Server, or of the user's named
 * server "cortex_job" on a JupyterHub (no trailing '/').  OWNED. */
char *cortex_contents_root(const char *hostname, int is_hub, const char *user);

/* Whether the job's locations can run: 0, or -1 with err saying what to
 * change.  executor_has_remote: the jupyter executor knows remote servers. */
int cortex_remote_check(const struct cortex_job *job, int executor_has_remote, char *err, size_t errlen);

/* The [executor] entries (plugin, server, hub_user, hub_server, ca_file)
 * for a job whose input is on a server; none for local input.  The token
 * goes through $JUPYTER_TOKEN, not an entry.  Free with cortex_remote_free. */
struct cortex_remote {
    struct conf_entry entries[8]; /* keys and values OWNED */
    size_t n;
};
int cortex_remote_settings(const struct cortex_job *job, struct cortex_remote *r);
void cortex_remote_free(struct cortex_remote *r);

/* One notebook's run, filled by cortex_run_all. */
struct cortex_nb {
    const char *path;            /* borrowed from input_paths */
    char *input, *output;        /* OWNED locations */
    char *output_link;           /* OWNED: what the report shows */
    int status;                  /* enum nbsoar_job_status */
    char *error;                 /* OWNED, redacted, NULL on success */
    double duration_s;
    json_t *operations;          /* OWNED array */
    json_t *taxonomies;          /* OWNED array or NULL */
};

/* Runs every notebook (n of them) at once on the executor instance, one
 * thread and one fresh kernel each, with `params` injected and `options`
 * as job options.  Always fills every entry. */
void cortex_run_all(struct plugin_instance *exec, struct cortex_nb *nbs, size_t n, const json_t *params,
                    const json_t *options);
void cortex_nb_free(struct cortex_nb *nb);

/* output.json documents (OWNED). */
json_t *cortex_report_success(const struct cortex_job *job, const struct cortex_nb *nbs, size_t n, char *err,
                              size_t errlen);
/* {success: false, errorMessage, input} with every secret masked; input
 * may be NULL (not JSON). */
json_t *cortex_report_failure(const json_t *input, const char *message);
/* The notebooks' part of a report: [{name, status, duration, output_notebook, error}]. */
json_t *cortex_report_notebooks(const struct cortex_nb *nbs, size_t n);

#endif
