/* The warm kernel pool against a real ipykernel: kernels are started side
 * by side, a take on an empty pool waits for the kernel being started
 * rather than giving up, and a kernelspec that cannot start gives NULL. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kernel_pool.h"
#include "kernel_test_util.h"

static int answers(struct kernel *k)
{
    struct tu_cell c;
    tu_run(k, "print(6 * 7)", &c, 20000);
    int ok = c.rc == KERNEL_RECV_MSG && strstr(c.stdout_text, "42") != NULL;
    tu_cell_clear(&c);
    return ok;
}


Test(kernel_pool, kernels_are_started_side_by_side, .timeout = 60)
{
    /* a kernel that never gets ready keeps its start in flight, so the
     * number of its processes alive at once is the pool's parallelism */
    char *root = tu_mkdtemp();
    tu_write_spec(root, "sleepy", "{\"argv\": [\"sleep\", \"30\"], \"display_name\": \"S\", \"language\": \"python\"}");
    setenv("JUPYTER_PATH", root, 1);
    struct kernel_pool *p = kernel_pool_new(2, "sleepy", NULL, NULL, 4000);
    cr_assert_not_null(p);
    int most = 0;
    for (int i = 0; i < 200 && most < 2; i++) {
        int n = tu_count_procs(-1, (long)getpid(), "sleep");
        most = n > most ? n : most;
        usleep(10000);
    }
    cr_assert_eq(most, 2, "two kernel starts in flight at once, saw %d", most);
    kernel_pool_free(p);
    unsetenv("JUPYTER_PATH");
    tu_rm_rf(root);
    free(root);
}

Test(kernel_pool, a_take_on_a_fresh_pool_waits_for_the_kernels_being_started, .timeout = 120)
{
    struct kernel_pool *p = kernel_pool_new(2, "python3", NULL, NULL, 60000);
    cr_assert_not_null(p);
    /* nothing is ready yet: both takes get the kernels started for them */
    struct kernel *a = kernel_pool_take(p, "python3");
    struct kernel *b = kernel_pool_take(p, "python3");
    cr_assert_not_null(a, "the first take waited for a starting kernel");
    cr_assert_not_null(b, "the second kernel was started beside the first");
    cr_assert_neq(a, b, "each kernel serves one take");
    cr_assert(answers(a) && answers(b), "both kernels run code");
    kernel_pool_retire(p, a);
    kernel_pool_retire(p, b);
    /* refilled after the takes */
    struct kernel *c = kernel_pool_take(p, "python3");
    cr_assert_not_null(c, "the pool refilled");
    cr_assert(answers(c));
    kernel_pool_retire(p, c);
    kernel_pool_free(p);
}

Test(kernel_pool, a_kernelspec_that_cannot_start_gives_null_for_a_cold_start, .timeout = 60)
{
    char *root = tu_mkdtemp();
    tu_write_spec(root, "broken", "{\"argv\": [\"/bin/false\"], \"display_name\": \"Broken\", \"language\": \"python\"}");
    setenv("JUPYTER_PATH", root, 1);
    struct kernel_pool *p = kernel_pool_new(2, "broken", NULL, NULL, 5000);
    cr_assert_not_null(p);
    cr_assert_null(kernel_pool_take(p, "broken"), "no kernel, and no hang");
    kernel_pool_free(p);
    unsetenv("JUPYTER_PATH");
    tu_rm_rf(root);
    free(root);
}
