/* Crash safety of the journal: a child process works through events, jobs
 * and operations and is SIGKILLed at random moments; restarts recover and
 * finish the work.  Checked: every acknowledged event is there, every job
 * ends succeeded, every operation ends applied, and an operation marked
 * applied is never handed to the sink again. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "journal.h"

#define N_EVENTS 16
#define OPS_PER_JOB 3
#define KILLED_LIVES 3
#define TRIALS 4

static char dir[64], db_path[128], sink_log[128];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/nbsoar-crash-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    snprintf(db_path, sizeof(db_path), "%s/journal.db", dir);
    snprintf(sink_log, sizeof(sink_log), "%s/sink.log", dir);
}

static void teardown(void)
{
    if (getenv("KEEP")) return;
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    cr_assert_eq(system(cmd), 0);
}

TestSuite(journal_crash, .init = setup, .fini = teardown);

static void say(int fd, const char *fmt, const char *s, int life)
{
    char line[128];
    int n = snprintf(line, sizeof(line), fmt, s, life);
    if (fd >= 0 && write(fd, line, (size_t)n) != n)
        _exit(3);
}

/* One life of the host: recover, take the events, run jobs, apply
 * operations through a "sink" that appends the key to a log.  Acks go to
 * ack_fd only after the journal call returned.  kill_after_apply > 0: die
 * right after that many sink applies, before marking the last one. */
static int one_life(int ack_fd, int life, int kill_after_apply)
{
    char err[512];
    /* kill -9 spares the OS page cache, so NORMAL (no fsync per commit)
     * keeps every commit here, as FULL would, only faster. */
    struct journal_options opt = {.sync = JOURNAL_SYNC_NORMAL};
    struct journal *j = journal_open(db_path, &opt, err, sizeof(err));
    if (j == NULL || journal_recover(j, NULL, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return 2;
    }
    int sink = open(sink_log, O_WRONLY | O_CREAT | O_APPEND, 0600);
    struct journal_job_in job_in = {.route = "r", .notebook = "n.ipynb", .retries = 1};
    int applies = 0;
    for (int i = 0;; i++) {
        if (i < N_EVENTS) {
            char buf[64];
            snprintf(buf, sizeof(buf), "{\"id\":\"ev-%d\",\"source\":\"spool\"}", i);
            json_t *e = json_loads(buf, 0, NULL);
            if (journal_add_event(j, NULL, e, &job_in, 1, NULL, NULL, err, sizeof(err)) ==
                JOURNAL_ERROR)
                return 2;
            json_decref(e);
            snprintf(buf, sizeof(buf), "ev-%d", i);
            say(ack_fd, "E %s %d\n", buf, life);
        }
        struct journal_job job;
        int claimed = journal_claim_job(j, &job, err, sizeof(err));
        if (claimed == 1) {
            struct journal_op_in ops[OPS_PER_JOB];
            json_t *body = json_pack("{s:s}", "type", "AddTagToCase");
            for (int k = 0; k < OPS_PER_JOB; k++)
                ops[k] = (struct journal_op_in){k, "sink", body};
            struct journal_job_result res = {.status = JOURNAL_JOB_SUCCEEDED, .ops = ops,
                                             .n_ops = OPS_PER_JOB};
            if (journal_finish_job(j, job.id, &res, err, sizeof(err)) != 0)
                return 2;
            json_decref(body);
            journal_job_clear(&job);
        }
        struct journal_op op;
        int got_op = journal_claim_operation(j, "sink", &op, err, sizeof(err));
        if (got_op == 1) {
            say(sink, "A %s %d\n", op.key, life);
            if (++applies == kill_after_apply)
                raise(SIGKILL);
            if (journal_operation_applied(j, op.key, op.sink, NULL, err, sizeof(err)) != 0)
                return 2;
            say(ack_fd, "M %s %d\n", op.key, life);
            journal_op_clear(&op);
        }
        if (claimed < 0 || got_op < 0)
            return 2;
        if (i >= N_EVENTS && claimed == 0 && got_op == 0)
            break;
    }
    close(sink);
    journal_close(j);
    return 0;
}

/* Runs a life in a child; kills it after delay_us (0: let it finish).
 * Appends what it acknowledged to acks; returns 1 if it was killed. */
static int run_child(int life, int delay_us, int kill_after_apply, char *acks,
                      size_t acks_size)
{
    int fds[2];
    cr_assert_eq(pipe(fds), 0);
    pid_t pid = fork();
    cr_assert_neq(pid, -1);
    if (pid == 0) {
        close(fds[0]);
        _exit(one_life(fds[1], life, kill_after_apply));
    }
    close(fds[1]);
    if (delay_us > 0) {
        usleep((useconds_t)delay_us);
        kill(pid, SIGKILL);
    }
    size_t len = strlen(acks);
    ssize_t n;
    while ((n = read(fds[0], acks + len, acks_size - len - 1)) > 0)
        len += (size_t)n;
    acks[len] = '\0';
    close(fds[0]);
    int status;
    cr_assert_eq(waitpid(pid, &status, 0), pid);
    if (delay_us == 0 && kill_after_apply == 0)
        cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "final life failed");
    else
        cr_assert(WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 0),
                  "a life failed on its own (status %d)", status);
    return WIFSIGNALED(status);
}

static int count_lines(const char *text)
{
    int n = 0;
    for (const char *p = strchr(text, '\n'); p != NULL; p = strchr(p + 1, '\n'))
        n++;
    return n;
}

static char *read_file(const char *p)
{
    FILE *f = fopen(p, "r");
    static char buf[1 << 16];
    size_t n = f != NULL ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
    buf[n] = '\0';
    if (f != NULL)
        fclose(f);
    return buf;
}

static void check_final_state(const char *acks)
{
    char err[512];
    struct journal *j = journal_open(db_path, NULL, err, sizeof(err));
    cr_assert_not_null(j, "%s", err);
    struct journal_stats s;
    cr_assert_eq(journal_stats(j, &s, err, sizeof(err)), 0);
    cr_assert_eq(s.events, N_EVENTS, "every event journalled once");
    cr_assert_eq(s.succeeded, N_EVENTS, "every job done");
    cr_assert_eq(s.ops_applied, N_EVENTS * OPS_PER_JOB, "every operation applied");
    journal_close(j);

    /* Each "M key life" (marked applied in that life) must have no "A key
     * later-life" (handed to the sink again after a restart). */
    const char *log = read_file(sink_log);
    for (const char *p = acks; (p = strstr(p, "M ")) != NULL; p++) {
        char key[96], akey[96];
        int life, alife;
        if (p != acks && p[-1] != '\n')
            continue;
        if (sscanf(p, "M %95s %d", key, &life) != 2)
            continue;
        int seen = 0;
        for (const char *a = log; (a = strstr(a, "A ")) != NULL; a++) {
            if (sscanf(a, "A %95s %d", akey, &alife) != 2 || strcmp(akey, key) != 0)
                continue;
            seen++;
            cr_assert_leq(alife, life, "%s marked applied in life %d, applied again in life %d",
                          key, life, alife);
        }
        cr_assert_geq(seen, 1);
    }
}

Test(journal_crash, kill_9_at_random_points_loses_nothing_and_repeats_nothing_applied)
{
    unsigned seed = (unsigned)time(NULL);
    srand(seed);
    static char acks[1 << 16];
    /* How long a whole life takes here (the faster of two), so the kills
     * land inside one even on a busy machine. */
    long life_us = 0;
    for (int k = 0; k < 2; k++) {
        teardown();
        setup();
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        run_child(0, 0, 0, acks, sizeof(acks));
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long us = (t1.tv_sec - t0.tv_sec) * 1000000L + (t1.tv_nsec - t0.tv_nsec) / 1000;
        life_us = k == 0 || us < life_us ? us : life_us;
    }
    cr_log_info("seed %u, one life %ld us", seed, life_us);
    int killed = 0;
    for (int trial = 0; trial < TRIALS; trial++) {
        teardown();
        setup();
        acks[0] = '\0';
        for (int life = 0; life < KILLED_LIVES; life++)
            killed += run_child(life, (int)(life_us / 50 + rand() % (life_us / 2 + 1)), 0,
                                acks, sizeof(acks));
        run_child(KILLED_LIVES, 0, 0, acks, sizeof(acks));
        check_final_state(acks);
    }
    cr_log_info("%d of %d lives killed mid-way", killed, TRIALS * KILLED_LIVES);
    cr_assert_geq(killed, TRIALS, "too few lives died mid-way (seed %u)", seed);
}

Test(journal_crash, crash_between_sink_and_mark_repeats_only_that_operation)
{
    static char acks[1 << 16];
    acks[0] = '\0';
    run_child(0, 0, 5, acks, sizeof(acks));
    run_child(1, 0, 0, acks, sizeof(acks));
    check_final_state(acks);
    /* Life 0 handed 5 operations to the sink and died before marking the
     * 5th: life 1 hands exactly that one again, with the same key. */
    const char *log = read_file(sink_log);
    char fifth[96];
    const char *p = log;
    for (int i = 0; i < 4; i++)
        p = strchr(p, '\n') + 1;
    cr_assert_eq(sscanf(p, "A %95s 0", fifth), 1);
    int again = 0;
    for (const char *a = log; (a = strstr(a, " 1\n")) != NULL; a++) {
        const char *start = a;
        while (start > log && start[-1] != '\n')
            start--;
        char key[96];
        if (sscanf(start, "A %95s 1", key) == 1 && strcmp(key, fifth) == 0)
            again++;
    }
    cr_assert_eq(again, 1, "the interrupted operation %s is applied again once", fifth);
    cr_assert_eq(count_lines(log), N_EVENTS * OPS_PER_JOB + 1, "nothing else was repeated");
}
