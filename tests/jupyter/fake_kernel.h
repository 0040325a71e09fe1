/* A scripted struct kernel for engine tests: no process, no sockets.
 *
 * Each execute_request's code is a JSON object saying what the "kernel"
 * answers; code that is not JSON behaves as {}:
 *   {"count": 3,                  execution_count (default: request number)
 *    "out": [[msg_type, content], ...],   IOPub messages after execute_input
 *    "reply": {...},              execute_reply content (default {"status":"ok"})
 *    "reply_first": true,         send the reply before the IOPub messages
 *    "no_idle": true,             never publish status idle
 *    "hang": true,                send nothing until interrupted
 *    "ignore_interrupt": true,    with hang: stay silent after the interrupt
 *    "die": true}                 report the kernel dead instead
 * After an interrupt of a hanging cell the kernel publishes a
 * KeyboardInterrupt error, replies with status error and goes idle. */
#ifndef NBSOAR_TEST_FAKE_KERNEL_H
#define NBSOAR_TEST_FAKE_KERNEL_H

#include "kernel.h"

struct kernel *fake_kernel_new(void);
/* How many execute_requests it saw and the last request's content. */
int fake_kernel_requests(struct kernel *k);
const json_t *fake_kernel_last_request(struct kernel *k);

#endif
