/* hd_idmap against a plain array model, on a seeded random walk of puts and deletes. */
#include <stdio.h>
#include <stdlib.h>

#include "idmap.h"

#define IDS 4096

static unsigned long long state = 0x9e3779b97f4a7c15ULL;
static uint64_t
next(void)
{
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
}

int
main(void)
{
    static char present[IDS];
    static int values[IDS];
    struct hd_idmap m;
    hd_idmap_init(&m);
    size_t failed = 0, checks = 0, n = 0;
    for (int step = 0; step < 200000; step++)
    {
        /* ids clustered like request ids, with a few far apart */
        uint64_t id = next() % IDS;
        uint64_t key = id < 16 ? id << 40 : id;
        if (present[id])
        {
            void* v = hd_idmap_del(&m, key);
            failed += v != &values[id];
            present[id] = 0;
            n--;
        }
        else
        {
            failed += hd_idmap_put(&m, key, &values[id]) != 0;
            failed += hd_idmap_put(&m, key, &values[id]) == 0; /* twice is refused */
            present[id] = 1;
            n++;
        }
        checks += 2;
        if (step % 997 == 0)
            for (uint64_t i = 0; i < IDS; i++)
            {
                uint64_t k = i < 16 ? i << 40 : i;
                void* v = hd_idmap_get(&m, k);
                failed += present[i] ? v != &values[i] : v != NULL;
                checks++;
            }
        failed += m.n != n;
    }
    uint64_t* all = hd_idmap_ids(&m);
    size_t seen = 0;
    for (size_t i = 0; all && i < m.n; i++) seen += hd_idmap_get(&m, all[i]) != NULL;
    failed += seen != n;
    free(all);
    failed += hd_idmap_del(&m, 1ULL << 60) != NULL;
    hd_idmap_free(&m);
    printf("%zu passed, %zu failed\n", checks - failed, failed);
    return failed ? 1 : 0;
}
