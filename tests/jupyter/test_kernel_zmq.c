/* The local ZMQ kernel transport against a real ipykernel (Debian
 * python3-ipykernel) and against fake kernels that misbehave. */
#include <criterion/criterion.h>

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "kernel.h"
#include "kernel_proc.h"
#include "kernel_test_util.h"

static struct kernel *start_python(void)
{
    char err[1024];
    struct kernel_start_opts o = {.kernel_name = "python3", .start_timeout_ms = 30000};
    struct kernel *k = kernel_local_start(&o, err, sizeof err);
    cr_assert_not_null(k, "python3 kernel did not start: %s", err);
    return k;
}

/* Runs code that prints "pid pgid" and reads them back. */
static void kernel_ids(struct kernel *k, long *pid, long *pgid)
{
    struct tu_cell c;
    tu_run(k, "import os; print(os.getpid(), os.getpgid(0))", &c, 10000);
    cr_assert_eq(c.rc, KERNEL_RECV_MSG, "%s", c.err);
    cr_assert_eq(sscanf(c.stdout_text, "%ld %ld", pid, pgid), 2, "output: %s", c.stdout_text);
    tu_cell_clear(&c);
}


static long long now_ms(void)
{
    return kernel_now_ms();
}

Test(kernel_zmq, print_collects_iopub_until_idle_and_reply_with_our_parent, .timeout = 60)
{
    struct kernel *k = start_python();
    struct tu_cell c;
    tu_run(k, "print(1)", &c, 10000);
    cr_assert_eq(c.rc, KERNEL_RECV_MSG, "%s", c.err);
    cr_assert_str_eq(json_string_value(json_object_get(c.reply, "status")), "ok");
    cr_assert_eq(json_integer_value(json_object_get(c.reply, "execution_count")), 1);
    cr_assert_str_eq(c.stdout_text, "1\n");
    json_t *input = tu_find(&c, "execute_input");
    cr_assert_not_null(input, "no execute_input for our request");
    cr_assert_str_eq(json_string_value(json_object_get(input, "code")), "print(1)");
    json_t *first = json_array_get(c.iopub, 0);
    cr_assert_str_eq(json_string_value(json_object_get(first, "msg_type")), "status", "busy comes first");
    tu_cell_clear(&c);
    k->ops->shutdown(k);
}

Test(kernel_zmq, kernel_info_says_python, .timeout = 60)
{
    struct kernel *k = start_python();
    cr_assert_str_eq(k->name, "python3");
    cr_assert_str_eq(k->language, "python");
    cr_assert_not_null(k->info);
    json_t *li = json_object_get(k->info, "language_info");
    cr_assert_str_eq(json_string_value(json_object_get(li, "name")), "python");
    const char *pv = json_string_value(json_object_get(k->info, "protocol_version"));
    cr_assert(pv && pv[0] == '5', "protocol_version %s", pv ? pv : "(none)");
    cr_assert(k->ops->alive(k));
    cr_assert_eq(k->rejected, 0);
    k->ops->shutdown(k);
}

Test(kernel_zmq, slow_reader_loses_no_output_beyond_zmq_high_water_mark, .timeout = 60)
{
    struct kernel *k = start_python();
    struct tu_cell c;
    memset(&c, 0, sizeof c);
    /* 4000 separate 2 kB stream messages, more than ZMQ's default queue of
     * 1000 plus the socket buffers, produced while we do not read. */
    cr_assert_eq(tu_send_execute(k, "import sys\nfor i in range(4000):\n    print('x' * 2000); sys.stdout.flush()",
                                 c.msg_id, c.err, sizeof c.err), 0);
    struct timespec nap = {2, 0};
    nanosleep(&nap, NULL);
    tu_collect(k, &c, 10000);
    cr_assert_eq(c.rc, KERNEL_RECV_MSG, "%s", c.err);
    size_t i, lines = 0;
    json_t *v;
    json_array_foreach(c.iopub, i, v) {
        const char *text = json_string_value(json_object_get(json_object_get(v, "content"), "text"));
        for (const char *p = text; p && *p; p++)
            lines += *p == '\n';
    }
    cr_assert_eq(lines, 4000, "lines received");
    tu_cell_clear(&c);
    struct kernel_msg m;
    char err[256];
    cr_assert_eq(k->ops->recv(k, 0, &m, err, sizeof err), KERNEL_RECV_TIMEOUT, "timeout 0: nothing queued");
    k->ops->shutdown(k);
}

Test(kernel_zmq, sigkill_mid_cell_is_reported_dead_within_5s, .timeout = 60)
{
    struct kernel *k = start_python();
    long pid, pgid;
    kernel_ids(k, &pid, &pgid);
    struct tu_cell c;
    memset(&c, 0, sizeof c);
    cr_assert_eq(tu_send_execute(k, "import time; time.sleep(30)", c.msg_id, c.err, sizeof c.err), 0);
    struct kernel_msg m;
    cr_assert_eq(k->ops->recv(k, 5000, &m, c.err, sizeof c.err), KERNEL_RECV_MSG, "%s", c.err);
    kernel_msg_clear(&m);
    cr_assert_eq(kill((pid_t)pid, SIGKILL), 0);
    long long t0 = now_ms();
    tu_collect(k, &c, 10000);
    long long took = now_ms() - t0;
    cr_assert_eq(c.rc, KERNEL_RECV_DEAD, "recv returned %d: %s", c.rc, c.err);
    cr_assert_lt(took, 5000, "death noticed after %lld ms", took);
    cr_assert(strstr(c.err, "signal 9"), "error says how it died: %s", c.err);
    cr_assert_not(k->ops->alive(k));
    tu_cell_clear(&c);
    k->ops->shutdown(k);
    cr_assert_eq(tu_count_procs(pgid, -1, NULL), 0);
}

Test(kernel_zmq, stopped_kernel_misses_heartbeats_and_is_dead, .timeout = 60)
{
    struct kernel *k = start_python();
    long pid, pgid;
    kernel_ids(k, &pid, &pgid);
    cr_assert_eq(kill(-(pid_t)pgid, SIGSTOP), 0);
    long long t0 = now_ms();
    struct kernel_msg m;
    char err[512];
    int rc;
    do {
        rc = k->ops->recv(k, 10000, &m, err, sizeof err);
        if (rc == KERNEL_RECV_MSG)
            kernel_msg_clear(&m);
    } while (rc == KERNEL_RECV_MSG);
    long long took = now_ms() - t0;
    cr_assert_eq(rc, KERNEL_RECV_DEAD, "recv returned %d: %s", rc, err);
    cr_assert(strstr(err, "heartbeat"), "error names the heartbeat: %s", err);
    cr_assert_lt(took, 8000, "took %lld ms", took);
    k->ops->shutdown(k); /* a stopped group still gets killed */
    cr_assert_eq(tu_count_procs(pgid, -1, NULL), 0);
}

Test(kernel_zmq, interrupt_sleep_gives_keyboardinterrupt_quickly, .timeout = 60)
{
    struct kernel *k = start_python();
    struct tu_cell c;
    memset(&c, 0, sizeof c);
    cr_assert_eq(tu_send_execute(k, "import time; time.sleep(30)", c.msg_id, c.err, sizeof c.err), 0);
    /* Wait until the code runs (execute_input) so the signal hits it. */
    for (;;) {
        struct kernel_msg m;
        cr_assert_eq(k->ops->recv(k, 5000, &m, c.err, sizeof c.err), KERNEL_RECV_MSG, "%s", c.err);
        int started = strcmp(m.msg_type, "execute_input") == 0;
        kernel_msg_clear(&m);
        if (started)
            break;
    }
    struct timespec settle = {0, 100 * 1000 * 1000};
    nanosleep(&settle, NULL);
    long long t0 = now_ms();
    cr_assert_eq(k->ops->interrupt(k, c.err, sizeof c.err), 0, "%s", c.err);
    tu_collect(k, &c, 5000);
    long long took = now_ms() - t0;
    cr_assert_eq(c.rc, KERNEL_RECV_MSG, "%s", c.err);
    cr_assert_lt(took, 5000, "interrupt took %lld ms", took);
    cr_assert_str_eq(json_string_value(json_object_get(c.reply, "status")), "error");
    cr_assert_str_eq(json_string_value(json_object_get(c.reply, "ename")), "KeyboardInterrupt");
    cr_assert_not_null(tu_find(&c, "error"), "error published on iopub");
    tu_cell_clear(&c);
    /* The kernel is still usable afterwards (once ipykernel has stopped
     * aborting the requests queued behind the error). */
    nanosleep(&settle, NULL);
    tu_run(k, "print('after')", &c, 10000);
    cr_assert_str_eq(c.stdout_text, "after\n");
    tu_cell_clear(&c);
    k->ops->shutdown(k);
}

Test(kernel_zmq, shutdown_leaves_no_process_and_no_connection_file, .timeout = 60)
{
    struct kernel *k = start_python();
    long pid, pgid;
    kernel_ids(k, &pid, &pgid);
    cr_assert_eq(pid, pgid, "the kernel leads its own process group");
    cr_assert_neq(pgid, (long)getpgrp(), "not in the test's process group");
    struct tu_cell c;
    /* A child the kernel started stays in its group and must go too. */
    tu_run(k,
           "import subprocess\n"
           "child = subprocess.Popen(['sleep', '60'])\n"
           "from ipykernel.connect import get_connection_file\n"
           "print(get_connection_file())",
           &c, 10000);
    cr_assert_eq(c.rc, KERNEL_RECV_MSG, "%s", c.err);
    char conn[sizeof c.stdout_text];
    snprintf(conn, sizeof conn, "%s", c.stdout_text);
    conn[strcspn(conn, "\n")] = '\0';
    cr_assert_eq(access(conn, R_OK), 0, "connection file %s exists while running", conn);
    struct stat st;
    cr_assert_eq(stat(conn, &st), 0);
    cr_assert_eq(st.st_mode & 0777, 0600, "connection file is private");
    cr_assert_eq(tu_count_procs(pgid, -1, NULL), 2);
    tu_cell_clear(&c);
    long long t0 = now_ms();
    k->ops->shutdown(k);
    long long took = now_ms() - t0;
    cr_assert_eq(tu_count_procs(pgid, -1, NULL), 0, "processes left in group %ld", pgid);
    cr_assert_neq(access(conn, F_OK), 0, "connection file removed");
    *strrchr(conn, '/') = '\0';
    cr_assert_neq(access(conn, F_OK), 0, "its directory removed");
    cr_assert_lt(took, 4000, "shutdown took %lld ms", took);
}

Test(kernel_zmq, kernel_that_never_answers_fails_within_start_timeout, .timeout = 60)
{
    char *root = tu_mkdtemp();
    tu_write_spec(root, "sleepy",
                  "{\"argv\": [\"sleep\", \"100\"], \"display_name\": \"Sleepy\", "
                  "\"language\": \"python\"}");
    setenv("JUPYTER_PATH", root, 1);
    char err[1024];
    struct kernel_start_opts o = {.kernel_name = "sleepy", .start_timeout_ms = 1500};
    long long t0 = now_ms();
    struct kernel *k = kernel_local_start(&o, err, sizeof err);
    long long took = now_ms() - t0;
    cr_assert_null(k);
    cr_assert(strstr(err, "sleepy") && strstr(err, "did not become ready within 1500 ms"), "%s", err);
    cr_assert_lt(took, 5000, "gave up after %lld ms", took);
    cr_assert_eq(waitpid(-1, NULL, WNOHANG), -1, "the kernel process was reaped");
    cr_assert_eq(errno, ECHILD);
    tu_rm_rf(root);
    free(root);
}

Test(kernel_zmq, missing_kernel_binary_is_a_clear_error, .timeout = 30)
{
    char *root = tu_mkdtemp();
    tu_write_spec(root, "ghost", "{\"argv\": [\"/nonexistent/ghost-kernel\", \"-f\", \"{connection_file}\"]}");
    setenv("JUPYTER_PATH", root, 1);
    char err[1024];
    struct kernel_start_opts o = {.kernel_name = "ghost", .start_timeout_ms = 5000};
    long long t0 = now_ms();
    cr_assert_null(kernel_local_start(&o, err, sizeof err));
    cr_assert(strstr(err, "cannot execute /nonexistent/ghost-kernel: No such file or directory"), "%s", err);
    cr_assert_lt(now_ms() - t0, 2000);
    tu_rm_rf(root);
    free(root);
}

Test(kernel_zmq, kernel_exiting_at_once_reports_its_status, .timeout = 30)
{
    char *root = tu_mkdtemp();
    tu_write_spec(root, "quitter", "{\"argv\": [\"sh\", \"-c\", \"exit 3\", \"{connection_file}\"]}");
    setenv("JUPYTER_PATH", root, 1);
    char err[1024];
    struct kernel_start_opts o = {.kernel_name = "quitter", .start_timeout_ms = 10000};
    long long t0 = now_ms();
    cr_assert_null(kernel_local_start(&o, err, sizeof err));
    cr_assert(strstr(err, "exited with status 3 before it was ready"), "%s", err);
    cr_assert_lt(now_ms() - t0, 5000, "retries on early exit stay quick");
    tu_rm_rf(root);
    free(root);
}

Test(kernel_zmq, kernel_dying_at_once_is_retried_with_new_ports, .timeout = 60)
{
    /* The first start exits at once, as a kernel does when another process
     * took one of its ports; the second start is a real ipykernel. */
    char *root = tu_mkdtemp();
    char spec[1500];
    snprintf(spec, sizeof spec,
             "{\"argv\": [\"sh\", \"-c\", \"if [ ! -e %s/first ]; then touch %s/first; exit 1; fi; "
             "exec /usr/bin/python3 -m ipykernel_launcher -f \\\"$0\\\"\", \"{connection_file}\"],"
             " \"language\": \"python\"}",
             root, root);
    tu_write_spec(root, "flaky", spec);
    setenv("JUPYTER_PATH", root, 1);
    char err[1024];
    struct kernel_start_opts o = {.kernel_name = "flaky", .start_timeout_ms = 30000};
    struct kernel *k = kernel_local_start(&o, err, sizeof err);
    cr_assert_not_null(k, "second attempt started: %s", err);
    struct tu_cell c;
    tu_run(k, "print(2)", &c, 10000);
    cr_assert_str_eq(c.stdout_text, "2\n");
    tu_cell_clear(&c);
    k->ops->shutdown(k);
    tu_rm_rf(root);
    free(root);
}

Test(kernel_zmq, unknown_kernel_name_lists_available_kernelspecs, .timeout = 30)
{
    char err[1024];
    struct kernel_start_opts o = {.kernel_name = "no-such-kernel", .start_timeout_ms = 5000};
    cr_assert_null(kernel_local_start(&o, err, sizeof err));
    cr_assert(strstr(err, "no such kernel named \"no-such-kernel\""), "%s", err);
    cr_assert(strstr(err, "available kernelspecs:") && strstr(err, "python3"), "%s", err);
}

Test(kernel_zmq, kernelspec_env_extra_env_and_cwd_reach_the_kernel, .timeout = 60)
{
    char *root = tu_mkdtemp();
    tu_write_spec(root, "envy",
                  "{\"argv\": [\"/usr/bin/python3\", \"-m\", \"ipykernel_launcher\", \"-f\", \"{connection_file}\"],"
                  " \"language\": \"python\", \"env\": {\"NBS_A\": \"<${NBS_BASE}-$NBS_UNSET-$$>\"}}");
    setenv("JUPYTER_PATH", root, 1);
    setenv("NBS_BASE", "base", 1);
    char err[1024];
    const char *extra[] = {"NBS_B=two", NULL};
    struct kernel_start_opts o = {.kernel_name = "envy", .cwd = root, .extra_env = extra, .start_timeout_ms = 30000};
    struct kernel *k = kernel_local_start(&o, err, sizeof err);
    cr_assert_not_null(k, "%s", err);
    struct tu_cell c;
    tu_run(k, "import os; print(os.environ['NBS_A'], os.environ['NBS_B'], os.getcwd(), sep='|')", &c, 10000);
    char want[600];
    snprintf(want, sizeof want, "<base-$NBS_UNSET-$>|two|%s\n", root);
    cr_assert_str_eq(c.stdout_text, want);
    tu_cell_clear(&c);
    k->ops->shutdown(k);
    tu_rm_rf(root);
    free(root);
}

Test(kernel_zmq, missing_cwd_is_a_clear_error, .timeout = 30)
{
    char err[1024];
    struct kernel_start_opts o = {.kernel_name = "python3", .cwd = "/nonexistent/cwd", .start_timeout_ms = 5000};
    cr_assert_null(kernel_local_start(&o, err, sizeof err));
    cr_assert(strstr(err, "cannot change to directory /nonexistent/cwd"), "%s", err);
}
