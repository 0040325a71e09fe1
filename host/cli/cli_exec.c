/* nbsoar exec: papermill's command line on the jupyter executor plugin.
 *
 *   nbsoar exec INPUT [OUTPUT] [options]
 *
 * As papermill 2.6.0: "-" is stdin/stdout; with a piped stdin and one path
 * the path is the output; with stdout not a terminal the output defaults to
 * "-"; writing to stdout turns saving during the run off and lowers the log
 * level to error.  Parameters merge in papermill's order whatever the order
 * on the command line: --inject-* paths, -b, -f, -y, -p, -r (later wins).
 * Exit codes: 0 ok, 1 the notebook failed, 138 the kernel died, 2 usage. */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "cli_setup.h"
#include "log.h"
#include "parameters.h"

static const char *const help =
    "usage: nbsoar exec INPUT [OUTPUT] [options]\n\n"
    "Runs a notebook as papermill does: injects parameters after the cell\n"
    "tagged 'parameters', executes every cell on a fresh kernel and writes the\n"
    "executed notebook to OUTPUT ('-': stdout; INPUT '-': stdin).\n\n"
    "parameters (merged -b, -f, -y, -p, -r; later wins):\n"
    "  -p, --parameters NAME VALUE      VALUE typed as papermill: True/False/None, int, float, str\n"
    "  -r, --parameters-raw NAME VALUE  VALUE kept as a string\n"
    "  -y, --parameters-yaml YAML       a YAML mapping\n"
    "  -f, --parameters-file FILE       a YAML file\n"
    "  -b, --parameters-base64 B64      a base64-encoded YAML mapping\n"
    "      --secret NAME                NAME's value never reaches the notebook: the kernel reads it\n"
    "                                   from its environment (repeatable)\n"
    "      --inject-input-path          parameter PAPERMILL_INPUT_PATH\n"
    "      --inject-output-path         parameter PAPERMILL_OUTPUT_PATH\n"
    "      --inject-paths               both\n\n"
    "execution:\n"
    "  -k, --kernel NAME                kernelspec (default: the notebook's)\n"
    "  -l, --language LANG              language for parameters and kernel choice\n"
    "      --cwd DIR                    the kernel's working directory\n"
    "      --prepare-only               inject and write, do not execute\n"
    "      --report-mode                hide code cell inputs\n"
    "      --start-timeout S            kernel start-up limit (default 60)\n"
    "      --execution-timeout S        per cell: interrupt, then give up (default: none)\n"
    "      --engine NAME                only nbclient (the default) is known\n\n"
    "output:\n"
    "      --log-output                 log cell output\n"
    "      --stdout-file FILE           write the cells' stdout there\n"
    "      --stderr-file FILE           write the cells' stderr there\n"
    "      --request-save-on-cell-execute / --no-request-save-on-cell-execute\n"
    "                                   save while running (default on)\n"
    "      --autosave-cell-every S      save at most every S seconds while running (default 30;\n"
    "                                   0: at every cell start and end, as papermill)\n"
    "      --progress-bar / --no-progress-bar\n"
    "                                   cells done on a terminal (default on unless --log-output)\n"
    "      --operations FILE            write the operations the notebook emitted as a JSON array\n\n"
    "remote (a Jupyter Server, or a JupyterHub user's named server):\n"
    "      --remote URL                 run there; INPUT and OUTPUT may be .../api/contents/... URLs\n"
    "      --token-file FILE            the API token (default: $JUPYTER_TOKEN)\n"
    "      --hub-user NAME              URL is a JupyterHub: use NAME's named server\n"
    "      --hub-server NAME            the named server (default nbsoar)\n"
    "      --stop-server-after          stop the named server afterwards if this run started it\n"
    "      --ca-file FILE               trust this PEM bundle for the server\n"
    "      --no-verify-tls              do not verify the server's certificate\n"
    "      --ws-protocol P              auto, v1 or legacy kernel WebSocket protocol\n"
    "  -c, --config CONF                take the executor's settings (and vault) from CONF\n"
    "  -h, --help                       this help\n" CLI_GLOBAL_HELP
    "\nExit codes: 0 ok, 1 the notebook failed, 138 the kernel died, 2 usage error.\n";

enum {
    OPT_SECRET = 0x2000, OPT_INJECT_IN, OPT_INJECT_OUT, OPT_INJECT_BOTH, OPT_CWD, OPT_PREPARE,
    OPT_REPORT, OPT_START_TO, OPT_EXEC_TO, OPT_ENGINE, OPT_LOG_OUTPUT, OPT_STDOUT_FILE,
    OPT_STDERR_FILE, OPT_SAVE, OPT_NO_SAVE, OPT_AUTOSAVE, OPT_PROGRESS, OPT_NO_PROGRESS, OPT_OPERATIONS,
    OPT_REMOTE, OPT_TOKEN_FILE, OPT_HUB_USER, OPT_HUB_SERVER, OPT_STOP_SERVER, OPT_CA_FILE, OPT_NO_VERIFY,
    OPT_WS_PROTOCOL,
};

#define MAX_REMOTE_KEYS 8

/* What the command line said, before it becomes a job. */
struct exec_args {
    json_t *options;             /* the plugin's options object */
    struct param_cli params;     /* -b -f -y -p -r, merged in papermill's order */
    const char **secrets;        /* NULL-terminated */
    size_t n_secrets;
    int progress;                /* -1: default */
    int log_output;
    const char *input, *output;
    const char *config;          /* -c: an [executor NAME] with plugin = jupyter, may be NULL */
    /* remote flags: executor keys that override the section's */
    struct conf_entry remote[MAX_REMOTE_KEYS];
    size_t n_remote;
};

static void remote_key(struct exec_args *a, const char *key, const char *value)
{
    for (size_t i = 0; i < a->n_remote; i++) {
        if (strcmp(a->remote[i].key, key) == 0) {
            a->remote[i].value = (char *)value;
            return;
        }
    }
    if (a->n_remote < MAX_REMOTE_KEYS)
        a->remote[a->n_remote++] = (struct conf_entry){.key = (char *)key, .value = (char *)value};
}

static int seconds_opt(json_t *options, const char *key, const char *flag, const char *text)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (errno || end == text || *end || !isfinite(v) || v < 0) {
        fprintf(stderr, "nbsoar exec: %s: '%s' is not a number of seconds\n", flag, text);
        return -1;
    }
    json_object_set_new(options, key, json_real(v));
    return 0;
}

/* -p and -r take two values (getopt hands us the first); -b, -f, -y one. */
static int param_opt(struct exec_args *a, enum param_source src, int argc, char **argv, const char *flag)
{
    const char *value = NULL;
    if (src == PARAM_TYPED || src == PARAM_RAW) {
        if (optind >= argc) {
            fprintf(stderr, "nbsoar exec: %s needs NAME and VALUE\n", flag);
            return -1;
        }
        value = argv[optind++];
    }
    char err[512] = "";
    if (param_cli_add(&a->params, src, optarg, value, err, sizeof err) != 0) {
        fprintf(stderr, "nbsoar exec: %s: %s\n", flag, err);
        return -1;
    }
    return 0;
}

static int parse_args(struct exec_args *a, int argc, char **argv)
{
    static const struct option opts[] = {
        {"parameters", required_argument, NULL, 'p'},
        {"parameters-raw", required_argument, NULL, 'r'},
        {"parameters_raw", required_argument, NULL, 'r'},
        {"parameters-yaml", required_argument, NULL, 'y'},
        {"parameters_yaml", required_argument, NULL, 'y'},
        {"parameters-file", required_argument, NULL, 'f'},
        {"parameters_file", required_argument, NULL, 'f'},
        {"parameters-base64", required_argument, NULL, 'b'},
        {"parameters_base64", required_argument, NULL, 'b'},
        {"kernel", required_argument, NULL, 'k'},
        {"language", required_argument, NULL, 'l'},
        {"secret", required_argument, NULL, OPT_SECRET},
        {"inject-input-path", no_argument, NULL, OPT_INJECT_IN},
        {"inject-output-path", no_argument, NULL, OPT_INJECT_OUT},
        {"inject-paths", no_argument, NULL, OPT_INJECT_BOTH},
        {"cwd", required_argument, NULL, OPT_CWD},
        {"prepare-only", no_argument, NULL, OPT_PREPARE},
        {"report-mode", no_argument, NULL, OPT_REPORT},
        {"start-timeout", required_argument, NULL, OPT_START_TO},
        {"start_timeout", required_argument, NULL, OPT_START_TO},
        {"execution-timeout", required_argument, NULL, OPT_EXEC_TO},
        {"engine", required_argument, NULL, OPT_ENGINE},
        {"log-output", no_argument, NULL, OPT_LOG_OUTPUT},
        {"stdout-file", required_argument, NULL, OPT_STDOUT_FILE},
        {"stderr-file", required_argument, NULL, OPT_STDERR_FILE},
        {"request-save-on-cell-execute", no_argument, NULL, OPT_SAVE},
        {"no-request-save-on-cell-execute", no_argument, NULL, OPT_NO_SAVE},
        {"autosave-cell-every", required_argument, NULL, OPT_AUTOSAVE},
        {"progress-bar", no_argument, NULL, OPT_PROGRESS},
        {"no-progress-bar", no_argument, NULL, OPT_NO_PROGRESS},
        {"operations", required_argument, NULL, OPT_OPERATIONS},
        {"remote", required_argument, NULL, OPT_REMOTE},
        {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
        {"hub-user", required_argument, NULL, OPT_HUB_USER},
        {"hub-server", required_argument, NULL, OPT_HUB_SERVER},
        {"stop-server-after", no_argument, NULL, OPT_STOP_SERVER},
        {"ca-file", required_argument, NULL, OPT_CA_FILE},
        {"no-verify-tls", no_argument, NULL, OPT_NO_VERIFY},
        {"ws-protocol", required_argument, NULL, OPT_WS_PROTOCOL},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        CLI_GLOBAL_LONG_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    json_t *o = a->options;
    int c;
    while ((c = getopt_long(argc, argv, "p:r:y:f:b:k:l:c:h", opts, NULL)) != -1) {
        int rc = 0;
        switch (c) {
        case 'h':
            fputs(help, stdout);
            return 1;
        case 'p': rc = param_opt(a, PARAM_TYPED, argc, argv, "-p"); break;
        case 'r': rc = param_opt(a, PARAM_RAW, argc, argv, "-r"); break;
        case 'y': rc = param_opt(a, PARAM_YAML, argc, argv, "-y"); break;
        case 'f': rc = param_opt(a, PARAM_FILE, argc, argv, "-f"); break;
        case 'b': rc = param_opt(a, PARAM_BASE64, argc, argv, "-b"); break;
        case 'c': a->config = optarg; break;
        case 'k': json_object_set_new(o, "kernel", json_string(optarg)); break;
        case 'l': json_object_set_new(o, "language", json_string(optarg)); break;
        case OPT_SECRET: {
            const char **n = realloc(a->secrets, (a->n_secrets + 2) * sizeof *n);
            if (!n)
                return -1;
            a->secrets = n;
            a->secrets[a->n_secrets++] = optarg;
            a->secrets[a->n_secrets] = NULL;
            break;
        }
        case OPT_INJECT_IN: json_object_set_new(o, "inject_input_path", json_true()); break;
        case OPT_INJECT_OUT: json_object_set_new(o, "inject_output_path", json_true()); break;
        case OPT_INJECT_BOTH: json_object_set_new(o, "inject_paths", json_true()); break;
        case OPT_CWD: json_object_set_new(o, "cwd", json_string(optarg)); break;
        case OPT_PREPARE: json_object_set_new(o, "prepare_only", json_true()); break;
        case OPT_REPORT: json_object_set_new(o, "report_mode", json_true()); break;
        case OPT_START_TO: rc = seconds_opt(o, "start_timeout", "--start-timeout", optarg); break;
        case OPT_EXEC_TO: rc = seconds_opt(o, "execution_timeout", "--execution-timeout", optarg); break;
        case OPT_ENGINE:
            if (strcmp(optarg, "nbclient") != 0) {
                fprintf(stderr, "nbsoar exec: No engine named '%s' found\n", optarg);
                rc = -1;
            }
            break;
        case OPT_LOG_OUTPUT:
            a->log_output = 1;
            json_object_set_new(o, "log_output", json_true());
            break;
        case OPT_STDOUT_FILE: json_object_set_new(o, "stdout_file", json_string(optarg)); break;
        case OPT_STDERR_FILE: json_object_set_new(o, "stderr_file", json_string(optarg)); break;
        case OPT_SAVE: json_object_set_new(o, "request_save_on_cell_execute", json_true()); break;
        case OPT_NO_SAVE: json_object_set_new(o, "request_save_on_cell_execute", json_false()); break;
        case OPT_AUTOSAVE: rc = seconds_opt(o, "autosave_cell_every", "--autosave-cell-every", optarg); break;
        case OPT_PROGRESS: a->progress = 1; break;
        case OPT_NO_PROGRESS: a->progress = 0; break;
        case OPT_OPERATIONS: json_object_set_new(o, "operations_file", json_string(optarg)); break;
        case OPT_REMOTE: remote_key(a, "server", optarg); break;
        case OPT_TOKEN_FILE: remote_key(a, "token_file", optarg); break;
        case OPT_HUB_USER: remote_key(a, "hub_user", optarg); break;
        case OPT_HUB_SERVER: remote_key(a, "hub_server", optarg); break;
        case OPT_STOP_SERVER: remote_key(a, "stop_server_after", "true"); break;
        case OPT_CA_FILE: remote_key(a, "ca_file", optarg); break;
        case OPT_NO_VERIFY: remote_key(a, "verify_tls", "false"); break;
        case OPT_WS_PROTOCOL: remote_key(a, "ws_protocol", optarg); break;
        default:
            if (c >= CLI_OPT_LOG_LEVEL && c <= CLI_OPT_LOG_FORMAT && cli_global_option(c, optarg) == 0)
                break;
            rc = -1;
        }
        if (rc != 0)
            return -1;
    }
    int npos = argc - optind;
    if (npos > 2) {
        fprintf(stderr, "nbsoar exec: unexpected argument '%s'\n", argv[optind + 2]);
        return -1;
    }
    struct stat st;
    int input_piped = fstat(STDIN_FILENO, &st) == 0 && S_ISFIFO(st.st_mode);
    int output_piped = !isatty(STDOUT_FILENO);
    const char *first = npos > 0 ? argv[optind] : NULL, *second = npos > 1 ? argv[optind + 1] : NULL;
    if (!second && !(input_piped || output_piped)) {
        fprintf(stderr, "nbsoar exec: Missing argument 'OUTPUT'\n");
        return -1;
    }
    if (input_piped && first && !second) {
        a->input = "-";
        a->output = first;
    } else {
        a->input = first ? first : "-";
        a->output = second ? second : "-";
    }
    return 0;
}

static void free_result(struct nbsoar_run_result *r)
{
    free(r->output);
    free(r->output_link);
    free(r->error);
    json_decref(r->operations);
    json_decref(r->taxonomies);
    json_decref(r->details);
}

/* The jupyter executor from its section (or defaults), with the remote
 * flags in place of the section's keys of the same names. */
static int start_plugin(struct cli_setup *s, const struct exec_args *a, struct plugin_instance **inst)
{
    if (a->n_remote == 0)
        return cli_setup_start_plugin(s, CONF_EXECUTOR, "jupyter", 0, inst);
    const struct conf_section *base = NULL;
    for (const struct conf_section *sec = s->conf ? conf_next(s->conf, CONF_EXECUTOR, NULL) : NULL; sec;
         sec = conf_next(s->conf, CONF_EXECUTOR, sec)) {
        const char *p = conf_get(sec, "plugin");
        if (p && strcmp(p, "jupyter") == 0) {
            base = sec;
            break;
        }
    }
    size_t n_base = base ? base->n_entries : 0, n = 0;
    struct conf_entry *entries = calloc(n_base + a->n_remote + 1, sizeof *entries);
    if (!entries)
        return -1;
    entries[n++] = (struct conf_entry){.key = "plugin", .value = "jupyter"};
    for (size_t i = 0; i < n_base; i++) {
        int overridden = strcmp(base->entries[i].key, "plugin") == 0;
        for (size_t j = 0; j < a->n_remote && !overridden; j++)
            overridden = strcmp(base->entries[i].key, a->remote[j].key) == 0;
        if (!overridden)
            entries[n++] = base->entries[i];
    }
    for (size_t j = 0; j < a->n_remote; j++)
        entries[n++] = a->remote[j];
    struct conf_section sec = {.kind = CONF_EXECUTOR, .name = base ? base->name : "jupyter",
                               .line = base ? base->line : 0, .entries = entries, .n_entries = n};
    int rc = cli_setup_start_section(s, &sec, 0, inst);
    free(entries);
    return rc;
}

static int run_job(struct exec_args *a, json_t *params)
{
    struct cli_setup s;
    struct plugin_instance *inst = NULL;
    if (cli_setup_load(&s, a->config, a->config ? 0 : CLI_SETUP_NO_VAULT) < 0 ||
        start_plugin(&s, a, &inst) < 0) {
        diags_print(&s.diags, stderr);
        cli_setup_free(&s);
        return CLI_USAGE;
    }
    struct nbsoar_job job = {
        .id = "exec",
        .notebook = a->input,
        .output = a->output,
        .parameters = params,
        .secret_parameters = a->secrets,
        .options = a->options,
        .attempt = 1,
    };
    struct nbsoar_run_result res = {0};
    plugin_instance_run(inst, &job, &res);
    if (res.status != NBSOAR_JOB_SUCCEEDED && res.error)
        fprintf(stderr, "nbsoar exec: %s\n", res.error);
    if (res.output_link)
        log_write(NBSOAR_LOG_INFO, "exec", NULL, "output notebook: %s", res.output_link);
    int code = res.status == NBSOAR_JOB_SUCCEEDED ? CLI_OK : res.exit_code ? res.exit_code : CLI_FAILED;
    free_result(&res);
    plugin_instance_stop(inst);
    cli_setup_free(&s);
    return code;
}

static int run(int argc, char **argv)
{
    struct exec_args a = {.options = json_object(), .progress = -1};
    param_cli_init(&a.params);
    int code = CLI_USAGE;
    json_t *params = NULL;
    int prc = parse_args(&a, argc, argv);
    if (prc > 0) {
        code = CLI_OK;
        goto out;
    }
    if (prc < 0) {
        code = cli_usage_error("exec");
        goto out;
    }
    if (strcmp(a.output, "-") == 0) {
        /* the notebook is written to stdout once, and nothing else is */
        json_object_set_new(a.options, "request_save_on_cell_execute", json_false());
        if (!cli_log_level_given())
            cli_global_option(CLI_OPT_LOG_LEVEL, "error");
    }
    int progress = a.progress >= 0 ? a.progress : !a.log_output;
    json_object_set_new(a.options, "progress", json_boolean(progress));
    /* the injected paths are added by the plugin (options inject_*) */
    params = param_cli_merge(&a.params);
    code = run_job(&a, params);
out:
    json_decref(params);
    json_decref(a.options);
    param_cli_free(&a.params);
    free(a.secrets);
    return code;
}

const struct cli_command cli_cmd_exec = {
    .name = "exec",
    .summary = "run a notebook like papermill (nbsoar exec INPUT OUTPUT -p NAME VALUE ...)",
    .run = run,
};
