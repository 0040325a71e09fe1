#include <criterion/criterion.h>
#include <stdlib.h>

#include "redact.h"

Test(redact, masks_every_occurrence_of_every_secret)
{
    redact_add("s3cr3t-token");
    redact_add("other-key-42");
    char *out = redact_dup("a=s3cr3t-token b=other-key-42 c=s3cr3t-token");
    cr_assert_str_eq(out, "a=*** b=*** c=***");
    free(out);
    redact_clear();
}

Test(redact, ignores_values_too_short_to_mask_safely)
{
    redact_add("no");
    char *out = redact_dup("no news");
    cr_assert_str_eq(out, "no news");
    free(out);
    redact_clear();
}

Test(redact, buffer_in_place_is_truncated_not_overflowed)
{
    redact_add("abcdefgh");
    char buf[8] = "xabcdef";
    redact_buf(buf, sizeof(buf));
    cr_assert_str_eq(buf, "xabcdef");
    char buf2[16] = "xabcdefgh";
    redact_buf(buf2, sizeof(buf2));
    cr_assert_str_eq(buf2, "x***");
    redact_clear();
}
