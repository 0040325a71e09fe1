/* Loopback Python servers for tests: see py_server.h. */
#include "py_server.h"

#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

pid_t py_server_start(const char *script, const char *const *args, int *port)
{
    const char *root = getenv("NBSOAR_SOURCE_ROOT");
    cr_assert_not_null(root, "NBSOAR_SOURCE_ROOT is set by meson");
    char path[1024];
    snprintf(path, sizeof(path), "%s/tests/support/%s", root, script);
    const char *argv[32] = {"python3", path};
    size_t n = 2;
    for (size_t i = 0; args != NULL && args[i] != NULL && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        execv("/usr/bin/python3", (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    *port = 0;
    cr_assert_eq(fscanf(f, "%d", port), 1, "%s printed its port", script);
    fclose(f);
    return pid;
}

void py_server_stop(pid_t pid)
{
    if (pid <= 0)
        return;
    kill(pid, SIGTERM);
    waitpid(pid, NULL, 0);
}
