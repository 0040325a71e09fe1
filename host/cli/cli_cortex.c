/* nbsoar cortex: a Cortex worker, the drop-in for the Python
 * "Jupyter_Run_Notebook" responder (and, with --analyzer, the analyzer).
 *
 *   nbsoar cortex [JOB_DIR] [--analyzer] [-c CONF]
 *
 * As cortexutils: JOB_DIR defaults to /job; JOB_DIR/input/input.json is
 * read and JOB_DIR/output/output.json written, or, when that file is
 * absent, the job is read from stdin and the report written to stdout.
 * Exit codes: 0 success, 1 the job failed (output.json says why), 2 usage. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_setup.h"
#include "cortex.h"
#include "log.h"
#include "redact.h"

static const char *const help =
    "usage: nbsoar cortex [JOB_DIR] [options]\n\n"
    "Runs a Cortex job: every notebook of config.input_paths on its own fresh kernel,\n"
    "in parallel, with thehive_organisation, thehive_user, thehive_input_type and\n"
    "thehive_input_value injected; reports their operations to TheHive.\n"
    "JOB_DIR (default /job) holds input/input.json and receives output/output.json;\n"
    "without input/input.json the job is read from stdin and the report written to stdout.\n\n"
    "  --analyzer         analyzer mode: inject thehive_observable_type/_value and report\n"
    "                     taxonomies from cells tagged 'taxonomies'\n"
    "  -c, --config CONF  the jupyter executor's settings (and vault) from CONF\n"
    "  -h, --help         this help\n" CLI_GLOBAL_HELP
    "\nExit codes: 0 success, 1 the job failed (the report says why), 2 usage error.\n";

struct cortex_args {
    const char *job_dir;
    const char *config;
    int analyzer;
};

static int parse_args(struct cortex_args *a, int argc, char **argv)
{
    static const struct option opts[] = {
        {"analyzer", no_argument, NULL, 'a'},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        CLI_GLOBAL_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    int c;
    while ((c = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        if (c == 'h') {
            fputs(help, stdout);
            return 1;
        } else if (c == 'a') {
            a->analyzer = 1;
        } else if (c == 'c') {
            a->config = optarg;
        } else if (!(c >= CLI_OPT_LOG_LEVEL && c <= CLI_OPT_LOG_FORMAT && cli_global_option(c, optarg) == 0)) {
            return -1;
        }
    }
    if (argc - optind > 1) {
        fprintf(stderr, "nbsoar cortex: unexpected argument '%s'\n", argv[optind + 1]);
        return -1;
    }
    a->job_dir = optind < argc ? argv[optind] : "/job";
    return 0;
}

/* The whole stream (OWNED, NUL-terminated), or NULL. */
static char *slurp(FILE *f, size_t *len)
{
    size_t cap = 65536, n = 0;
    char *buf = malloc(cap);
    while (buf) {
        n += fread(buf + n, 1, cap - n - 1, f);
        if (ferror(f) || feof(f))
            break;
        char *b = realloc(buf, cap * 2);
        if (!b) {
            free(buf);
            return NULL;
        }
        buf = b;
        cap *= 2;
    }
    if (!buf || ferror(f)) {
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    *len = n;
    return buf;
}

/* mkdir -p of the folder that will hold `file`. */
static int make_parent_dirs(const char *file, char *err, size_t errlen)
{
    char *p = strdup(file);
    if (!p)
        return -1;
    char *slash = strrchr(p, '/');
    int rc = 0;
    if (slash && slash != p) {
        *slash = '\0';
        for (char *s = p + 1; rc == 0; s++) {
            char keep = *s;
            if (keep != '/' && keep != '\0')
                continue;
            *s = '\0';
            if (mkdir(p, 0777) != 0 && errno != EEXIST) {
                snprintf(err, errlen, "cannot create the output folder %s: %s", p, strerror(errno));
                rc = -1;
            }
            *s = keep;
            if (!keep)
                break;
        }
    }
    free(p);
    return rc;
}

struct cortex_io {
    char *in_path, *out_path;   /* OWNED; out_path NULL: stdout */
    char *text;                 /* OWNED: the job as read */
    size_t len;
};

static int read_job(const struct cortex_args *a, struct cortex_io *io, char *err, size_t errlen)
{
    struct stat st;
    if (asprintf(&io->in_path, "%s/input/input.json", a->job_dir) < 0)
        return -1;
    if (stat(io->in_path, &st) == 0) {
        if (asprintf(&io->out_path, "%s/output/output.json", a->job_dir) < 0)
            return -1;
        FILE *f = fopen(io->in_path, "r");
        io->text = f ? slurp(f, &io->len) : NULL;
        if (f)
            fclose(f);
        if (!io->text)
            snprintf(err, errlen, "cannot read %s: %s", io->in_path, strerror(errno));
        return io->text ? 0 : -1;
    }
    if (isatty(STDIN_FILENO)) {
        snprintf(err, errlen, "Input file doesn't exist: %s (and stdin is a terminal)", io->in_path);
        return -1;
    }
    io->text = slurp(stdin, &io->len);
    if (!io->text)
        snprintf(err, errlen, "cannot read the job from stdin");
    return io->text ? 0 : -1;
}

static int write_report(const struct cortex_io *io, const json_t *report)
{
    size_t flags = JSON_COMPACT | JSON_ENSURE_ASCII;
    if (!io->out_path) {
        int rc = json_dumpf(report, stdout, flags);
        fputc('\n', stdout);
        return fflush(stdout) == 0 && rc == 0 ? 0 : -1;
    }
    char err[512];
    if (make_parent_dirs(io->out_path, err, sizeof err) != 0 || json_dump_file(report, io->out_path, flags) != 0) {
        fprintf(stderr, "nbsoar cortex: cannot write %s\n", io->out_path);
        return -1;
    }
    return 0;
}

/* cortexutils exports the proxy settings to the environment; the HTTP
 * client and the kernels then use them. */
static void apply_proxy(const struct cortex_job *job)
{
    if (job->proxy_http) {
        setenv("http_proxy", job->proxy_http, 1);
        setenv("HTTP_PROXY", job->proxy_http, 1);
    }
    if (job->proxy_https) {
        setenv("https_proxy", job->proxy_https, 1);
        setenv("HTTPS_PROXY", job->proxy_https, 1);
    }
}

/* s with every '%' doubled (OWNED): an executor that applies strftime to
 * output folders must leave the already expanded ones as they are. */
static char *percent_escaped(char *s)
{
    size_t extra = 0;
    for (const char *p = s; *p; p++)
        extra += *p == '%';
    char *out = malloc(strlen(s) + extra + 1), *o = out;
    for (const char *p = s; out && *p; p++) {
        *o++ = *p;
        if (*p == '%')
            *o++ = '%';
    }
    if (out)
        *o = '\0';
    free(s);
    return out;
}

/* Locations of every notebook; local output folders are created. */
static int plan(const struct cortex_job *job, int executor_expands, struct cortex_nb *nbs, size_t n, char *err,
                size_t errlen)
{
    char *id = cortex_job_id(job, err, errlen);
    char *folder = id ? cortex_output_folder(job, time(NULL), err, errlen) : NULL;
    int rc = folder ? 0 : -1;
    for (size_t i = 0; rc == 0 && i < n; i++) {
        nbs[i].path = json_string_value(json_array_get(job->input_paths, i));
        nbs[i].input = cortex_input_location(job, nbs[i].path);
        nbs[i].output = cortex_output_location(job, folder, id, nbs[i].path);
        if (!nbs[i].input || !nbs[i].output) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        } else if (!cortex_is_http(nbs[i].output)) {
            rc = make_parent_dirs(nbs[i].output, err, errlen);
        }
        if (rc == 0 && executor_expands && !(nbs[i].output = percent_escaped(nbs[i].output))) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        }
    }
    free(id);
    free(folder);
    return rc;
}

static json_t *executor_options(void)
{
    return json_pack("{s:b}", "progress", 0);
}

/* The failure message for notebooks that did not succeed. */
static char *failures_message(const struct cortex_nb *nbs, size_t n)
{
    size_t failed = 0;
    for (size_t i = 0; i < n; i++)
        failed += nbs[i].status != NBSOAR_JOB_SUCCEEDED;
    if (!failed)
        return NULL;
    char *msg = NULL;
    if (asprintf(&msg, "%zu of %zu notebooks failed", failed, n) < 0)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (nbs[i].status == NBSOAR_JOB_SUCCEEDED)
            continue;
        char *m = NULL;
        if (asprintf(&m, "%s\n%s: %s (output notebook: %s)", msg, nbs[i].path, nbs[i].error ? nbs[i].error : "",
                     nbs[i].output ? nbs[i].output : "none") < 0)
            break;
        free(msg);
        msg = m;
    }
    return msg;
}

/* 1 when the executor's config table has `key`. */
static int plugin_has_key(const struct loaded_plugin *p, const char *key)
{
    for (const struct nbsoar_config_key *k = p ? p->def.config : NULL; k && k->name; k++) {
        if (strcmp(k->name, key) == 0)
            return 1;
    }
    return 0;
}

static void setup_problems(const struct cli_setup *s, char *err, size_t errlen)
{
    size_t used = (size_t)snprintf(err, errlen, "the jupyter executor cannot start:");
    for (size_t i = 0; i < s->diags.n && used < errlen; i++)
        used += (size_t)snprintf(err + used, errlen - used, " %s", s->diags.items[i].msg ? s->diags.items[i].msg : "");
}

/* The jupyter executor: its section in -c CONF (or defaults) for local
 * notebooks, the job's server for remote ones (token through the
 * environment, which the executor reads once at start). */
static int start_executor(struct cli_setup *s, const struct cortex_job *job, struct plugin_instance **inst,
                          char *err, size_t errlen)
{
    struct cortex_remote r;
    if (cortex_remote_settings(job, &r) != 0) {
        cortex_remote_free(&r);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc;
    if (r.n == 0) {
        rc = cli_setup_start_plugin(s, CONF_EXECUTOR, "jupyter", 0, inst);
    } else {
        struct conf_section sec = {.kind = CONF_EXECUTOR, .name = "cortex", .entries = r.entries, .n_entries = r.n};
        setenv("JUPYTER_TOKEN", job->input_token, 1);
        rc = cli_setup_start_section(s, &sec, 0, inst);
        unsetenv("JUPYTER_TOKEN");
    }
    cortex_remote_free(&r);
    if (rc != 0)
        setup_problems(s, err, errlen);
    return rc;
}

/* Runs the checked job; returns the report (OWNED) or NULL with err. */
static json_t *run_job(const struct cortex_args *a, const struct cortex_job *job, char *err, size_t errlen)
{
    size_t n = json_array_size(job->input_paths);
    struct cortex_nb *nbs = NULL;
    json_t *report = NULL;
    struct cli_setup s;
    struct plugin_instance *inst = NULL;
    if (cli_setup_load(&s, a->config, a->config ? 0 : CLI_SETUP_NO_VAULT) < 0) {
        setup_problems(&s, err, errlen);
        goto out;
    }
    /* an executor with remote servers also expands strftime in output folders */
    int remote = plugin_has_key(plugin_set_find(&s.plugins, "jupyter"), "server");
    if (cortex_remote_check(job, remote, err, errlen) != 0)
        goto out;
    nbs = calloc(n, sizeof *nbs);
    if (!nbs || plan(job, remote, nbs, n, err, errlen) != 0 || start_executor(&s, job, &inst, err, errlen) != 0)
        goto out;
    json_t *params = cortex_parameters(job), *options = executor_options();
    cortex_run_all(inst, nbs, n, params, options);
    json_decref(params);
    json_decref(options);

    char *failed = failures_message(nbs, n);
    if (failed) {
        snprintf(err, errlen, "%s", failed);
        free(failed);
        goto out;
    }
    report = cortex_report_success(job, nbs, n, err, errlen);
out:
    plugin_instance_stop(inst);
    cli_setup_free(&s);
    for (size_t i = 0; nbs && i < n; i++)
        cortex_nb_free(&nbs[i]);
    free(nbs);
    return report;
}

static int run(int argc, char **argv)
{
    struct cortex_args a = {0};
    int prc = parse_args(&a, argc, argv);
    if (prc != 0)
        return prc > 0 ? CLI_OK : cli_usage_error("cortex");
    struct cortex_io io = {0};
    struct cortex_job job = {0};
    char err[4096] = "";
    json_t *report = NULL;
    if (read_job(&a, &io, err, sizeof err) == 0 &&
        cortex_job_parse(&job, io.text, io.len, io.out_path ? "input.json" : "stdin", a.analyzer, err,
                         sizeof err) == 0) {
        apply_proxy(&job);
        report = run_job(&a, &job, err, sizeof err);
    }
    if (!report) {
        report = cortex_report_failure(job.doc, err);
        char *shown = redact_dup(err);
        fprintf(stderr, "nbsoar cortex: %s\n", shown ? shown : "failed");
        free(shown);
    }
    int ok = json_is_true(json_object_get(report, "success"));
    int wrc = write_report(&io, report);
    json_decref(report);
    cortex_job_free(&job);
    if (io.text)
        explicit_bzero(io.text, io.len);
    free(io.text);
    free(io.in_path);
    free(io.out_path);
    return ok && wrc == 0 ? CLI_OK : CLI_FAILED;
}

const struct cli_command cli_cmd_cortex = {
    .name = "cortex",
    .summary = "run a Cortex responder/analyzer job (nbsoar cortex [JOB_DIR] [--analyzer])",
    .run = run,
};
