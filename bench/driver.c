/* hyperdex-bench: the benchmark driver of `npm run bench` (bench/compare.ts runs it).
 *
 * One program drives the three systems the same way, so that their figures differ by the server
 * and its protocol, not by the client's shape:
 *   hyperdex  libhyperclient (native/include/hyperclient.h) against a HyperDex cluster
 *   redis     hiredis against a redis-server
 *   echo      a 4-byte length prefix, 40-byte requests and 120-byte replies over loopback TCP,
 *             against `hyperdex-bench serve-echo`: the machine's request/response limit
 *
 * A "connection" is one struct hyperclient, one redisContext or one echo socket, each driven by
 * its own thread, which keeps `depth` requests in flight: it issues `depth`, then issues one more
 * each time one completes. Latencies go into a log-linear histogram (64 sub-buckets per power of
 * two, so a percentile is within 1.6 % of the sample it stands for).
 *
 * Command lines (every argument is NAME=VALUE):
 *   hyperdex-bench serve-echo [port=0]
 *       prints "echo listening on 127.0.0.1:PORT" and serves until SIGTERM or SIGINT.
 *   hyperdex-bench load backend=hyperdex|redis host=H port=P space=kv|big n=N [groups=G] [conns=2] [depth=128]
 *       writes objects 0..N-1 (kv: key k<i>, v 100 bytes, n 0, sec spread(i, N); big: key b<i>, v,
 *       grp spread(i % G, G), spread() below;
 *       redis: SET k<i> v and SET c<i> 0); prints one JSON line.
 *   hyperdex-bench run backend=B host=H port=P workload=W dist=uniform|zipf conns=C depth=D
 *                      seconds=S warmup=S keys=N groups=G [pids=PID,PID...] [seed=N] [timeout_ms=120000]
 *                      [min_ops=0]
 *       runs workload W for `warmup` seconds, then measures for `seconds`, and prints one JSON line:
 *       ops/s, p50/p99/p99.9 latency, the client's CPU seconds and those of the `pids` (the
 *       servers) during the measured window, and the resident memory of each pid at its end.
 * Workloads: get put mix50 mix95 condput atomic_add search1 search1000 count (the echo backend
 * runs its one request/reply whatever the workload). Exit status 0, or 1 with a message on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <arpa/inet.h>
#include <time.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "hyperclient.h"
#include "hyperdex_constants.h"

/* ---------------------------------------------------------------------------------------------
 * Limits and constants
 * ------------------------------------------------------------------------------------------- */

enum { VALUE_BYTES = 100 };
enum { KEY_BYTES_MAX = 32 };
enum { CONNS_MAX = 64 };
enum { DEPTH_MAX = 4096 };
enum { PIDS_MAX = 16 };
enum { ECHO_REQUEST_BYTES = 40, ECHO_REPLY_BYTES = 120 };
enum { ECHO_CONNS_MAX = 1024 };
/* Zipf's exponent: YCSB's default, so that "zipfian" means what it means there. */
static const double ZIPF_THETA = 0.99;
/* Multiplied into a zipf rank to pick its key, so that the hot keys are spread over the key space
 * (and so over regions) rather than being keys 0, 1, 2...; a prime, hence coprime with any n that
 * is not a multiple of it: the mapping is a permutation. */
static const uint64_t SCRAMBLE_PRIME = 2654435761ULL;

/* Every value starts with this tag: the redis condput script compares it, as the hyperdex condput
 * compares an attribute. */
static const char VALUE_TAG[8] = {'b', 'e', 'n', 'c', 'h', 't', 'a', 'g'};

/* The redis condput: read, compare a field of the stored value with the argument, write; in one
 * round trip, atomically (Lua scripts run alone). */
static const char REDIS_CONDPUT_LUA[] =
    "local v = redis.call('GET', KEYS[1]) "
    "if v and string.sub(v, 1, 8) == ARGV[1] then redis.call('SET', KEYS[1], ARGV[2]) return 1 end "
    "return 0";

/* ---------------------------------------------------------------------------------------------
 * Small helpers
 * ------------------------------------------------------------------------------------------- */

static void
die(const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("hyperdex-bench: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
    exit(1);
}

static uint64_t
now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void
sleep_s(double s)
{
    struct timespec ts;
    ts.tv_sec = (time_t)s;
    ts.tv_nsec = (long)((s - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static uint64_t
rng_next(uint64_t* s)
{
    /* xorshift64*: enough for picking keys, and the same sequence for every backend. */
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 2685821657736338717ULL;
}

static void
put_u32_be(char* p, uint32_t v)
{
    p[0] = (char)(v >> 24);
    p[1] = (char)(v >> 16);
    p[2] = (char)(v >> 8);
    p[3] = (char)v;
}

static uint32_t
get_u32_be(const char* p)
{
    const unsigned char* u = (const unsigned char*)p;
    return ((uint32_t)u[0] << 24) | ((uint32_t)u[1] << 16) | ((uint32_t)u[2] << 8) | u[3];
}

static void
int64_le(char out[8], int64_t v)
{
    uint64_t u = (uint64_t)v;
    for (int i = 0; i < 8; i++) out[i] = (char)(u >> (8 * i));
}

/* The i-th of n int64 values spread evenly over the whole int64 range (sec and grp): an int64 axis
 * keeps order and the planner cuts it into equal intervals, so i itself (small integers) would put
 * every object of a subspace in one region, on one daemon. Spread, the objects fall into every
 * region, as hashed values do; searches still name one value. */
static int64_t
spread(uint64_t i, uint64_t n)
{
    return (int64_t)((i * (UINT64_MAX / n)) ^ (UINT64_C(1) << 63));
}

/* CPU seconds (user + system) of a process so far, from /proc/PID/stat; -1 if it cannot be read. */
static double
proc_cpu_s(pid_t pid)
{
    char path[64];
    char buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
    FILE* f = fopen(path, "r");
    if (!f) return -1;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    /* The command name may hold spaces and parentheses: fields are counted from its last ')'. */
    char* p = strrchr(buf, ')');
    if (!p) return -1;
    unsigned long utime = 0, stime = 0;
    /* after ")": state(3) ppid pgrp session tty_nr tpgid flags minflt cminflt majflt cmajflt utime(14) stime(15) */
    if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &utime, &stime) != 2) return -1;
    return (double)(utime + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* Resident memory of a process in KiB, from /proc/PID/status; -1 if it cannot be read. */
static long
proc_rss_kb(pid_t pid)
{
    char path[64];
    char line[256];
    snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
    FILE* f = fopen(path, "r");
    if (!f) return -1;
    long kb = -1;
    while (fgets(line, sizeof line, f)) {
        if (strncmp(line, "VmRSS:", 6) == 0) {
            kb = strtol(line + 6, NULL, 10);
            break;
        }
    }
    fclose(f);
    return kb;
}

/* ---------------------------------------------------------------------------------------------
 * Latency histogram: values in ns; below 128 one bucket per ns, above it 64 buckets per power of
 * two. Fixed size, no allocation while measuring.
 * ------------------------------------------------------------------------------------------- */

enum { HIST_SUB = 64, HIST_BUCKETS = HIST_SUB * 58 };

struct hist
{
    uint64_t counts[HIST_BUCKETS];
    uint64_t total;
    uint64_t max_ns;
};

static unsigned
hist_index(uint64_t ns)
{
    if (ns < 2 * HIST_SUB) return (unsigned)ns;
    unsigned msb = 63u - (unsigned)__builtin_clzll(ns);
    unsigned shift = msb - 6u; /* ns >> shift is in [64, 128) */
    unsigned idx = shift * HIST_SUB + (unsigned)(ns >> shift);
    return idx < HIST_BUCKETS ? idx : HIST_BUCKETS - 1;
}

/* The middle of bucket idx, in ns. */
static double
hist_value_ns(unsigned idx)
{
    if (idx < 2 * HIST_SUB) return (double)idx;
    unsigned shift = idx / HIST_SUB - 1u;
    uint64_t top = idx % HIST_SUB + HIST_SUB;
    return (double)(top << shift) + (double)(1ULL << shift) / 2.0;
}

static void
hist_add(struct hist* h, uint64_t ns)
{
    h->counts[hist_index(ns)]++;
    h->total++;
    if (ns > h->max_ns) h->max_ns = ns;
}

static void
hist_merge(struct hist* into, const struct hist* from)
{
    for (unsigned i = 0; i < HIST_BUCKETS; i++) into->counts[i] += from->counts[i];
    into->total += from->total;
    if (from->max_ns > into->max_ns) into->max_ns = from->max_ns;
}

/* The latency (us) below which a fraction q of the samples lie. */
static double
hist_quantile_us(const struct hist* h, double q)
{
    if (h->total == 0) return 0;
    uint64_t rank = (uint64_t)ceil(q * (double)h->total);
    if (rank < 1) rank = 1;
    uint64_t seen = 0;
    for (unsigned i = 0; i < HIST_BUCKETS; i++) {
        seen += h->counts[i];
        if (seen >= rank) return hist_value_ns(i) / 1000.0;
    }
    return (double)h->max_ns / 1000.0;
}

/* ---------------------------------------------------------------------------------------------
 * Key choice
 * ------------------------------------------------------------------------------------------- */

struct zipf
{
    uint64_t n;
    double* cdf; /* cdf[i] = P(rank <= i) */
};

static void
zipf_init(struct zipf* z, uint64_t n)
{
    z->n = n;
    z->cdf = malloc(n * sizeof(double));
    if (!z->cdf) die("out of memory for a zipf table of %llu", (unsigned long long)n);
    double sum = 0;
    for (uint64_t i = 0; i < n; i++) sum += 1.0 / pow((double)(i + 1), ZIPF_THETA);
    double acc = 0;
    for (uint64_t i = 0; i < n; i++) {
        acc += 1.0 / pow((double)(i + 1), ZIPF_THETA) / sum;
        z->cdf[i] = acc;
    }
    z->cdf[n - 1] = 1.0;
}

static uint64_t
zipf_rank(const struct zipf* z, uint64_t* rng)
{
    double u = (double)(rng_next(rng) >> 11) / 9007199254740992.0; /* [0, 1) */
    uint64_t lo = 0, hi = z->n - 1;
    while (lo < hi) {
        uint64_t mid = lo + (hi - lo) / 2;
        if (z->cdf[mid] < u) lo = mid + 1;
        else hi = mid;
    }
    return lo;
}

/* ---------------------------------------------------------------------------------------------
 * Configuration
 * ------------------------------------------------------------------------------------------- */

enum backend { BACKEND_HYPERDEX, BACKEND_REDIS, BACKEND_ECHO };
enum workload { W_GET, W_PUT, W_MIX50, W_MIX95, W_CONDPUT, W_ATOMIC_ADD, W_SEARCH1, W_SEARCH1000, W_COUNT, W_LOAD };
enum phase { PHASE_WARMUP, PHASE_MEASURE, PHASE_STOP };

static const char* const WORKLOAD_NAMES[] = {"get", "put", "mix50", "mix95", "condput", "atomic_add",
                                             "search1", "search1000", "count", "load"};

struct config
{
    enum backend backend;
    const char* backend_name;
    const char* host;
    unsigned port;
    enum workload workload;
    int zipfian;
    unsigned conns;
    unsigned depth;
    double seconds;
    double warmup;
    uint64_t keys;   /* objects in kv (run) or objects to load (load) */
    uint64_t groups; /* distinct grp values in big */
    int load_big;    /* load: big rather than kv */
    pid_t pids[PIDS_MAX];
    unsigned npids;
    uint64_t seed;
    /* hyperclient_loop's wait: a reply slower than this ends the run with an error rather than
     * hanging it. Long by default, because a slow search at depth 64 waits behind 63 others. */
    int timeout_ms;
    /* The measured window lasts `seconds`, and longer if fewer operations than this completed in it
     * (up to timeout_ms more): a short smoke run then still measures something. */
    uint64_t min_ops;
    struct zipf zipf;  /* over keys (key workloads, search1) or groups (search1000, count) */
    char value[VALUE_BYTES];
    char redis_sha[64];
};

static _Atomic int g_phase = PHASE_WARMUP;
static _Atomic uint64_t g_load_next = 0;
/* Operations completed in the measured window, all workers together (for min_ops). */
static _Atomic uint64_t g_measured = 0;

struct worker
{
    const struct config* cfg;
    unsigned index;
    uint64_t rng;
    struct hist hist;
    uint64_t ops;      /* completed in the measured window */
    uint64_t errors;   /* of those, ones that ended in an unexpected status */
    uint64_t results;  /* objects returned by searches (or counted by count) in the window */
    char error[256];   /* set when the worker gave up */
    pthread_t thread;
};

static void
worker_fail(struct worker* w, const char* fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (w->error[0] == '\0') vsnprintf(w->error, sizeof w->error, fmt, ap);
    va_end(ap);
}

/* The next object to touch: a key index for key workloads and search1, a group for search1000 and
 * count, the next unloaded index for load. Returns 0 when a load is done. */
static int
next_index(struct worker* w, uint64_t* out)
{
    const struct config* c = w->cfg;
    if (c->workload == W_LOAD) {
        uint64_t i = atomic_fetch_add(&g_load_next, 1);
        if (i >= c->keys) return 0;
        *out = i;
        return 1;
    }
    uint64_t n = (c->workload == W_SEARCH1000 || c->workload == W_COUNT) ? c->groups : c->keys;
    if (c->zipfian) *out = (zipf_rank(&c->zipf, &w->rng) * SCRAMBLE_PRIME) % n;
    else *out = rng_next(&w->rng) % n;
    return 1;
}

/* For the mixes: whether this operation reads. */
static int
mix_reads(struct worker* w)
{
    unsigned pct = w->cfg->workload == W_MIX50 ? 50 : 95;
    return rng_next(&w->rng) % 100 < pct;
}

static size_t
kv_key(char* out, uint64_t i)
{
    return (size_t)snprintf(out, KEY_BYTES_MAX, "k%llu", (unsigned long long)i);
}

/* ---------------------------------------------------------------------------------------------
 * Backend: libhyperclient
 * ------------------------------------------------------------------------------------------- */

enum hd_kind { HD_GET, HD_WRITE, HD_SEARCH, HD_COUNT };

struct hd_slot
{
    int64_t id; /* 0 when free */
    enum hd_kind kind;
    uint64_t started_ns;
    enum hyperclient_returncode status;
    struct hyperclient_attribute* attrs;
    size_t attrs_sz;
    uint64_t count;
    uint64_t results;
};

/* Issues the next operation into `s`; 0 when there is nothing more to issue (load done) or the
 * call failed (then the worker's error says why). */
static int
hd_issue(struct worker* w, struct hyperclient* hc, struct hd_slot* s)
{
    const struct config* c = w->cfg;
    uint64_t i;
    if (!next_index(w, &i)) return 0;
    char key[KEY_BYTES_MAX];
    char num[8];
    char one[8];
    size_t key_sz = kv_key(key, i);
    struct hyperclient_attribute a[3];
    s->attrs = NULL;
    s->attrs_sz = 0;
    s->results = 0;
    s->count = 0;
    s->started_ns = now_ns();
    enum workload wl = c->workload;
    if (wl == W_MIX50 || wl == W_MIX95) wl = mix_reads(w) ? W_GET : W_PUT;
    int64_t id;
    switch (wl) {
    case W_GET:
        s->kind = HD_GET;
        id = hyperclient_get(hc, "kv", key, key_sz, &s->status, &s->attrs, &s->attrs_sz);
        break;
    case W_PUT:
        s->kind = HD_WRITE;
        a[0] = (struct hyperclient_attribute){"v", c->value, VALUE_BYTES, HYPERDATATYPE_STRING};
        id = hyperclient_put(hc, "kv", key, key_sz, a, 1, &s->status);
        break;
    case W_CONDPUT:
        /* The condition reads a stored attribute that holds (sec is the key's index): a
         * compare-and-write that succeeds, as the redis script's does. */
        s->kind = HD_WRITE;
        int64_le(num, spread(i, c->keys));
        a[0] = (struct hyperclient_attribute){"sec", num, 8, HYPERDATATYPE_INT64};
        a[1] = (struct hyperclient_attribute){"v", c->value, VALUE_BYTES, HYPERDATATYPE_STRING};
        id = hyperclient_condput(hc, "kv", key, key_sz, &a[0], 1, &a[1], 1, &s->status);
        break;
    case W_ATOMIC_ADD:
        s->kind = HD_WRITE;
        int64_le(one, 1);
        a[0] = (struct hyperclient_attribute){"n", one, 8, HYPERDATATYPE_INT64};
        id = hyperclient_atomic_add(hc, "kv", key, key_sz, a, 1, &s->status);
        break;
    case W_SEARCH1:
        s->kind = HD_SEARCH;
        int64_le(num, spread(i, c->keys));
        a[0] = (struct hyperclient_attribute){"sec", num, 8, HYPERDATATYPE_INT64};
        id = hyperclient_search(hc, "kv", a, 1, NULL, 0, &s->status, &s->attrs, &s->attrs_sz);
        break;
    case W_SEARCH1000:
        s->kind = HD_SEARCH;
        int64_le(num, spread(i, c->groups));
        a[0] = (struct hyperclient_attribute){"grp", num, 8, HYPERDATATYPE_INT64};
        id = hyperclient_search(hc, "big", a, 1, NULL, 0, &s->status, &s->attrs, &s->attrs_sz);
        break;
    case W_COUNT: {
        s->kind = HD_COUNT;
        int64_le(num, spread(i, c->groups));
        struct hyperclient_attribute_check chk = {"grp", num, 8, HYPERDATATYPE_INT64, HYPERPREDICATE_EQUALS};
        id = hyperclient_count(hc, "big", &chk, 1, &s->status, &s->count);
        break;
    }
    case W_LOAD:
    default:
        s->kind = HD_WRITE;
        if (c->load_big) {
            key_sz = (size_t)snprintf(key, sizeof key, "b%llu", (unsigned long long)i);
            int64_le(num, spread(i % c->groups, c->groups));
            a[0] = (struct hyperclient_attribute){"v", c->value, VALUE_BYTES, HYPERDATATYPE_STRING};
            a[1] = (struct hyperclient_attribute){"grp", num, 8, HYPERDATATYPE_INT64};
            id = hyperclient_put(hc, "big", key, key_sz, a, 2, &s->status);
        } else {
            int64_le(num, spread(i, c->keys));
            int64_le(one, 0);
            a[0] = (struct hyperclient_attribute){"v", c->value, VALUE_BYTES, HYPERDATATYPE_STRING};
            a[1] = (struct hyperclient_attribute){"n", one, 8, HYPERDATATYPE_INT64};
            a[2] = (struct hyperclient_attribute){"sec", num, 8, HYPERDATATYPE_INT64};
            id = hyperclient_put(hc, "kv", key, key_sz, a, 3, &s->status);
        }
        break;
    }
    if (id < 0) {
        worker_fail(w, "%s: request refused: %s", WORKLOAD_NAMES[c->workload], hyperdex_returncode_name(s->status));
        return 0;
    }
    s->id = id;
    return 1;
}

static int
hd_status_ok(enum hd_kind kind, enum hyperclient_returncode st)
{
    if (st == HYPERCLIENT_SUCCESS) return 1;
    /* A missed condition is an answer, not a failure. */
    return kind == HD_WRITE && st == HYPERCLIENT_CMPFAIL;
}

static void*
hd_worker(void* arg)
{
    struct worker* w = arg;
    const struct config* c = w->cfg;
    struct hyperclient* hc = hyperclient_create(c->host, (in_port_t)c->port);
    if (!hc) {
        worker_fail(w, "hyperclient_create(%s, %u) failed", c->host, c->port);
        return NULL;
    }
    struct hd_slot* slots = calloc(c->depth, sizeof *slots);
    if (!slots) die("out of memory");
    unsigned inflight = 0;
    for (unsigned k = 0; k < c->depth; k++) {
        if (!hd_issue(w, hc, &slots[k])) break;
        inflight++;
    }
    while (inflight > 0) {
        enum hyperclient_returncode lst;
        int64_t id = hyperclient_loop(hc, c->timeout_ms, &lst);
        if (id < 0) {
            worker_fail(w, "hyperclient_loop: %s", hyperdex_returncode_name(lst));
            break;
        }
        struct hd_slot* s = NULL;
        for (unsigned k = 0; k < c->depth; k++) {
            if (slots[k].id == id) {
                s = &slots[k];
                break;
            }
        }
        if (!s) {
            worker_fail(w, "hyperclient_loop returned id %lld, which is not outstanding", (long long)id);
            break;
        }
        int ok;
        if (s->kind == HD_SEARCH) {
            if (s->status == HYPERCLIENT_SUCCESS) {
                hyperclient_destroy_attrs(s->attrs, s->attrs_sz);
                s->attrs = NULL;
                s->results++;
                continue;
            }
            if (s->status != HYPERCLIENT_SEARCHDONE) {
                /* a part's error; the search goes on to SEARCHDONE */
                if (atomic_load(&g_phase) == PHASE_MEASURE) w->errors++;
                continue;
            }
            ok = 1;
        } else {
            ok = hd_status_ok(s->kind, s->status);
            if (s->kind == HD_GET && s->status == HYPERCLIENT_SUCCESS) hyperclient_destroy_attrs(s->attrs, s->attrs_sz);
            if (s->kind == HD_COUNT && ok) s->results = s->count;
        }
        uint64_t done = now_ns();
        if (c->workload == W_LOAD && !ok) {
            worker_fail(w, "load: put failed: %s", hyperdex_returncode_name(s->status));
            break;
        }
        if (atomic_load(&g_phase) == PHASE_MEASURE) {
            hist_add(&w->hist, done - s->started_ns);
            w->ops++;
            atomic_fetch_add(&g_measured, 1);
            w->results += s->results;
            if (!ok) w->errors++;
        }
        s->id = 0;
        inflight--;
        if (atomic_load(&g_phase) != PHASE_STOP && hd_issue(w, hc, s)) inflight++;
    }
    free(slots);
    hyperclient_destroy(hc);
    return NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Backend: hiredis. Pipelined on a blocking context: redisAppendCommand queues, redisGetReply
 * sends what is queued when it has no reply at hand and then reads; replies come in order, so the
 * start times are a ring.
 * ------------------------------------------------------------------------------------------- */

/* Queues the next command; 0 when there is nothing more to issue. */
static int
redis_issue(struct worker* w, redisContext* rc)
{
    const struct config* c = w->cfg;
    uint64_t i;
    if (!next_index(w, &i)) return 0;
    char key[KEY_BYTES_MAX];
    size_t key_sz = kv_key(key, i);
    enum workload wl = c->workload;
    if (wl == W_MIX50 || wl == W_MIX95) wl = mix_reads(w) ? W_GET : W_PUT;
    int r;
    switch (wl) {
    case W_GET:
        r = redisAppendCommand(rc, "GET %b", key, key_sz);
        break;
    case W_PUT:
        r = redisAppendCommand(rc, "SET %b %b", key, key_sz, c->value, (size_t)VALUE_BYTES);
        break;
    case W_CONDPUT:
        r = redisAppendCommand(rc, "EVALSHA %s 1 %b %b %b", c->redis_sha, key, key_sz, VALUE_TAG,
                               sizeof VALUE_TAG, c->value, (size_t)VALUE_BYTES);
        break;
    case W_ATOMIC_ADD:
        key[0] = 'c';
        r = redisAppendCommand(rc, "INCRBY %b 1", key, key_sz);
        break;
    case W_LOAD:
        /* two commands per key: the value and its counter; completions count both */
        r = redisAppendCommand(rc, "SET %b %b", key, key_sz, c->value, (size_t)VALUE_BYTES);
        if (r == REDIS_OK) {
            key[0] = 'c';
            r = redisAppendCommand(rc, "SET %b 0", key, key_sz);
        }
        break;
    default:
        worker_fail(w, "redis has no equivalent of %s", WORKLOAD_NAMES[c->workload]);
        return 0;
    }
    if (r != REDIS_OK) {
        worker_fail(w, "redisAppendCommand: %s", rc->errstr);
        return 0;
    }
    return 1;
}

static void*
redis_worker(void* arg)
{
    struct worker* w = arg;
    const struct config* c = w->cfg;
    redisContext* rc = redisConnect(c->host, (int)c->port);
    if (!rc || rc->err) {
        worker_fail(w, "redisConnect(%s, %u): %s", c->host, c->port, rc ? rc->errstr : "no memory");
        if (rc) redisFree(rc);
        return NULL;
    }
    unsigned per_issue = c->workload == W_LOAD ? 2 : 1;
    uint64_t* started = calloc(c->depth, sizeof *started);
    if (!started) die("out of memory");
    unsigned head = 0, inflight = 0;
    for (unsigned k = 0; k < c->depth; k++) {
        started[(head + inflight) % c->depth] = now_ns();
        if (!redis_issue(w, rc)) break;
        inflight++;
    }
    unsigned pending_replies = inflight * per_issue;
    while (inflight > 0) {
        redisReply* reply = NULL;
        int ok = 1;
        for (unsigned r = 0; r < per_issue; r++) {
            if (redisGetReply(rc, (void**)&reply) != REDIS_OK || !reply) {
                worker_fail(w, "redisGetReply: %s", rc->errstr);
                goto out;
            }
            pending_replies--;
            if (reply->type == REDIS_REPLY_ERROR) {
                ok = 0;
                if (c->workload == W_LOAD || c->workload == W_CONDPUT) {
                    /* a script error (say NOSCRIPT) would repeat for every call: stop */
                    worker_fail(w, "redis: %s", reply->str);
                    freeReplyObject(reply);
                    goto out;
                }
            }
            freeReplyObject(reply);
        }
        uint64_t done = now_ns();
        if (atomic_load(&g_phase) == PHASE_MEASURE) {
            hist_add(&w->hist, done - started[head]);
            w->ops++;
            atomic_fetch_add(&g_measured, 1);
            if (!ok) w->errors++;
        }
        head = (head + 1) % c->depth;
        inflight--;
        if (atomic_load(&g_phase) != PHASE_STOP) {
            started[(head + inflight) % c->depth] = now_ns();
            if (redis_issue(w, rc)) {
                inflight++;
                pending_replies += per_issue;
            }
        }
    }
out:
    (void)pending_replies;
    free(started);
    redisFree(rc);
    return NULL;
}

/* ---------------------------------------------------------------------------------------------
 * Backend: echo. Client: requests written in one write per batch of completions, replies parsed
 * from whatever a read brings. Server (serve-echo): one epoll thread, as redis-server has one.
 * ------------------------------------------------------------------------------------------- */

static int
tcp_connect(const char* host, unsigned port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    struct sockaddr_in sa = {0};
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1 || connect(fd, (struct sockaddr*)&sa, sizeof sa) != 0) {
        close(fd);
        return -1;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static int
write_all(int fd, const char* p, size_t n)
{
    while (n > 0) {
        ssize_t r = write(fd, p, n);
        if (r < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += r;
        n -= (size_t)r;
    }
    return 0;
}

static void*
echo_worker(void* arg)
{
    struct worker* w = arg;
    const struct config* c = w->cfg;
    int fd = tcp_connect(c->host, c->port);
    if (fd < 0) {
        worker_fail(w, "connect to echo %s:%u: %s", c->host, c->port, strerror(errno));
        return NULL;
    }
    enum { FRAME = 4 + ECHO_REQUEST_BYTES, REPLY = 4 + ECHO_REPLY_BYTES };
    char request[FRAME];
    put_u32_be(request, ECHO_REQUEST_BYTES);
    memset(request + 4, 'q', ECHO_REQUEST_BYTES);
    size_t out_cap = (size_t)c->depth * FRAME;
    char* out = malloc(out_cap);
    size_t in_cap = (size_t)c->depth * REPLY + 65536;
    char* in = malloc(in_cap);
    uint64_t* started = calloc(c->depth, sizeof *started);
    if (!out || !in || !started) die("out of memory");
    unsigned head = 0, inflight = 0;
    size_t out_len = 0, in_len = 0;
    uint64_t t0 = now_ns();
    for (unsigned k = 0; k < c->depth; k++) {
        started[k] = t0;
        memcpy(out + out_len, request, FRAME);
        out_len += FRAME;
        inflight++;
    }
    while (inflight > 0) {
        if (out_len > 0) {
            if (write_all(fd, out, out_len) != 0) {
                worker_fail(w, "echo write: %s", strerror(errno));
                break;
            }
            out_len = 0;
        }
        ssize_t r = read(fd, in + in_len, in_cap - in_len);
        if (r < 0 && errno == EINTR) continue;
        if (r <= 0) {
            worker_fail(w, "echo read: %s", r == 0 ? "closed" : strerror(errno));
            break;
        }
        in_len += (size_t)r;
        size_t off = 0;
        uint64_t done = now_ns();
        int measuring = atomic_load(&g_phase) == PHASE_MEASURE;
        int stopping = atomic_load(&g_phase) == PHASE_STOP;
        while (in_len - off >= 4) {
            uint32_t len = get_u32_be(in + off);
            if (len != ECHO_REPLY_BYTES) {
                worker_fail(w, "echo: reply of %u bytes", len);
                goto out;
            }
            if (in_len - off < 4 + len) break;
            off += 4 + len;
            if (measuring) {
                hist_add(&w->hist, done - started[head]);
                w->ops++;
                atomic_fetch_add(&g_measured, 1);
            }
            head = (head + 1) % c->depth;
            inflight--;
            if (!stopping) {
                started[(head + inflight) % c->depth] = now_ns();
                memcpy(out + out_len, request, FRAME);
                out_len += FRAME;
                inflight++;
            }
        }
        memmove(in, in + off, in_len - off);
        in_len -= off;
    }
out:
    free(out);
    free(in);
    free(started);
    close(fd);
    return NULL;
}

struct echo_conn
{
    int fd;
    char* in;
    size_t in_len, in_cap;
    char* out;
    size_t out_len, out_cap;
};

static volatile sig_atomic_t g_stop = 0;

static void
on_stop_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void
echo_conn_close(int ep, struct echo_conn* ec)
{
    epoll_ctl(ep, EPOLL_CTL_DEL, ec->fd, NULL);
    close(ec->fd);
    free(ec->in);
    free(ec->out);
    free(ec);
}

/* Reads what there is, answers every complete request, writes what it can; 0 when the connection
 * is to be closed. */
static int
echo_conn_serve(int ep, struct echo_conn* ec)
{
    for (;;) {
        if (ec->in_cap - ec->in_len < 4096) {
            size_t cap = ec->in_cap * 2;
            char* p = realloc(ec->in, cap);
            if (!p) return 0;
            ec->in = p;
            ec->in_cap = cap;
        }
        ssize_t r = read(ec->fd, ec->in + ec->in_len, ec->in_cap - ec->in_len);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (r <= 0) return 0;
        ec->in_len += (size_t)r;
    }
    size_t off = 0;
    while (ec->in_len - off >= 4) {
        uint32_t len = get_u32_be(ec->in + off);
        if (len > 1 << 20) return 0;
        if (ec->in_len - off < 4 + (size_t)len) break;
        off += 4 + len;
        if (ec->out_cap - ec->out_len < 4 + ECHO_REPLY_BYTES) {
            size_t cap = ec->out_cap * 2;
            char* p = realloc(ec->out, cap);
            if (!p) return 0;
            ec->out = p;
            ec->out_cap = cap;
        }
        put_u32_be(ec->out + ec->out_len, ECHO_REPLY_BYTES);
        memset(ec->out + ec->out_len + 4, 'r', ECHO_REPLY_BYTES);
        ec->out_len += 4 + ECHO_REPLY_BYTES;
    }
    memmove(ec->in, ec->in + off, ec->in_len - off);
    ec->in_len -= off;
    size_t sent = 0;
    while (sent < ec->out_len) {
        ssize_t r = write(ec->fd, ec->out + sent, ec->out_len - sent);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) break;
        if (r < 0) return 0;
        sent += (size_t)r;
    }
    memmove(ec->out, ec->out + sent, ec->out_len - sent);
    ec->out_len -= sent;
    struct epoll_event ev = {.events = EPOLLIN | (ec->out_len > 0 ? EPOLLOUT : 0), .data.ptr = ec};
    epoll_ctl(ep, EPOLL_CTL_MOD, ec->fd, &ev);
    return 1;
}

static int
serve_echo(unsigned port)
{
    struct sigaction sa = {0};
    sa.sa_handler = on_stop_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in addr = {0};
    addr.sin_family = AF_INET;
    addr.sin_port = htons((uint16_t)port);
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr*)&addr, sizeof addr) != 0 || listen(lfd, 128) != 0) die("echo: bind/listen: %s", strerror(errno));
    socklen_t alen = sizeof addr;
    getsockname(lfd, (struct sockaddr*)&addr, &alen);
    printf("echo listening on 127.0.0.1:%u\n", (unsigned)ntohs(addr.sin_port));
    fflush(stdout);
    int ep = epoll_create1(0);
    struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
    epoll_ctl(ep, EPOLL_CTL_ADD, lfd, &lev);
    unsigned conns = 0;
    struct epoll_event evs[64];
    while (!g_stop) {
        int n = epoll_wait(ep, evs, 64, 1000);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) die("echo: epoll_wait: %s", strerror(errno));
        for (int k = 0; k < n; k++) {
            if (evs[k].data.ptr == NULL) {
                int cfd;
                while ((cfd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
                    if (conns >= ECHO_CONNS_MAX) {
                        close(cfd);
                        continue;
                    }
                    setsockopt(cfd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
                    struct echo_conn* ec = calloc(1, sizeof *ec);
                    if (!ec) die("out of memory");
                    ec->fd = cfd;
                    ec->in_cap = 65536;
                    ec->out_cap = 65536;
                    ec->in = malloc(ec->in_cap);
                    ec->out = malloc(ec->out_cap);
                    if (!ec->in || !ec->out) die("out of memory");
                    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = ec};
                    epoll_ctl(ep, EPOLL_CTL_ADD, cfd, &ev);
                    conns++;
                }
                continue;
            }
            struct echo_conn* ec = evs[k].data.ptr;
            if (!echo_conn_serve(ep, ec)) {
                echo_conn_close(ep, ec);
                conns--;
            }
        }
    }
    close(ep);
    close(lfd);
    return 0;
}

/* ---------------------------------------------------------------------------------------------
 * Arguments
 * ------------------------------------------------------------------------------------------- */

static const char*
arg_value(int argc, char** argv, const char* name, const char* fallback)
{
    size_t n = strlen(name);
    for (int i = 2; i < argc; i++) {
        if (strncmp(argv[i], name, n) == 0 && argv[i][n] == '=') return argv[i] + n + 1;
    }
    if (!fallback) die("missing argument %s=...", name);
    return fallback;
}

static uint64_t
arg_u64(int argc, char** argv, const char* name, const char* fallback, uint64_t lo, uint64_t hi)
{
    const char* s = arg_value(argc, argv, name, fallback);
    char* end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v < lo || v > hi) die("%s=%s: want an integer from %llu to %llu", name, s, (unsigned long long)lo, (unsigned long long)hi);
    return v;
}

static double
arg_seconds(int argc, char** argv, const char* name, const char* fallback)
{
    const char* s = arg_value(argc, argv, name, fallback);
    char* end;
    double v = strtod(s, &end);
    if (*end || !(v >= 0 && v <= 3600)) die("%s=%s: want seconds from 0 to 3600", name, s);
    return v;
}

static void
parse_config(struct config* c, int argc, char** argv, int load)
{
    memset(c, 0, sizeof *c);
    c->backend_name = arg_value(argc, argv, "backend", NULL);
    if (strcmp(c->backend_name, "hyperdex") == 0) c->backend = BACKEND_HYPERDEX;
    else if (strcmp(c->backend_name, "redis") == 0) c->backend = BACKEND_REDIS;
    else if (strcmp(c->backend_name, "echo") == 0) c->backend = BACKEND_ECHO;
    else die("backend=%s: want hyperdex, redis or echo", c->backend_name);
    c->host = arg_value(argc, argv, "host", "127.0.0.1");
    c->port = (unsigned)arg_u64(argc, argv, "port", NULL, 1, 65535);
    c->groups = arg_u64(argc, argv, "groups", "1000", 1, UINT32_MAX);
    c->seed = arg_u64(argc, argv, "seed", "1", 1, UINT64_MAX);
    c->timeout_ms = (int)arg_u64(argc, argv, "timeout_ms", "120000", 1, 3600000);
    if (load) {
        c->workload = W_LOAD;
        const char* space = arg_value(argc, argv, "space", "kv");
        if (strcmp(space, "big") == 0) c->load_big = 1;
        else if (strcmp(space, "kv") != 0) die("space=%s: want kv or big", space);
        c->keys = arg_u64(argc, argv, "n", NULL, 1, UINT32_MAX);
        c->conns = (unsigned)arg_u64(argc, argv, "conns", "2", 1, CONNS_MAX);
        c->depth = (unsigned)arg_u64(argc, argv, "depth", "128", 1, DEPTH_MAX);
    } else {
        const char* wl = arg_value(argc, argv, "workload", NULL);
        unsigned k;
        for (k = 0; k < W_LOAD; k++) if (strcmp(wl, WORKLOAD_NAMES[k]) == 0) break;
        if (k == W_LOAD) die("workload=%s: unknown", wl);
        c->workload = (enum workload)k;
        const char* dist = arg_value(argc, argv, "dist", "uniform");
        if (strcmp(dist, "zipf") == 0) c->zipfian = 1;
        else if (strcmp(dist, "uniform") != 0) die("dist=%s: want uniform or zipf", dist);
        c->keys = arg_u64(argc, argv, "keys", NULL, 1, UINT32_MAX);
        c->conns = (unsigned)arg_u64(argc, argv, "conns", "1", 1, CONNS_MAX);
        c->depth = (unsigned)arg_u64(argc, argv, "depth", "1", 1, DEPTH_MAX);
        c->seconds = arg_seconds(argc, argv, "seconds", "3");
        c->warmup = arg_seconds(argc, argv, "warmup", "1");
        c->min_ops = arg_u64(argc, argv, "min_ops", "0", 0, UINT32_MAX);
        if (c->seconds <= 0) die("seconds must be positive");
        const char* pids = arg_value(argc, argv, "pids", "");
        while (*pids) {
            char* end;
            long pid = strtol(pids, &end, 10);
            if (end == pids || pid <= 0 || c->npids >= PIDS_MAX) die("pids=%s: want up to %d comma-separated pids", pids, PIDS_MAX);
            c->pids[c->npids++] = (pid_t)pid;
            pids = *end == ',' ? end + 1 : end;
        }
        if (c->zipfian) zipf_init(&c->zipf, (c->workload == W_SEARCH1000 || c->workload == W_COUNT) ? c->groups : c->keys);
    }
    memcpy(c->value, VALUE_TAG, sizeof VALUE_TAG);
    for (size_t i = sizeof VALUE_TAG; i < VALUE_BYTES; i++) c->value[i] = (char)('a' + i % 26);
}

/* The redis condput script, loaded once so that runs send its sha (EVALSHA) and not its text. */
static void
redis_load_script(struct config* c)
{
    redisContext* rc = redisConnect(c->host, (int)c->port);
    if (!rc || rc->err) die("redisConnect: %s", rc ? rc->errstr : "no memory");
    redisReply* r = redisCommand(rc, "SCRIPT LOAD %s", REDIS_CONDPUT_LUA);
    if (!r || r->type != REDIS_REPLY_STRING || r->len >= (int)sizeof c->redis_sha) die("SCRIPT LOAD failed");
    memcpy(c->redis_sha, r->str, (size_t)r->len);
    c->redis_sha[r->len] = '\0';
    freeReplyObject(r);
    redisFree(rc);
}

/* ---------------------------------------------------------------------------------------------
 * Main
 * ------------------------------------------------------------------------------------------- */

static int
run_workers(struct config* c, int load)
{
    struct worker* ws = calloc(c->conns, sizeof *ws);
    if (!ws) die("out of memory");
    void* (*fn)(void*) = c->backend == BACKEND_HYPERDEX ? hd_worker : c->backend == BACKEND_REDIS ? redis_worker : echo_worker;
    if (c->backend == BACKEND_REDIS && c->workload == W_CONDPUT) redis_load_script(c);
    atomic_store(&g_phase, load ? PHASE_MEASURE : PHASE_WARMUP);
    atomic_store(&g_load_next, 0);
    uint64_t t_start = now_ns();
    for (unsigned k = 0; k < c->conns; k++) {
        ws[k].cfg = c;
        ws[k].index = k;
        ws[k].rng = c->seed * 0x9E3779B97F4A7C15ULL + k + 1;
        if (pthread_create(&ws[k].thread, NULL, fn, &ws[k]) != 0) die("pthread_create failed");
    }
    double client0 = 0, server0 = 0, client1 = 0, server1 = 0;
    long rss[PIDS_MAX];
    uint64_t t0 = t_start, t1 = t_start;
    if (!load) {
        sleep_s(c->warmup);
        client0 = proc_cpu_s(getpid());
        for (unsigned k = 0; k < c->npids; k++) server0 += proc_cpu_s(c->pids[k]);
        t0 = now_ns();
        atomic_store(&g_phase, PHASE_MEASURE);
        sleep_s(c->seconds);
        /* Polled: the workers are busy with their sockets, and a 1 ms tick is far below a run. */
        for (uint64_t waited_ms = 0; atomic_load(&g_measured) < c->min_ops && waited_ms < (uint64_t)c->timeout_ms; waited_ms++) sleep_s(0.001);
        atomic_store(&g_phase, PHASE_STOP);
        t1 = now_ns();
        client1 = proc_cpu_s(getpid());
        for (unsigned k = 0; k < c->npids; k++) {
            server1 += proc_cpu_s(c->pids[k]);
            rss[k] = proc_rss_kb(c->pids[k]);
        }
    }
    for (unsigned k = 0; k < c->conns; k++) pthread_join(ws[k].thread, NULL);
    if (load) t1 = now_ns();
    struct hist* all = calloc(1, sizeof *all);
    if (!all) die("out of memory");
    uint64_t ops = 0, errors = 0, results = 0;
    for (unsigned k = 0; k < c->conns; k++) {
        if (ws[k].error[0]) die("%s %s, connection %u: %s", c->backend_name, WORKLOAD_NAMES[c->workload], k, ws[k].error);
        hist_merge(all, &ws[k].hist);
        ops += ws[k].ops;
        errors += ws[k].errors;
        results += ws[k].results;
    }
    double secs = (double)(t1 - t0) / 1e9;
    if (load) {
        printf("{\"backend\":\"%s\",\"load\":\"%s\",\"objects\":%llu,\"seconds\":%.3f,\"ops_per_s\":%.0f}\n",
               c->backend_name, c->load_big ? "big" : "kv", (unsigned long long)ops, secs, (double)ops / secs);
    } else {
        printf("{\"backend\":\"%s\",\"workload\":\"%s\",\"dist\":\"%s\",\"conns\":%u,\"depth\":%u,"
               "\"seconds\":%.3f,\"ops\":%llu,\"ops_per_s\":%.1f,\"errors\":%llu,\"results_per_op\":%.2f,"
               "\"p50_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,"
               "\"client_cpu_s\":%.2f,\"server_cpu_s\":%.2f,\"server_rss_kb\":[",
               c->backend_name, WORKLOAD_NAMES[c->workload], c->zipfian ? "zipf" : "uniform", c->conns, c->depth,
               secs, (unsigned long long)ops, (double)ops / secs, (unsigned long long)errors,
               ops ? (double)results / (double)ops : 0.0, hist_quantile_us(all, 0.50), hist_quantile_us(all, 0.99),
               hist_quantile_us(all, 0.999), (double)all->max_ns / 1000.0, client1 - client0, server1 - server0);
        for (unsigned k = 0; k < c->npids; k++) printf("%s%ld", k ? "," : "", rss[k]);
        printf("]}\n");
    }
    free(all);
    free(ws);
    return 0;
}

int
main(int argc, char** argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: hyperdex-bench serve-echo [port=P] | load NAME=VALUE... | run NAME=VALUE...\n"
                        "(the comment at the top of bench/driver.c lists the arguments)\n");
        return 2;
    }
    signal(SIGPIPE, SIG_IGN);
    if (strcmp(argv[1], "serve-echo") == 0) return serve_echo((unsigned)arg_u64(argc, argv, "port", "0", 0, 65535));
    int load = strcmp(argv[1], "load") == 0;
    if (!load && strcmp(argv[1], "run") != 0) die("unknown command %s", argv[1]);
    static struct config cfg;
    parse_config(&cfg, argc, argv, load);
    return run_workers(&cfg, load);
}
