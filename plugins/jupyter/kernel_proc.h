/* The local kernel process: a private connection file with loopback ports
 * and a random key, the kernel spawned in its own session (so its process
 * group can be signalled as a whole), and its end (TERM, KILL, reap,
 * remove the files). */
#ifndef NBSOAR_KERNEL_PROC_H
#define NBSOAR_KERNEL_PROC_H

#include <stddef.h>
#include <sys/types.h>

#include "kernelspec.h"

enum { KPORT_SHELL, KPORT_IOPUB, KPORT_STDIN, KPORT_CONTROL, KPORT_HB, KPORT_COUNT };

struct kernel_proc {
    pid_t pid;                 /* also the process group id; 0 when not running */
    int exited;                /* has exited (a zombie until kernel_proc_stop reaps it) */
    int exit_code;             /* when exited normally, else -1 */
    int term_signal;           /* the signal that ended it, else 0 */
    char *dir;                 /* private 0700 temp dir, OWNED */
    char *conn_file;           /* dir/kernel-<uuid>.json (0600), OWNED */
    int port[KPORT_COUNT];
    char key[37];              /* uuid4, as jupyter_client's Session key */
};

/* Writes a new connection file (fresh ports and key) for spec and starts
 * argv with {connection_file}, {resource_dir} and {prefix} substituted, the
 * environment plus spec env (with $VAR substitution) plus extra_env, stdin
 * from /dev/null, cwd if set.  Returns 0, or -1 with err (the program cannot
 * be executed, no temp dir, ...); p is cleaned up on failure. */
int kernel_proc_start(struct kernel_proc *p, const struct kernelspec *spec, const char *cwd,
                      const char *const *extra_env, char *err, size_t errlen);

/* 1 while the process runs, else 0 (records how it ended). */
int kernel_proc_alive(struct kernel_proc *p);

/* Sends sig to the kernel's process group.  Returns 0 or -1 (errno). */
int kernel_proc_signal(struct kernel_proc *p, int sig);

/* "exited with status 1", "killed by signal 9", "is running". */
void kernel_proc_describe(const struct kernel_proc *p, char *buf, size_t len);

/* Waits up to grace_ms for the kernel to exit by itself, then SIGTERM to
 * the group and up to term_ms more, then SIGKILL; reaps the process and
 * removes the connection file and its directory.  Safe to call twice. */
void kernel_proc_stop(struct kernel_proc *p, int grace_ms, int term_ms);

/* Monotonic milliseconds. */
long long kernel_now_ms(void);

#endif
