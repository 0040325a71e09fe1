/* The journal a config names, for the commands that read or poke it
 * (status, jobs, replay, retry) while the daemon may be running. */
#ifndef NBSOAR_CLI_JOURNAL_H
#define NBSOAR_CLI_JOURNAL_H

#include "config.h"
#include "journal.h"

/* Loads conf_path and opens its [host] journal (relative to the config;
 * default nbsoar.journal beside it).  On success *conf and the journal are
 * OWNED by the caller (conf_free, journal_close); NULL after printing the
 * problem as "nbsoar CMD: ...". */
struct journal *cli_journal_open(const char *cmd, const char *conf_path, int read_only,
                                 struct conf **conf);

/* getopt loop shared by the four commands: -c CONF, -h, global options,
 * plus the command's own long options handled by `own` (return 0 when
 * taken).  Returns 0, 1 (help printed) or -1 (usage error printed). */
int cli_journal_args(const char *cmd, const char *help, int argc, char **argv,
                     const struct option *own, int (*take)(int code, const char *arg, void *ud),
                     void *ud, const char **conf);

#endif
