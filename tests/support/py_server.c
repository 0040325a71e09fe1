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
    const char *python = getenv("PYTHON");
    if (python == NULL || python[0] == '\0')
        python = "/usr/bin/python3";
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", root, script);
    const char *argv[32] = {python, path};
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
        execv(python, (char *const *)argv);
        _exit(127);
    }
    close(fds[1]);
    FILE *f = fdopen(fds[0], "r");
    *port = 0;
    cr_assert_eq(fscanf(f, "%d", port), 1, "%s printed its port", script);
    cr_assert_gt(*port, 0, "%s printed a bad port", script);
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

void py_server_certificate(char *dir, size_t dirlen, const char *cn)
{
    snprintf(dir, dirlen, "/tmp/nbsoar-cert-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    char cmd[512];
    snprintf(cmd, sizeof(cmd),
             "openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes "
             "-days 1 -subj /CN=%s -addext subjectAltName=IP:127.0.0.1 "
             "-keyout %s/key.pem -out %s/cert.pem 2>/dev/null",
             cn, dir, dir);
    cr_assert_eq(system(cmd), 0, "openssl made no certificate");
}
