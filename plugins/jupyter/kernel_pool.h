/* A warm pool of started local kernels, per kernelspec, so a job does not
 * wait for a kernel to boot.  Each kernel serves one notebook only: taken
 * once, then retired (shut down off the caller's thread) and replaced.
 * Pool kernels share one environment and cwd; a run that needs other ones
 * (secret parameters, a cwd option) starts its own kernel. */
#ifndef NBSOAR_KERNEL_POOL_H
#define NBSOAR_KERNEL_POOL_H

#include "kernel.h"

struct kernel_pool;

/* size kernels ready per kernelspec; `first` (may be NULL) is filled from
 * the start, other names once asked for.  cwd and env entries are copied.
 * NULL on ENOMEM or when the refill thread cannot start. */
struct kernel_pool *kernel_pool_new(int size, const char *first, const char *cwd,
                                    const char *const *env, long start_timeout_ms);
/* A ready kernel of kernelspec `name` (OWNED by the caller: give it back
 * with kernel_pool_retire).  When none is ready but one is starting, waits
 * for it (at most the start timeout); NULL when none is ready or coming
 * (start one cold). */
struct kernel *kernel_pool_take(struct kernel_pool *p, const char *name);
/* Shuts a used kernel down in the background. */
void kernel_pool_retire(struct kernel_pool *p, struct kernel *k);
/* 1 when a kernel for this cwd could come from the pool. */
int kernel_pool_fits(const struct kernel_pool *p, const char *cwd);
/* Stops the refill thread and shuts every kernel down. */
void kernel_pool_free(struct kernel_pool *p);

#endif
