/* Gets per second through libhyperclient, the C side of `npm run bench:python` (which builds this
 * with cc against build/native/libhyperclient.a and runs it beside bench/python/get_rate.py, the
 * same two loops from Python):
 *
 *   get_rate HOST PORT SPACE OBJECTS SECONDS WINDOW
 *
 * The objects are keyed "key0" .. "key<OBJECTS-1>" and already stored. For SECONDS each:
 *   sync:  one get in flight; hyperclient_loop() until it completes, then the next;
 *   async: WINDOW gets in flight; each completion is replaced by a new get.
 * Every get must find its object. Prints one JSON line:
 *   {"sync_ops":N,"sync_s":S,"sync_ops_per_s":R,"sync_cpu_us_per_op":U,"async_ops":N,...,"window":W}
 * (cpu_us_per_op: this process's user and system CPU time per get, the client's own cost, which
 * the rates hide when the daemons are the bottleneck) and exits 0; on any failure says why on stderr and exits 1. */

#include <hyperclient.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

/* How long one hyperclient_loop() call may wait before the run is declared stuck. */
#define LOOP_TIMEOUT_MS 10000
#define WINDOW_MAX 65536
#define KEY_BYTES_MAX 32

struct slot
{
    int64_t id;
    enum hyperclient_returncode status;
    struct hyperclient_attribute* attrs;
    size_t attrs_sz;
};

/* request id -> slot index: open addressing over a power-of-two table at most half full, because
 * the ids come from the library and need not be dense */
struct idmap
{
    int64_t* ids;
    int* slots;
    size_t mask;
};

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* This process's CPU time (user and system) so far. */
static double
cpu_s(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return (double)ru.ru_utime.tv_sec + (double)ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
           (double)ru.ru_stime.tv_usec / 1e6;
}

static size_t
idmap_home(const struct idmap* m, int64_t id)
{
    return (size_t)((uint64_t)id * 0x9E3779B97F4A7C15ull >> 20) & m->mask;
}

static void
idmap_put(struct idmap* m, int64_t id, int slot)
{
    size_t i = idmap_home(m, id);
    while (m->ids[i] != 0) i = (i + 1) & m->mask;
    m->ids[i] = id;
    m->slots[i] = slot;
}

/* Removes id and returns its slot, or -1. Deletion shifts back the entries after it (linear
 * probing without tombstones, so the table never fills with them). */
static int
idmap_take(struct idmap* m, int64_t id)
{
    size_t i = idmap_home(m, id);
    for (size_t probes = 0; probes <= m->mask; ++probes, i = (i + 1) & m->mask)
    {
        if (m->ids[i] == 0) return -1;
        if (m->ids[i] != id) continue;
        int slot = m->slots[i];
        m->ids[i] = 0;
        size_t j = i;
        for (;;)
        {
            j = (j + 1) & m->mask;
            if (m->ids[j] == 0) break;
            size_t h = idmap_home(m, m->ids[j]);
            /* move j back into the hole at i unless its home lies cyclically in (i, j] */
            int stays = (i <= j) ? (i < h && h <= j) : (i < h || h <= j);
            if (stays) continue;
            m->ids[i] = m->ids[j];
            m->slots[i] = m->slots[j];
            m->ids[j] = 0;
            i = j;
        }
        return slot;
    }
    return -1;
}

static int64_t
start_get(struct hyperclient* hc, const char* space, long objects, long n, struct slot* s)
{
    char key[KEY_BYTES_MAX];
    int len = snprintf(key, sizeof(key), "key%ld", n % objects);
    s->status = HYPERCLIENT_ZERO;
    s->attrs = NULL;
    s->attrs_sz = 0;
    int64_t id = hyperclient_get(hc, space, key, (size_t)len, &s->status, &s->attrs, &s->attrs_sz);
    if (id < 0) fprintf(stderr, "get_rate: hyperclient_get refused with status %d\n", (int)s->status);
    s->id = id;
    return id;
}

/* Checks a completed get and releases what it returned; 0 when it found its object. */
static int
finish_get(struct slot* s)
{
    int ok = s->status == HYPERCLIENT_SUCCESS && s->attrs_sz > 0;
    if (!ok) fprintf(stderr, "get_rate: a get completed with status %d\n", (int)s->status);
    if (s->attrs) hyperclient_destroy_attrs(s->attrs, s->attrs_sz);
    s->attrs = NULL;
    return ok ? 0 : -1;
}

static int64_t
loop_once(struct hyperclient* hc)
{
    enum hyperclient_returncode st = HYPERCLIENT_ZERO;
    int64_t id = hyperclient_loop(hc, LOOP_TIMEOUT_MS, &st);
    if (id < 0) fprintf(stderr, "get_rate: hyperclient_loop failed with status %d\n", (int)st);
    return id;
}

static int
run_sync(struct hyperclient* hc, const char* space, long objects, double seconds, long* ops, double* took_s)
{
    struct slot s;
    long n = 0;
    double start = now_s(), end = start + seconds;
    while (now_s() < end)
    {
        int64_t id = start_get(hc, space, objects, n, &s);
        if (id < 0) return -1;
        int64_t done = loop_once(hc);
        if (done != id)
        {
            if (done >= 0) fprintf(stderr, "get_rate: loop returned %lld, not %lld\n", (long long)done, (long long)id);
            return -1;
        }
        if (finish_get(&s)) return -1;
        ++n;
    }
    *ops = n;
    *took_s = now_s() - start;
    return 0;
}

static int
run_async(struct hyperclient* hc, const char* space, long objects, double seconds, int window, long* ops, double* took_s)
{
    size_t cap = 1;
    while (cap < 2 * (size_t)window) cap <<= 1;
    struct slot* slots = calloc((size_t)window, sizeof(*slots));
    struct idmap m = {calloc(cap, sizeof(int64_t)), calloc(cap, sizeof(int)), cap - 1};
    int rc = -1;
    long started = 0, completed = 0, outstanding = 0;
    if (!slots || !m.ids || !m.slots)
    {
        fprintf(stderr, "get_rate: out of memory\n");
        goto done;
    }
    double start = now_s(), end = start + seconds;
    for (int i = 0; i < window; ++i)
    {
        int64_t id = start_get(hc, space, objects, started++, &slots[i]);
        if (id < 0) goto done;
        idmap_put(&m, id, i);
        ++outstanding;
    }
    /* after the deadline no new gets: the window drains, and every started get is counted */
    while (outstanding > 0)
    {
        int64_t id = loop_once(hc);
        if (id < 0) goto done;
        int i = idmap_take(&m, id);
        if (i < 0)
        {
            fprintf(stderr, "get_rate: loop returned an unknown id %lld\n", (long long)id);
            goto done;
        }
        if (finish_get(&slots[i])) goto done;
        --outstanding;
        ++completed;
        if (now_s() < end)
        {
            int64_t nid = start_get(hc, space, objects, started++, &slots[i]);
            if (nid < 0) goto done;
            idmap_put(&m, nid, i);
            ++outstanding;
        }
    }
    *ops = completed;
    *took_s = now_s() - start;
    rc = 0;
done:
    free(slots);
    free(m.ids);
    free(m.slots);
    return rc;
}

int
main(int argc, char** argv)
{
    if (argc != 7)
    {
        fprintf(stderr, "usage: get_rate HOST PORT SPACE OBJECTS SECONDS WINDOW\n");
        return 1;
    }
    long port = strtol(argv[2], NULL, 10);
    long objects = strtol(argv[4], NULL, 10);
    double seconds = strtod(argv[5], NULL);
    long window = strtol(argv[6], NULL, 10);
    if (port < 1 || port > 65535 || objects < 1 || !(seconds > 0) || window < 1 || window > WINDOW_MAX)
    {
        fprintf(stderr, "get_rate: bad arguments\n");
        return 1;
    }
    struct hyperclient* hc = hyperclient_create(argv[1], (in_port_t)port);
    if (!hc)
    {
        fprintf(stderr, "get_rate: no coordinator at %s:%ld\n", argv[1], port);
        return 1;
    }
    long sync_ops = 0, async_ops = 0;
    double sync_s = 0, async_s = 0;
    double cpu0 = cpu_s();
    int rc = run_sync(hc, argv[3], objects, seconds, &sync_ops, &sync_s);
    double cpu1 = cpu_s();
    rc = rc || run_async(hc, argv[3], objects, seconds, (int)window, &async_ops, &async_s);
    double cpu2 = cpu_s();
    hyperclient_destroy(hc);
    if (rc) return 1;
    printf("{\"sync_ops\":%ld,\"sync_s\":%.3f,\"sync_ops_per_s\":%.0f,\"sync_cpu_us_per_op\":%.1f,"
           "\"async_ops\":%ld,\"async_s\":%.3f,\"async_ops_per_s\":%.0f,\"async_cpu_us_per_op\":%.1f,"
           "\"window\":%ld}\n",
           sync_ops, sync_s, sync_ops / sync_s, 1e6 * (cpu1 - cpu0) / (double)sync_ops, async_ops, async_s,
           async_ops / async_s, 1e6 * (cpu2 - cpu1) / (double)async_ops, window);
    return 0;
}
