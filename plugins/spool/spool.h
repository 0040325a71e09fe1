/*
 * spool: a source that turns files into events.  Internal interface shared
 * by the plugin's files; see spool.c for the behaviour users rely on.
 */
#ifndef NBSOAR_SPOOL_H
#define NBSOAR_SPOOL_H

#include <stddef.h>
#include <sys/types.h>
#include <nbsoar/plugin.h>

#define SPOOL_REASON_MAX 512

struct spool {
    const struct nbsoar_host *host;
    char *path;           /* the folder, or the JSONL file (tail mode) */
    int is_folder;
    char *pattern;        /* fnmatch() pattern for folder entries */
    char *done_dir;       /* folder mode only */
    char *rejected_dir;
    size_t max_event_bytes;
    char *source_name;    /* filled into events without a source */
    int require_id;       /* 0: derive "sha256:..." ids */
    long batch;           /* events (files or lines) handled per poll */
};

/* spool_conf.c */
extern const struct nbsoar_config_key spool_config_keys[];
/* Reads config into sp (strings OWNED by sp); in normal mode also creates the
 * done/rejected folders.  Errors are logged through sp->host, naming the key. */
int spool_conf_load(struct spool *sp, const json_t *config);
void spool_conf_free(struct spool *sp);

/* spool_event.c */
/* Parses and checks one event from buf[0..len).  On NBSOAR_OK *event is a new
 * normalised event (OWNED by the caller); otherwise reason says why, in
 * words a person fixing the file understands. */
int spool_event_parse(const struct spool *sp, const char *buf, size_t len, json_t **event,
                      char *reason, size_t reasonlen);

/* spool_files.c */
/* mkdir -p. */
int spool_mkdirs(const char *dir, char *err, size_t errlen);
/* Renames dir_of_src/name into dir without overwriting: "a.json" becomes
 * "a-1.json", "a-2.json"... when taken.  final (may be NULL) gets the new
 * path. */
int spool_move(const char *src, const char *dir, const char *name, char *final, size_t finallen,
               char *err, size_t errlen);
/* Writes text plus a newline to path (replacing it). */
int spool_write_text(const char *path, const char *text, char *err, size_t errlen);
/* Appends one line (newline added) to path with a single write(). */
int spool_append_line(const char *path, const char *line, char *err, size_t errlen);
/* Moves src to the rejected folder and writes <final name>.reason beside it. */
int spool_reject_file(const struct spool *sp, const char *src, const char *name, const char *reason);

/* spool_jsonl.c */
/* Emits the complete lines of a JSONL file not yet consumed, per its cursor.
 * whole: the file is finished (folder mode), so a last line without a
 * newline counts too.  *finished is set when every line is consumed.
 * Returns NBSOAR_RETRY when the host refused an event for now. */
int spool_jsonl_consume(struct spool *sp, const char *path, int whole, const char *rejected_path,
                        int *finished, long *budget);
/* The cursor key of a JSONL file: "jsonl:<path>:<inode>". OWNED: free(). */
char *spool_jsonl_cursor_key(const char *path, ino_t inode);

#endif
