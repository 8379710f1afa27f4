/* A program with one deliberate bug of the kind named by argv[1], used by scripts/test-asan.sh and
 * scripts/test-valgrind.sh to show, before they run the real tests, that a bug of each kind does
 * fail the run under their options: "zero reports" then means something.
 *
 *   sanitizer-canary none       no bug: exits 0
 *   sanitizer-canary overflow   writes one byte past a heap block (ASan; valgrind: invalid write)
 *   sanitizer-canary leak       loses a heap block (LeakSanitizer; valgrind: definitely lost)
 *   sanitizer-canary signed     overflows a signed int (UBSan; valgrind does not see this one) */

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
main(int argc, char** argv)
{
    const char* kind = argc > 1 ? argv[1] : "none";
    /* volatile: the compiler must not see through the bugs and fold them away. */
    char* volatile block = malloc(16);
    if (block == NULL)
        return 2;
    memset(block, 0, 16);
    if (strcmp(kind, "overflow") == 0)
    {
        volatile size_t i = 16;
        block[i] = 1;
    }
    else if (strcmp(kind, "leak") == 0)
    {
        block = NULL;
        return 0;
    }
    else if (strcmp(kind, "signed") == 0)
    {
        volatile int big = INT_MAX;
        volatile int sum = big + argc;
        printf("%d\n", sum);
    }
    else if (strcmp(kind, "none") != 0)
    {
        fprintf(stderr, "unknown kind %s\n", kind);
        free(block);
        return 2;
    }
    free(block);
    return 0;
}
