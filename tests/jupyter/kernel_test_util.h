/* Helpers for the kernel tests: temporary kernelspecs and running a cell
 * to completion (execute_reply + idle for the request). */
#ifndef NBSOAR_KERNEL_TEST_UTIL_H
#define NBSOAR_KERNEL_TEST_UTIL_H

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "kernel.h"

/* A fresh temp dir (OWNED by the caller, free()); aborts the test when
 * none can be made. */
static inline char *tu_mkdtemp(void)
{
    char *d = strdup("/tmp/nbsoar-test-XXXXXX");
    if (!d || !mkdtemp(d))
        abort();
    return d;
}

/* Writes root/kernels/name/kernel.json with text. */
static inline void tu_write_spec(const char *root, const char *name, const char *json_text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/kernels", root);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/kernels/%s", root, name);
    mkdir(path, 0700);
    snprintf(path, sizeof path, "%s/kernels/%s/kernel.json", root, name);
    FILE *f = fopen(path, "w");
    if (f) {
        fputs(json_text, f);
        fclose(f);
    }
}

static inline void tu_rm_rf(const char *dir)
{
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", dir);
}

/* Live (non-zombie) processes, from /proc, in process group pgid (< 0:
 * any) whose parent is ppid (< 0: any) and whose command is comm (NULL:
 * any). */
static inline int tu_count_procs(long pgid, long ppid, const char *comm)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    int n = 0;
    while (d && (e = readdir(d)) != NULL) {
        char path[300], buf[1024];
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        size_t len = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[len] = '\0';
        char *lp = strchr(buf, '('), *rp = strrchr(buf, ')');
        char state;
        long pp, pg;
        if (!lp || !rp || sscanf(rp + 1, " %c %ld %ld", &state, &pp, &pg) != 3 || state == 'Z')
            continue;
        if ((pgid < 0 || pg == pgid) && (ppid < 0 || pp == ppid) &&
            (!comm || (strlen(comm) == (size_t)(rp - lp - 1) && !memcmp(lp + 1, comm, strlen(comm)))))
            n++;
    }
    if (d)
        closedir(d);
    return n;
}

/* What one execution produced. */
struct tu_cell {
    int rc;              /* last recv code: KERNEL_RECV_MSG when complete */
    char err[512];
    char msg_id[37];
    json_t *reply;       /* execute_reply content, OWNED */
    json_t *iopub;       /* array of {msg_type, content} for this request, OWNED */
    char stdout_text[4096];
};

static inline void tu_cell_clear(struct tu_cell *c)
{
    json_decref(c->reply);
    json_decref(c->iopub);
    memset(c, 0, sizeof *c);
}

static inline int tu_send_execute(struct kernel *k, const char *code, char msg_id[37], char *err, size_t errlen)
{
    json_t *content = json_pack("{s:s, s:b, s:b, s:{}, s:b, s:b}", "code", code, "silent", 0, "store_history", 1,
                                "user_expressions", "allow_stdin", 0, "stop_on_error", 1);
    int rc = k->ops->send(k, KERNEL_SHELL, "execute_request", content, msg_id, err, errlen);
    json_decref(content);
    return rc;
}

/* Collects messages for msg_id until both the execute_reply and the idle
 * status arrived, or recv fails, or timeout_ms passes in one wait. */
static inline void tu_collect(struct kernel *k, struct tu_cell *c, int timeout_ms)
{
    int idle = 0;
    c->iopub = json_array();
    while (!(c->reply && idle)) {
        struct kernel_msg m;
        c->rc = k->ops->recv(k, timeout_ms, &m, c->err, sizeof c->err);
        if (c->rc != KERNEL_RECV_MSG)
            return;
        if (strcmp(m.parent_id, c->msg_id) == 0) {
            if (m.channel == KERNEL_SHELL && strcmp(m.msg_type, "execute_reply") == 0) {
                c->reply = json_incref(m.content);
            } else if (m.channel == KERNEL_IOPUB) {
                json_array_append_new(c->iopub, json_pack("{s:s, s:O}", "msg_type", m.msg_type, "content", m.content));
                const char *state = json_string_value(json_object_get(m.content, "execution_state"));
                if (strcmp(m.msg_type, "status") == 0 && state && strcmp(state, "idle") == 0)
                    idle = 1;
                const char *text = json_string_value(json_object_get(m.content, "text"));
                if (strcmp(m.msg_type, "stream") == 0 && text)
                    strncat(c->stdout_text, text, sizeof c->stdout_text - strlen(c->stdout_text) - 1);
            }
        }
        kernel_msg_clear(&m);
    }
    c->rc = KERNEL_RECV_MSG;
}

static inline void tu_run(struct kernel *k, const char *code, struct tu_cell *c, int timeout_ms)
{
    memset(c, 0, sizeof *c);
    c->rc = KERNEL_RECV_ERROR;
    if (tu_send_execute(k, code, c->msg_id, c->err, sizeof c->err) != 0)
        return;
    tu_collect(k, c, timeout_ms);
}

/* First iopub entry of msg_type, or NULL (borrowed). */
static inline json_t *tu_find(const struct tu_cell *c, const char *msg_type)
{
    size_t i;
    json_t *v;
    json_array_foreach(c->iopub, i, v) {
        if (strcmp(json_string_value(json_object_get(v, "msg_type")), msg_type) == 0)
            return json_object_get(v, "content");
    }
    return NULL;
}

#endif
