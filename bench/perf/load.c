/* A load generator over libhyperclient, for profiling the daemon: N connections (one client and
 * one thread each) keep W requests in flight, each a get or a put of a 100-byte value on a key
 * drawn uniformly from K keys, for a fixed time. Prints one line of figures per run.
 *
 *   load HOST PORT [-o get|put|mixed] [-c CONNS] [-w WINDOW] [-t SECONDS] [-k KEYS] [-s SPACE]
 *        [-l] [-a DESCRIPTION]
 *
 * -l loads the K keys first (puts, 256 in flight on one connection); -a adds the space first
 * (description in the add-space language). "mixed" is 50/50 get/put. Latency is measured from
 * the call that sends a request to the hyperclient_loop() that hands it back. Every loop is
 * bounded in time: a request that is not answered within 30 s ends the run with an error. */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <hyperclient.h>

enum
{
    VALUE_BYTES = 100,
    WINDOW_MAX = 4096,
    CONNS_MAX = 64,
    LOOP_WAIT_MS = 30000
};

enum op
{
    OP_GET,
    OP_PUT,
    OP_MIXED
};

static const char* host;
static in_port_t port;
static const char* space = "bench";
static enum op op = OP_GET;
static int conns = 1;
static int window = 1;
static double seconds = 5;
static long keys = 100000;

static int64_t
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static void
key_of(long i, char* out, size_t* out_sz)
{
    int n = snprintf(out, 24, "key%08ld", i);
    *out_sz = (size_t)n;
}

/* A xorshift generator per thread: rand() would serialise the threads on its lock. */
static uint64_t
next_rand(uint64_t* s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    *s = x;
    return x;
}

struct slot
{
    int64_t id;
    int64_t start_ns;
    int is_get;
    enum hyperclient_returncode status;
    struct hyperclient_attribute* attrs;
    size_t attrs_sz;
};

struct worker
{
    pthread_t thread;
    int index;
    struct hyperclient* client;
    struct slot slots[WINDOW_MAX];
    char value[VALUE_BYTES];
    uint64_t rng;
    /* Latencies in microseconds of completed requests, grown as needed. */
    uint32_t* lat;
    size_t lat_n, lat_cap;
    long errors;
    int failed;
    char error[160];
};

static int64_t run_until_ns;

static int
issue(struct worker* w, struct slot* s)
{
    char key[24];
    size_t key_sz;
    key_of((long)(next_rand(&w->rng) % (uint64_t)keys), key, &key_sz);
    s->is_get = op == OP_GET || (op == OP_MIXED && (next_rand(&w->rng) & 1));
    s->status = HYPERCLIENT_ZERO;
    s->attrs = NULL;
    s->attrs_sz = 0;
    s->start_ns = now_ns();
    if (s->is_get)
        s->id = hyperclient_get(w->client, space, key, key_sz, &s->status, &s->attrs, &s->attrs_sz);
    else
    {
        /* A byte of the value changes per request, so that puts are real updates. */
        w->value[0] = (char)('a' + next_rand(&w->rng) % 26);
        struct hyperclient_attribute a = {"v", w->value, VALUE_BYTES, HYPERDATATYPE_STRING};
        s->id = hyperclient_put(w->client, space, key, key_sz, &a, 1, &s->status);
    }
    if (s->id < 0)
    {
        snprintf(w->error, sizeof(w->error), "request refused with status %d", (int)s->status);
        return -1;
    }
    return 0;
}

static void
record(struct worker* w, uint32_t us)
{
    if (w->lat_n == w->lat_cap)
    {
        size_t cap = w->lat_cap ? w->lat_cap * 2 : 1 << 16;
        uint32_t* p = realloc(w->lat, cap * sizeof(*p));
        if (!p)
        {
            w->failed = 1;
            return;
        }
        w->lat = p;
        w->lat_cap = cap;
    }
    w->lat[w->lat_n++] = us;
}

/* Runs until the deadline with `window` requests in flight, then collects the last ones. */
static void*
work(void* arg)
{
    struct worker* w = arg;
    int inflight = 0;
    for (int i = 0; i < window; i++)
    {
        if (issue(w, &w->slots[i]) < 0)
        {
            w->failed = 1;
            break;
        }
        inflight++;
    }
    while (inflight > 0 && !w->failed)
    {
        enum hyperclient_returncode ls = HYPERCLIENT_ZERO;
        int64_t id = hyperclient_loop(w->client, LOOP_WAIT_MS, &ls);
        if (id < 0)
        {
            snprintf(w->error, sizeof(w->error), "hyperclient_loop: status %d", (int)ls);
            w->failed = 1;
            break;
        }
        int64_t t = now_ns();
        struct slot* s = NULL;
        for (int i = 0; i < window; i++)
            if (w->slots[i].id == id)
            {
                s = &w->slots[i];
                break;
            }
        if (!s)
            continue;
        s->id = 0;
        inflight--;
        int ok = s->status == HYPERCLIENT_SUCCESS || (s->is_get && s->status == HYPERCLIENT_NOTFOUND);
        if (!ok) w->errors++;
        if (s->attrs) hyperclient_destroy_attrs(s->attrs, s->attrs_sz);
        record(w, (uint32_t)((t - s->start_ns) / 1000));
        if (t < run_until_ns)
        {
            if (issue(w, s) < 0)
            {
                w->failed = 1;
                break;
            }
            inflight++;
        }
    }
    return NULL;
}

static int
cmp_u32(const void* a, const void* b)
{
    uint32_t x = *(const uint32_t*)a, y = *(const uint32_t*)b;
    return x < y ? -1 : x > y;
}

static int
wait_for(struct hyperclient* c, int64_t id, enum hyperclient_returncode* st, const char* what)
{
    enum hyperclient_returncode ls;
    int64_t got = hyperclient_loop(c, LOOP_WAIT_MS, &ls);
    if (got != id)
    {
        fprintf(stderr, "load: %s: loop returned %" PRId64 " (status %d)\n", what, got, (int)ls);
        return -1;
    }
    if (*st != HYPERCLIENT_SUCCESS)
    {
        fprintf(stderr, "load: %s: status %d\n", what, (int)*st);
        return -1;
    }
    return 0;
}

/* Puts every key once, 256 in flight. */
static int
load_keys(struct hyperclient* c)
{
    enum
    {
        W = 256
    };
    static enum hyperclient_returncode sts[W];
    static int64_t ids[W];
    char value[VALUE_BYTES];
    memset(value, 'x', sizeof(value));
    struct hyperclient_attribute a = {"v", value, VALUE_BYTES, HYPERDATATYPE_STRING};
    int64_t t0 = now_ns();
    for (long base = 0; base < keys; base += W)
    {
        long n = keys - base < W ? keys - base : W;
        for (long i = 0; i < n; i++)
        {
            char key[24];
            size_t key_sz;
            key_of(base + i, key, &key_sz);
            ids[i] = hyperclient_put(c, space, key, key_sz, &a, 1, &sts[i]);
            if (ids[i] < 0)
            {
                fprintf(stderr, "load: put refused: %d\n", (int)sts[i]);
                return -1;
            }
        }
        for (long done = 0; done < n; done++)
        {
            enum hyperclient_returncode ls;
            int64_t got = hyperclient_loop(c, LOOP_WAIT_MS, &ls);
            if (got < 0)
            {
                fprintf(stderr, "load: loading: loop status %d\n", (int)ls);
                return -1;
            }
            long i = 0;
            while (i < n && ids[i] != got) i++;
            if (i < n && sts[i] != HYPERCLIENT_SUCCESS)
            {
                fprintf(stderr, "load: loading: put status %d\n", (int)sts[i]);
                return -1;
            }
        }
    }
    fprintf(stderr, "load: loaded %ld keys in %.2f s\n", keys, (double)(now_ns() - t0) / 1e9);
    return 0;
}

static void
usage(void)
{
    fprintf(stderr, "usage: load HOST PORT [-o get|put|mixed] [-c CONNS] [-w WINDOW] [-t SECONDS] [-k KEYS] [-s SPACE] [-l] [-a DESCRIPTION]\n");
    exit(2);
}

int
main(int argc, char** argv)
{
    if (argc < 3) usage();
    host = argv[1];
    port = (in_port_t)atoi(argv[2]);
    int do_load = 0;
    const char* description = NULL;
    for (int i = 3; i < argc; i++)
    {
        const char* a = argv[i];
        const char* v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-l")) { do_load = 1; continue; }
        if (!v) usage();
        i++;
        if (!strcmp(a, "-o")) op = !strcmp(v, "get") ? OP_GET : !strcmp(v, "put") ? OP_PUT : !strcmp(v, "mixed") ? OP_MIXED : (usage(), OP_GET);
        else if (!strcmp(a, "-c")) conns = atoi(v);
        else if (!strcmp(a, "-w")) window = atoi(v);
        else if (!strcmp(a, "-t")) seconds = atof(v);
        else if (!strcmp(a, "-k")) keys = atol(v);
        else if (!strcmp(a, "-s")) space = v;
        else if (!strcmp(a, "-a")) description = v;
        else usage();
    }
    if (conns < 1 || conns > CONNS_MAX || window < 1 || window > WINDOW_MAX || keys < 1 || seconds < 0) usage();

    if (description || do_load)
    {
        struct hyperclient* c = hyperclient_create(host, port);
        if (!c)
        {
            fprintf(stderr, "load: cannot create a client for %s:%d\n", host, (int)port);
            return 1;
        }
        if (description)
        {
            enum hyperclient_returncode st;
            int64_t id = hyperclient_add_space(c, description, &st);
            if (id < 0 || wait_for(c, id, &st, "add_space") < 0) return 1;
        }
        if (do_load && load_keys(c) < 0) return 1;
        hyperclient_destroy(c);
    }
    if (seconds == 0) return 0;

    static struct worker workers[CONNS_MAX];
    for (int i = 0; i < conns; i++)
    {
        struct worker* w = &workers[i];
        w->index = i;
        w->rng = 0x9e3779b97f4a7c15ULL * (uint64_t)(i + 1);
        memset(w->value, 'y', sizeof(w->value));
        w->client = hyperclient_create(host, port);
        if (!w->client)
        {
            fprintf(stderr, "load: cannot create client %d\n", i);
            return 1;
        }
    }
    struct timespec cpu0;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu0);
    int64_t t0 = now_ns();
    run_until_ns = t0 + (int64_t)(seconds * 1e9);
    for (int i = 0; i < conns; i++)
        if (pthread_create(&workers[i].thread, NULL, work, &workers[i]) != 0)
        {
            fprintf(stderr, "load: pthread_create: %s\n", strerror(errno));
            return 1;
        }
    for (int i = 0; i < conns; i++) pthread_join(workers[i].thread, NULL);
    int64_t t1 = now_ns();
    struct timespec cpu1;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &cpu1);

    size_t total = 0;
    long errors = 0;
    int failed = 0;
    for (int i = 0; i < conns; i++)
    {
        total += workers[i].lat_n;
        errors += workers[i].errors;
        if (workers[i].failed)
        {
            fprintf(stderr, "load: connection %d: %s\n", i, workers[i].error);
            failed = 1;
        }
    }
    uint32_t* all = malloc((total ? total : 1) * sizeof(*all));
    if (!all) return 1;
    size_t k = 0;
    for (int i = 0; i < conns; i++)
    {
        memcpy(all + k, workers[i].lat, workers[i].lat_n * sizeof(*all));
        k += workers[i].lat_n;
        free(workers[i].lat);
        hyperclient_destroy(workers[i].client);
    }
    qsort(all, total, sizeof(*all), cmp_u32);
    double secs = (double)(t1 - t0) / 1e9;
    double cpu = (double)(cpu1.tv_sec - cpu0.tv_sec) + (double)(cpu1.tv_nsec - cpu0.tv_nsec) / 1e9;
    const char* names[] = {"get", "put", "mixed"};
    printf("op=%s conns=%d window=%d ops=%zu secs=%.2f ops_per_s=%.0f p50_us=%u p99_us=%u p999_us=%u errors=%ld client_cpu_s=%.2f\n",
           names[op], conns, window, total, secs, total / secs, total ? all[total / 2] : 0,
           total ? all[(size_t)(total * 0.99)] : 0, total ? all[(size_t)(total * 0.999)] : 0, errors, cpu);
    free(all);
    return failed || errors ? 1 : 0;
}
