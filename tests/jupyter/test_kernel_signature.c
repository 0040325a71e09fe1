/* Messages with a bad signature are rejected end to end: fake kernels
 * (tests/jupyter/fake_kernel.py, python3-zmq) forge and tamper messages on
 * a real ZMQ connection, or sign with a key other than the connection
 * file's. */
#include <criterion/criterion.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kernel.h"
#include "kernel_test_util.h"

struct log_lines {
    int n;
    int bad_signature;
    int malformed;
    int not_json;
    int leaked_key;
};

static void count_log(void *ud, const char *line)
{
    struct log_lines *l = ud;
    l->n++;
    if (strstr(line, "bad signature"))
        l->bad_signature++;
    if (strstr(line, "malformed"))
        l->malformed++;
    if (strstr(line, "not valid JSON"))
        l->not_json++;
    if (strstr(line, "key") || strstr(line, "forged") || strstr(line, "tampered"))
        l->leaked_key++;
}

/* A temp JUPYTER_PATH with kernel "fake-<mode>" running fake_kernel.py. */
static char *fake_spec(const char *mode, const char *extra_json)
{
    cr_assert_not_null(getenv("NBSOAR_SOURCE_ROOT"), "run through meson test (NBSOAR_SOURCE_ROOT)");
    char *root = tu_mkdtemp();
    char json[1500], name[64];
    snprintf(json, sizeof json,
             "{\"argv\": [\"/usr/bin/python3\", \"%s/tests/jupyter/fake_kernel.py\", \"%s\", \"{connection_file}\"],"
             " \"display_name\": \"Fake\", \"language\": \"fake\"%s}",
             getenv("NBSOAR_SOURCE_ROOT"), mode, extra_json);
    snprintf(name, sizeof name, "fake-%s", mode);
    tu_write_spec(root, name, json);
    setenv("JUPYTER_PATH", root, 1);
    return root;
}

Test(kernel_signature, forged_tampered_and_malformed_messages_are_rejected_genuine_kept, .timeout = 30)
{
    char *root = fake_spec("forge", "");
    struct log_lines log = {0};
    char err[1024];
    struct kernel_start_opts o = {.kernel_name = "fake-forge", .start_timeout_ms = 10000, .log = count_log, .log_ud = &log};
    struct kernel *k = kernel_local_start(&o, err, sizeof err);
    cr_assert_not_null(k, "%s", err);
    cr_assert_str_eq(k->language, "fake");
    struct tu_cell c;
    tu_run(k, "anything", &c, 5000);
    cr_assert_eq(c.rc, KERNEL_RECV_MSG, "%s", c.err);
    cr_assert_str_eq(c.stdout_text, "genuine\n", "only the genuine stream is delivered");
    cr_assert_eq(k->rejected, 4);
    cr_assert_eq(log.bad_signature, 2);
    cr_assert_eq(log.malformed, 1, "no <IDS|MSG> delimiter");
    cr_assert_eq(log.not_json, 1, "signed but not UTF-8 JSON");
    cr_assert(k->ops->alive(k));
    cr_assert_eq(log.leaked_key, 0, "log lines carry neither key nor message body");
    tu_cell_clear(&c);
    k->ops->shutdown(k);
    tu_rm_rf(root);
    free(root);
}

Test(kernel_signature, kernel_signing_with_another_key_never_becomes_ready, .timeout = 30)
{
    char *root = fake_spec("wrongkey", "");
    struct log_lines log = {0};
    char err[1024];
    struct kernel_start_opts o = {.kernel_name = "fake-wrongkey", .start_timeout_ms = 1500, .log = count_log, .log_ud = &log};
    cr_assert_null(kernel_local_start(&o, err, sizeof err));
    cr_assert(strstr(err, "did not become ready within 1500 ms") && strstr(err, "no kernel_info_reply"), "%s", err);
    cr_assert_geq(log.bad_signature, 1, "the unsigned replies were seen and rejected");
    tu_rm_rf(root);
    free(root);
}

Test(kernel_signature, interrupt_mode_message_sends_interrupt_request, .timeout = 30)
{
    char *root = fake_spec("interrupt", ", \"interrupt_mode\": \"message\"");
    char err[1024];
    struct kernel_start_opts o = {.kernel_name = "fake-interrupt", .start_timeout_ms = 10000};
    struct kernel *k = kernel_local_start(&o, err, sizeof err);
    cr_assert_not_null(k, "%s", err);
    struct tu_cell c;
    memset(&c, 0, sizeof c);
    cr_assert_eq(tu_send_execute(k, "loop forever", c.msg_id, c.err, sizeof c.err), 0);
    /* Interrupt once the request runs (busy), not before it arrived. */
    for (int busy = 0; !busy;) {
        struct kernel_msg m;
        cr_assert_eq(k->ops->recv(k, 5000, &m, err, sizeof err), KERNEL_RECV_MSG, "%s", err);
        busy = m.channel == KERNEL_IOPUB && strcmp(m.parent_id, c.msg_id) == 0;
        kernel_msg_clear(&m);
    }
    cr_assert_eq(k->ops->interrupt(k, err, sizeof err), 0, "%s", err);
    tu_collect(k, &c, 5000);
    cr_assert_eq(c.rc, KERNEL_RECV_MSG, "%s", c.err);
    cr_assert_str_eq(json_string_value(json_object_get(c.reply, "ename")), "KeyboardInterrupt");
    tu_cell_clear(&c);
    k->ops->shutdown(k);
    tu_rm_rf(root);
    free(root);
}
