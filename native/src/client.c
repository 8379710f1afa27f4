/* libhyperclient: the client of the HyperDex 0.4 manual, chapter 7, over the wire protocol of
 * docs/protocol.md. Implemented so far: create/destroy (configuration from the coordinator), get,
 * put, put_if_not_exist, condput, cond_put, del, search, loop and destroy_attrs. The reference
 * implementation is src/client/client.ts.
 *
 * A search is planned as docs/protocol.md 4.14 says and sends one REQ_SEARCH to each head of the
 * planned regions during the call, each with its own wire id; the caller sees only the search's id.
 * Objects are handed back as they arrive (not held until that daemon's RESP_SEARCH_DONE), and there
 * is no second round: a daemon's RECONFIGURE, like any other error, ends the search.
 *
 * All state lives in struct hyperclient. Sockets are non-blocking; a request is written during the
 * call that makes it (what the kernel does not take at once is queued and flushed by
 * hyperclient_loop). Replies complete operations in any order; each completed operation is queued
 * and handed back by one hyperclient_loop call.
 */
#define _POSIX_C_SOURCE 200809L

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "hyperclient.h"
#include "coordinate.h"
#include "wire.h"

#define HC_CONNECT_TIMEOUT_MS 5000
#define HC_CONFIG_TIMEOUT_MS 10000
#define HC_OUT_MAX ((size_t)1 << 30)
/* attributes, checks or funcs in one request (docs/protocol.md 4.1) */
#define HC_FIELDS_MAX 256
/* one value (docs/protocol.md 2.1) */
#define HYPERDEX_VALUE_BYTES_MAX ((size_t)8 << 20)
#define HC_SERVER_AVAILABLE 1

/* ---- configuration ------------------------------------------------------------------------ */

struct hc_attr
{
    char* name;
    int datatype;
};

struct hc_region
{
    uint64_t id;
    uint64_t* lower; /* dims inclusive bounds, one per axis */
    uint64_t* upper;
    size_t dims;
    uint64_t* replicas;
    size_t replicas_n;
};

struct hc_subspace
{
    char** attrs; /* the axes' attribute names */
    size_t dims;
    struct hc_region* regions;
    size_t regions_n;
};

struct hc_space
{
    uint64_t id;
    char* name;
    struct hc_attr key;
    struct hc_attr* attrs;
    size_t attrs_n;
    struct hc_subspace* subspaces; /* [0] is the key subspace */
    size_t subspaces_n;
};

struct hc_server
{
    uint64_t id;
    char* host;
    uint16_t port;
    uint64_t state;
};

struct hc_config
{
    uint64_t version;
    struct hc_server* servers;
    size_t servers_n;
    struct hc_space* spaces;
    size_t spaces_n;
};

/* ---- connections and operations ------------------------------------------------------------ */

#define HC_COORDINATOR UINT64_MAX

struct hc_conn
{
    int fd;
    uint64_t server_id; /* HC_COORDINATOR for the coordinator */
    char* host;
    uint16_t port;
    struct hd_frame_decoder dec;
    struct hd_buf out; /* bytes not written yet, from out_off on */
    size_t out_off;
};

enum hc_op_kind
{
    HC_OP_GET = 1,
    HC_OP_ATOMIC,
    HC_OP_DEL,
    HC_OP_SEARCH /* one daemon's part of a search; `search` is the whole */
};

/* One thing a search hands back through hyperclient_loop: an object (SUCCESS), or its end
 * (SEARCHDONE, or the error that ended it). */
struct hc_search_event
{
    enum hyperclient_returncode status;
    struct hyperclient_attribute* attrs;
    size_t attrs_sz;
};

struct hc_search
{
    int64_t id; /* the id the caller was given; each daemon's request has its own wire id */
    enum hyperclient_returncode* status;
    struct hyperclient_attribute** attrs;
    size_t* attrs_sz;
    char* key_name; /* the key attribute, first in every object handed back */
    int key_datatype;
    size_t subs_left; /* daemons whose RESP_SEARCH_DONE has not come yet */
    int ended;        /* the final event is queued */
    struct hc_search_event* events; /* queued, not returned yet: from events_head on */
    size_t events_head;
    size_t events_n;
    size_t events_cap;
};

struct hc_op
{
    int64_t id;
    enum hc_op_kind kind;
    uint64_t server_id;
    enum hyperclient_returncode* status;
    struct hyperclient_attribute** attrs;
    size_t* attrs_sz;
    struct hc_search* search; /* HC_OP_SEARCH only */
};

struct hyperclient
{
    struct hc_config config;
    struct hc_conn** conns; /* conns[0] is the coordinator (NULL once it has gone) */
    size_t conns_n;
    size_t conns_cap;
    struct hc_op* ops; /* outstanding, sorted by id (ids only grow) */
    size_t ops_n;
    size_t ops_cap;
    int64_t* ready; /* completed, not returned yet: a FIFO */
    size_t ready_head;
    size_t ready_n;
    size_t ready_cap;
    int64_t next_id;
    struct hd_buf scratch;
    struct hc_search** searches; /* started and not yet handed back to the end */
    size_t searches_n;
    size_t searches_cap;
};

/* ---- small helpers -------------------------------------------------------------------------- */

static char*
dup_bytes(const uint8_t* p, size_t n)
{
    char* s = malloc(n + 1);
    if (!s) return NULL;
    if (n) memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

static int
bytes_is(const uint8_t* p, size_t n, const char* s)
{
    size_t m = strlen(s);
    return n == m && memcmp(p, s, n) == 0;
}

static int64_t
now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
config_free(struct hc_config* c)
{
    for (size_t i = 0; i < c->servers_n; i++) free(c->servers[i].host);
    free(c->servers);
    for (size_t i = 0; i < c->spaces_n; i++)
    {
        struct hc_space* s = &c->spaces[i];
        free(s->name);
        free(s->key.name);
        for (size_t j = 0; j < s->attrs_n; j++) free(s->attrs[j].name);
        free(s->attrs);
        for (size_t j = 0; j < s->subspaces_n; j++)
        {
            struct hc_subspace* ss = &s->subspaces[j];
            for (size_t x = 0; x < ss->dims; x++) free(ss->attrs[x]);
            free(ss->attrs);
            for (size_t x = 0; x < ss->regions_n; x++)
            {
                free(ss->regions[x].replicas);
                free(ss->regions[x].lower);
                free(ss->regions[x].upper);
            }
            free(ss->regions);
        }
        free(s->subspaces);
    }
    free(c->spaces);
    memset(c, 0, sizeof(*c));
}

/* ---- configuration parsing (docs/protocol.md 10) ------------------------------------------- */

static int
read_key(struct hd_wire_reader* r, const uint8_t** k, size_t* kn)
{
    return hd_wire_read_str(r, k, kn);
}

static int
scalar_of(const uint8_t* p, size_t n)
{
    if (bytes_is(p, n, "string")) return HD_SCALAR_STRING;
    if (bytes_is(p, n, "int64")) return HD_SCALAR_INT64;
    if (bytes_is(p, n, "float")) return HD_SCALAR_FLOAT;
    return 0;
}

/* attrtype = { kind, elem?, key?, value? } -> a datatype number, or -1. */
static int
parse_attrtype(struct hd_wire_reader* r)
{
    uint32_t n;
    if (hd_wire_read_map(r, &n)) return -1;
    const uint8_t* kind = NULL;
    size_t kind_n = 0;
    int elem = 0, key = 0, value = 0;
    for (uint32_t i = 0; i < n; i++)
    {
        const uint8_t* k;
        size_t kn;
        if (read_key(r, &k, &kn)) return -1;
        if (bytes_is(k, kn, "kind") || bytes_is(k, kn, "elem") || bytes_is(k, kn, "key") ||
            bytes_is(k, kn, "value"))
        {
            const uint8_t* v;
            size_t vn;
            if (hd_wire_read_str(r, &v, &vn)) return -1;
            if (bytes_is(k, kn, "kind"))
            {
                kind = v;
                kind_n = vn;
            }
            else if (bytes_is(k, kn, "elem"))
                elem = scalar_of(v, vn);
            else if (bytes_is(k, kn, "key"))
                key = scalar_of(v, vn);
            else
                value = scalar_of(v, vn);
        }
        else if (hd_wire_skip(r))
            return -1;
    }
    if (!kind) return -1;
    struct hd_type t;
    memset(&t, 0, sizeof(t));
    int sc = scalar_of(kind, kind_n);
    if (sc)
    {
        t.shape = HD_SHAPE_SCALAR;
        t.elem = (enum hd_scalar)sc;
    }
    else if (bytes_is(kind, kind_n, "list") || bytes_is(kind, kind_n, "set"))
    {
        t.shape = bytes_is(kind, kind_n, "list") ? HD_SHAPE_LIST : HD_SHAPE_SET;
        t.elem = (enum hd_scalar)elem;
    }
    else if (bytes_is(kind, kind_n, "map"))
    {
        t.shape = HD_SHAPE_MAP;
        t.elem = (enum hd_scalar)key;
        t.value = (enum hd_scalar)value;
    }
    else
        return -1;
    return hd_datatype_of(&t);
}

/* attribute = { name, type } */
static int
parse_attribute(struct hd_wire_reader* r, struct hc_attr* a)
{
    uint32_t n;
    if (hd_wire_read_map(r, &n)) return -1;
    a->datatype = -1;
    for (uint32_t i = 0; i < n; i++)
    {
        const uint8_t* k;
        size_t kn;
        if (read_key(r, &k, &kn)) return -1;
        if (bytes_is(k, kn, "name"))
        {
            const uint8_t* v;
            size_t vn;
            if (hd_wire_read_str(r, &v, &vn)) return -1;
            free(a->name);
            if (!(a->name = dup_bytes(v, vn))) return -1;
        }
        else if (bytes_is(k, kn, "type"))
        {
            if ((a->datatype = parse_attrtype(r)) < 0) return -1;
        }
        else if (hd_wire_skip(r))
            return -1;
    }
    return a->name && a->datatype >= 0 ? 0 : -1;
}

static int
parse_spec(struct hd_wire_reader* r, struct hc_space* s)
{
    uint32_t n;
    if (hd_wire_read_map(r, &n)) return -1;
    for (uint32_t i = 0; i < n; i++)
    {
        const uint8_t* k;
        size_t kn;
        if (read_key(r, &k, &kn)) return -1;
        if (bytes_is(k, kn, "key"))
        {
            if (parse_attribute(r, &s->key)) return -1;
        }
        else if (bytes_is(k, kn, "attributes"))
        {
            uint32_t m;
            if (hd_wire_read_array(r, &m)) return -1;
            if (s->attrs) return -1;
            s->attrs = calloc(m ? m : 1, sizeof(*s->attrs));
            if (!s->attrs) return -1;
            for (uint32_t j = 0; j < m; j++)
            {
                s->attrs_n = j + 1;
                if (parse_attribute(r, &s->attrs[j])) return -1;
            }
        }
        else if (hd_wire_skip(r))
            return -1;
    }
    return s->key.name ? 0 : -1;
}

static int
read_u64_array(struct hd_wire_reader* r, uint64_t** out, size_t* n)
{
    uint32_t m;
    if (hd_wire_read_array(r, &m) || m < 1 || *out) return -1;
    if (!(*out = calloc(m, sizeof(uint64_t)))) return -1;
    *n = m;
    for (uint32_t j = 0; j < m; j++)
        if (hd_wire_read_uint(r, UINT64_MAX, &(*out)[j])) return -1;
    return 0;
}

static int
parse_region(struct hd_wire_reader* r, struct hc_region* g)
{
    size_t lo_n = 0, hi_n = 0;
    uint32_t n;
    if (hd_wire_read_map(r, &n)) return -1;
    for (uint32_t i = 0; i < n; i++)
    {
        const uint8_t* k;
        size_t kn;
        if (read_key(r, &k, &kn)) return -1;
        if (bytes_is(k, kn, "id"))
        {
            if (hd_wire_read_uint(r, UINT64_MAX, &g->id)) return -1;
        }
        else if (bytes_is(k, kn, "lower"))
        {
            if (read_u64_array(r, &g->lower, &lo_n)) return -1;
        }
        else if (bytes_is(k, kn, "upper"))
        {
            if (read_u64_array(r, &g->upper, &hi_n)) return -1;
        }
        else if (bytes_is(k, kn, "replicas"))
        {
            uint32_t m;
            if (hd_wire_read_array(r, &m)) return -1;
            free(g->replicas);
            g->replicas = calloc(m ? m : 1, sizeof(uint64_t));
            if (!g->replicas) return -1;
            g->replicas_n = m;
            for (uint32_t j = 0; j < m; j++)
                if (hd_wire_read_uint(r, UINT64_MAX, &g->replicas[j])) return -1;
        }
        else if (hd_wire_skip(r))
            return -1;
    }
    if (!g->lower || !g->upper || lo_n != hi_n) return -1;
    g->dims = lo_n;
    return 0;
}

/* Every subspace, every axis of every region. */
static int
parse_subspaces(struct hd_wire_reader* r, struct hc_space* s)
{
    uint32_t n;
    if (hd_wire_read_array(r, &n) || n < 1 || s->subspaces) return -1;
    if (!(s->subspaces = calloc(n, sizeof(*s->subspaces)))) return -1;
    for (uint32_t i = 0; i < n; i++)
    {
        struct hc_subspace* ss = &s->subspaces[i];
        s->subspaces_n = i + 1;
        int have_attrs = 0;
        uint32_t m;
        if (hd_wire_read_map(r, &m)) return -1;
        for (uint32_t j = 0; j < m; j++)
        {
            const uint8_t* k;
            size_t kn;
            if (read_key(r, &k, &kn)) return -1;
            if (bytes_is(k, kn, "regions"))
            {
                uint32_t c;
                if (hd_wire_read_array(r, &c)) return -1;
                if (ss->regions) return -1;
                ss->regions = calloc(c ? c : 1, sizeof(*ss->regions));
                if (!ss->regions) return -1;
                for (uint32_t x = 0; x < c; x++)
                {
                    ss->regions_n = x + 1;
                    if (parse_region(r, &ss->regions[x])) return -1;
                }
            }
            else if (bytes_is(k, kn, "attributes"))
            {
                uint32_t c;
                if (hd_wire_read_array(r, &c) || have_attrs) return -1;
                have_attrs = 1;
                ss->attrs = calloc(c ? c : 1, sizeof(char*));
                if (!ss->attrs) return -1;
                for (uint32_t x = 0; x < c; x++)
                {
                    const uint8_t* v;
                    size_t vn;
                    ss->dims = x + 1;
                    if (hd_wire_read_str(r, &v, &vn)) return -1;
                    if (!(ss->attrs[x] = dup_bytes(v, vn))) return -1;
                }
            }
            else if (hd_wire_skip(r))
                return -1;
        }
        if (!have_attrs || ss->dims < 1) return -1;
        for (size_t x = 0; x < ss->regions_n; x++)
            if (ss->regions[x].dims != ss->dims) return -1;
    }
    return 0;
}

static int
parse_space(struct hd_wire_reader* r, struct hc_space* s)
{
    uint32_t n;
    if (hd_wire_read_map(r, &n)) return -1;
    for (uint32_t i = 0; i < n; i++)
    {
        const uint8_t* k;
        size_t kn;
        if (read_key(r, &k, &kn)) return -1;
        if (bytes_is(k, kn, "id"))
        {
            if (hd_wire_read_uint(r, UINT32_MAX, &s->id)) return -1;
        }
        else if (bytes_is(k, kn, "name"))
        {
            const uint8_t* v;
            size_t vn;
            if (hd_wire_read_str(r, &v, &vn)) return -1;
            free(s->name);
            if (!(s->name = dup_bytes(v, vn))) return -1;
        }
        else if (bytes_is(k, kn, "spec"))
        {
            if (parse_spec(r, s)) return -1;
        }
        else if (bytes_is(k, kn, "subspaces"))
        {
            if (parse_subspaces(r, s)) return -1;
        }
        else if (hd_wire_skip(r))
            return -1;
    }
    return s->name && s->key.name && s->subspaces_n ? 0 : -1;
}

static int
parse_server(struct hd_wire_reader* r, struct hc_server* v)
{
    uint32_t n;
    if (hd_wire_read_map(r, &n)) return -1;
    for (uint32_t i = 0; i < n; i++)
    {
        const uint8_t* k;
        size_t kn;
        if (read_key(r, &k, &kn)) return -1;
        if (bytes_is(k, kn, "id"))
        {
            if (hd_wire_read_uint(r, UINT64_MAX, &v->id)) return -1;
        }
        else if (bytes_is(k, kn, "host"))
        {
            const uint8_t* h;
            size_t hn;
            if (hd_wire_read_str(r, &h, &hn)) return -1;
            free(v->host);
            if (!(v->host = dup_bytes(h, hn))) return -1;
        }
        else if (bytes_is(k, kn, "port"))
        {
            uint64_t p;
            if (hd_wire_read_uint(r, 65535, &p)) return -1;
            v->port = (uint16_t)p;
        }
        else if (bytes_is(k, kn, "state"))
        {
            if (hd_wire_read_uint(r, UINT64_MAX, &v->state)) return -1;
        }
        else if (hd_wire_skip(r))
            return -1;
    }
    return v->host ? 0 : -1;
}

/* A CONFIG body `[config]` -> *c (freed and zeroed on failure). */
static int
parse_config(const uint8_t* body, size_t n, struct hc_config* c)
{
    memset(c, 0, sizeof(*c));
    if (hd_wire_check(body, n)) return -1;
    struct hd_wire_reader rd;
    struct hd_wire_reader* r = &rd;
    hd_wire_reader_init(r, body, n);
    uint32_t outer, m;
    if (hd_wire_read_array(r, &outer) || outer < 1) return -1;
    if (hd_wire_read_map(r, &m)) return -1;
    for (uint32_t i = 0; i < m; i++)
    {
        const uint8_t* k;
        size_t kn;
        if (read_key(r, &k, &kn)) goto fail;
        if (bytes_is(k, kn, "version"))
        {
            if (hd_wire_read_uint(r, UINT64_MAX, &c->version)) goto fail;
        }
        else if (bytes_is(k, kn, "servers"))
        {
            uint32_t x;
            if (hd_wire_read_array(r, &x) || c->servers) goto fail;
            if (!(c->servers = calloc(x ? x : 1, sizeof(*c->servers)))) goto fail;
            for (uint32_t j = 0; j < x; j++)
            {
                c->servers_n = j + 1;
                if (parse_server(r, &c->servers[j])) goto fail;
            }
        }
        else if (bytes_is(k, kn, "spaces"))
        {
            uint32_t x;
            if (hd_wire_read_array(r, &x) || c->spaces) goto fail;
            if (!(c->spaces = calloc(x ? x : 1, sizeof(*c->spaces)))) goto fail;
            for (uint32_t j = 0; j < x; j++)
            {
                c->spaces_n = j + 1;
                if (parse_space(r, &c->spaces[j])) goto fail;
            }
        }
        else if (hd_wire_skip(r))
            goto fail;
    }
    return 0;
fail:
    config_free(c);
    return -1;
}

/* Takes a CONFIG body if its version is newer than the one held. */
static void
take_config(struct hyperclient* cl, const uint8_t* body, size_t n)
{
    struct hc_config c;
    if (parse_config(body, n, &c)) return;
    if (c.version > cl->config.version)
    {
        config_free(&cl->config);
        cl->config = c;
    }
    else
        config_free(&c);
}

static const struct hc_space*
find_space(const struct hyperclient* cl, const char* name)
{
    for (size_t i = 0; i < cl->config.spaces_n; i++)
        if (strcmp(cl->config.spaces[i].name, name) == 0) return &cl->config.spaces[i];
    return NULL;
}

static const struct hc_server*
find_server(const struct hyperclient* cl, uint64_t id)
{
    for (size_t i = 0; i < cl->config.servers_n; i++)
        if (cl->config.servers[i].id == id) return &cl->config.servers[i];
    return NULL;
}

/* ---- sockets -------------------------------------------------------------------------------- */

/* A non-blocking socket connected to host:port within timeout_ms, or -1. */
static int
connect_to(const char* host, uint16_t port, int timeout_ms)
{
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_port = htons(port);
    if (inet_pton(AF_INET, host, &sa.sin_addr) != 1) return -1;
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0) return -1;
    int fl = fcntl(fd, F_GETFL, 0);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0) goto fail;
    (void)fcntl(fd, F_SETFD, FD_CLOEXEC);
    int one = 1;
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(fd, (struct sockaddr*)&sa, sizeof(sa)) < 0)
    {
        if (errno != EINPROGRESS) goto fail;
        struct pollfd pfd = {fd, POLLOUT, 0};
        int rc;
        do rc = poll(&pfd, 1, timeout_ms);
        while (rc < 0 && errno == EINTR);
        if (rc <= 0) goto fail;
        int err = 0;
        socklen_t len = sizeof(err);
        if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0) goto fail;
    }
    return fd;
fail:
    close(fd);
    return -1;
}

static struct hc_conn*
conn_new(int fd, uint64_t server_id, const char* host, uint16_t port)
{
    struct hc_conn* c = calloc(1, sizeof(*c));
    if (!c) return NULL;
    c->fd = fd;
    c->server_id = server_id;
    c->host = dup_bytes((const uint8_t*)host, strlen(host));
    c->port = port;
    hd_frame_decoder_init(&c->dec, HYPERDEX_FRAME_BYTES_MAX);
    hd_buf_init(&c->out, HC_OUT_MAX);
    if (!c->host)
    {
        hd_frame_decoder_free(&c->dec);
        free(c);
        return NULL;
    }
    return c;
}

static void
conn_free(struct hc_conn* c)
{
    if (!c) return;
    if (c->fd >= 0) close(c->fd);
    hd_frame_decoder_free(&c->dec);
    hd_buf_free(&c->out);
    free(c->host);
    free(c);
}

/* Writes what the kernel takes. 0, or -1 when the connection has failed. */
static int
conn_flush(struct hc_conn* c)
{
    while (c->out_off < c->out.len)
    {
        ssize_t w = send(c->fd, c->out.data + c->out_off, c->out.len - c->out_off, MSG_NOSIGNAL);
        if (w < 0)
        {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
            return -1;
        }
        c->out_off += (size_t)w;
    }
    hd_buf_reset(&c->out);
    c->out_off = 0;
    return 0;
}

/* Queues a whole frame (from the client's scratch buffer) and writes it. */
static int
conn_send(struct hc_conn* c, const struct hd_buf* frame)
{
    if (hd_buf_append(&c->out, frame->data, frame->len)) return -1;
    return conn_flush(c);
}

/* ---- operations: the outstanding list and the ready queue ---------------------------------- */

static struct hc_op*
op_find(struct hyperclient* cl, int64_t id, size_t* where)
{
    size_t lo = 0, hi = cl->ops_n;
    while (lo < hi)
    {
        size_t mid = lo + (hi - lo) / 2;
        if (cl->ops[mid].id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < cl->ops_n && cl->ops[lo].id == id)
    {
        *where = lo;
        return &cl->ops[lo];
    }
    return NULL;
}

static int
op_add(struct hyperclient* cl, const struct hc_op* op)
{
    if (cl->ops_n == cl->ops_cap)
    {
        size_t cap = cl->ops_cap ? cl->ops_cap * 2 : 64;
        struct hc_op* p = realloc(cl->ops, cap * sizeof(*p));
        if (!p) return -1;
        cl->ops = p;
        cl->ops_cap = cap;
    }
    cl->ops[cl->ops_n++] = *op;
    return 0;
}

static int
ready_push(struct hyperclient* cl, int64_t id)
{
    if (cl->ready_head + cl->ready_n == cl->ready_cap)
    {
        if (cl->ready_head > 0)
        {
            memmove(cl->ready, cl->ready + cl->ready_head, cl->ready_n * sizeof(int64_t));
            cl->ready_head = 0;
        }
        if (cl->ready_n == cl->ready_cap)
        {
            size_t cap = cl->ready_cap ? cl->ready_cap * 2 : 64;
            int64_t* p = realloc(cl->ready, cap * sizeof(*p));
            if (!p) return -1;
            cl->ready = p;
            cl->ready_cap = cap;
        }
    }
    cl->ready[cl->ready_head + cl->ready_n++] = id;
    return 0;
}

/* Completes an outstanding op with a status: removes it and queues its id. */
static void
op_complete(struct hyperclient* cl, size_t where, enum hyperclient_returncode st)
{
    struct hc_op op = cl->ops[where];
    memmove(&cl->ops[where], &cl->ops[where + 1], (cl->ops_n - where - 1) * sizeof(*cl->ops));
    cl->ops_n--;
    *op.status = st;
    if (ready_push(cl, op.id))
        *op.status = HYPERCLIENT_NOMEM; /* lost: the caller never sees this id */
}

static enum hyperclient_returncode
to_status(uint64_t s)
{
    if ((s >= HYPERCLIENT_SUCCESS && s <= HYPERCLIENT_READONLY) ||
        (s >= HYPERCLIENT_UNKNOWNSPACE && s <= HYPERCLIENT_BADSPACE))
        return (enum hyperclient_returncode)s;
    return HYPERCLIENT_SERVERERROR;
}

/* The attributes of a RESP_GET, in one allocation: the array, then each name and value. */
static int
build_attrs_key(struct hd_wire_reader* r, uint32_t n, struct hyperclient_attribute** out, const char* key_name,
                int key_datatype, const uint8_t* key, size_t key_n);

static int
build_attrs(struct hd_wire_reader* r, uint32_t n, struct hyperclient_attribute** out)
{
    return build_attrs_key(r, n, out, NULL, 0, NULL, 0);
}

/* As build_attrs; with key_name set, the key attribute comes first (n + 1 attributes). */
static int
build_attrs_key(struct hd_wire_reader* r, uint32_t n, struct hyperclient_attribute** out, const char* key_name,
                int key_datatype, const uint8_t* key, size_t key_n)
{
    struct hd_wire_reader save = *r;
    size_t first = key_name ? 1 : 0;
    size_t bytes = ((size_t)n + first) * sizeof(struct hyperclient_attribute);
    if (key_name) bytes += strlen(key_name) + 1 + key_n;
    for (uint32_t i = 0; i < n; i++)
    {
        uint32_t f;
        const uint8_t* p;
        size_t pn;
        uint64_t dt;
        if (hd_wire_read_array(r, &f) || f != 3) return -1;
        if (hd_wire_read_str(r, &p, &pn)) return -1;
        bytes += pn + 1;
        if (hd_wire_read_uint(r, 65535, &dt)) return -1;
        if (hd_wire_read_bin(r, &p, &pn)) return -1;
        bytes += pn;
    }
    *r = save;
    char* mem = malloc(bytes ? bytes : 1);
    if (!mem) return -1;
    struct hyperclient_attribute* a = (struct hyperclient_attribute*)mem;
    char* tail = mem + ((size_t)n + first) * sizeof(*a);
    if (key_name)
    {
        size_t kl = strlen(key_name);
        memcpy(tail, key_name, kl + 1);
        a[0].attr = tail;
        tail += kl + 1;
        if (key_n) memcpy(tail, key, key_n);
        a[0].value = tail;
        a[0].value_sz = key_n;
        a[0].datatype = (enum hyperdatatype)key_datatype;
        tail += key_n;
        a++;
    }
    for (uint32_t i = 0; i < n; i++)
    {
        uint32_t f;
        const uint8_t* p;
        size_t pn;
        uint64_t dt;
        hd_wire_read_array(r, &f);
        hd_wire_read_str(r, &p, &pn);
        memcpy(tail, p, pn);
        tail[pn] = '\0';
        a[i].attr = tail;
        tail += pn + 1;
        hd_wire_read_uint(r, 65535, &dt);
        a[i].datatype = (enum hyperdatatype)dt;
        hd_wire_read_bin(r, &p, &pn);
        if (pn) memcpy(tail, p, pn);
        a[i].value = tail;
        a[i].value_sz = pn;
        tail += pn;
    }
    *out = (struct hyperclient_attribute*)mem;
    return 0;
}

/* ---- searches ------------------------------------------------------------------------------- */

static void
search_free(struct hc_search* s)
{
    if (!s) return;
    for (size_t i = s->events_head; i < s->events_n; i++) free(s->events[i].attrs);
    free(s->events);
    free(s->key_name);
    free(s);
}

static struct hc_search*
search_find(struct hyperclient* cl, int64_t id, size_t* where)
{
    for (size_t i = 0; i < cl->searches_n; i++)
        if (cl->searches[i]->id == id)
        {
            if (where) *where = i;
            return cl->searches[i];
        }
    return NULL;
}

/* Queues one event of a search and its id on the ready queue. attrs is taken (freed on failure). */
static void
search_push(struct hyperclient* cl, struct hc_search* s, enum hyperclient_returncode st,
            struct hyperclient_attribute* attrs, size_t attrs_sz)
{
    if (s->events_n == s->events_cap)
    {
        if (s->events_head > 0)
        {
            memmove(s->events, s->events + s->events_head, (s->events_n - s->events_head) * sizeof(*s->events));
            s->events_n -= s->events_head;
            s->events_head = 0;
        }
        if (s->events_n == s->events_cap)
        {
            size_t cap = s->events_cap ? s->events_cap * 2 : 16;
            struct hc_search_event* p = realloc(s->events, cap * sizeof(*p));
            if (!p)
            {
                free(attrs);
                return; /* the object is lost */
            }
            s->events = p;
            s->events_cap = cap;
        }
    }
    if (ready_push(cl, s->id))
    {
        free(attrs);
        return;
    }
    struct hc_search_event e = {st, attrs, attrs_sz};
    s->events[s->events_n++] = e;
}

/* Removes the outstanding op at `where`. */
static void
op_remove(struct hyperclient* cl, size_t where)
{
    memmove(&cl->ops[where], &cl->ops[where + 1], (cl->ops_n - where - 1) * sizeof(*cl->ops));
    cl->ops_n--;
}

/* One daemon's part of a search has ended with `st`: SUCCESS counts it done (the search is done
 * with the last); anything else ends the search with that status, dropping the other daemons'
 * parts (their later replies are ignored). */
static void
search_sub_end(struct hyperclient* cl, size_t where, enum hyperclient_returncode st)
{
    struct hc_search* s = cl->ops[where].search;
    op_remove(cl, where);
    if (s->ended) return;
    if (st == HYPERCLIENT_SUCCESS)
    {
        if (--s->subs_left == 0)
        {
            s->ended = 1;
            search_push(cl, s, HYPERCLIENT_SEARCHDONE, NULL, 0);
        }
        return;
    }
    s->ended = 1;
    for (size_t j = 0; j < cl->ops_n;)
    {
        if (cl->ops[j].kind == HC_OP_SEARCH && cl->ops[j].search == s)
            op_remove(cl, j);
        else
            j++;
    }
    search_push(cl, s, st, NULL, 0);
}

/* A daemon's frame for its part of a search. */
static void
search_reply(struct hyperclient* cl, size_t where, const struct hd_frame* f)
{
    struct hc_search* s = cl->ops[where].search;
    struct hd_wire_reader rd;
    hd_wire_reader_init(&rd, f->body, f->body_len);
    uint32_t n;
    if (hd_wire_check(f->body, f->body_len) || hd_wire_read_array(&rd, &n))
    {
        search_sub_end(cl, where, HYPERCLIENT_SERVERERROR);
        return;
    }
    if (f->type == HYPERDEX_MSG_RESP_SEARCH_ITEMS)
    {
        uint32_t objs;
        if (n < 1 || hd_wire_read_array(&rd, &objs))
        {
            search_sub_end(cl, where, HYPERCLIENT_SERVERERROR);
            return;
        }
        for (uint32_t i = 0; i < objs; i++)
        {
            uint32_t two, m;
            const uint8_t* key;
            size_t key_n;
            struct hyperclient_attribute* a = NULL;
            if (hd_wire_read_array(&rd, &two) || two != 2 || hd_wire_read_bin(&rd, &key, &key_n) ||
                hd_wire_read_array(&rd, &m) ||
                build_attrs_key(&rd, m, &a, s->key_name, s->key_datatype, key, key_n))
            {
                search_sub_end(cl, where, HYPERCLIENT_SERVERERROR);
                return;
            }
            search_push(cl, s, HYPERCLIENT_SUCCESS, a, (size_t)m + 1);
        }
        return;
    }
    uint64_t st;
    if (n < 1 || hd_wire_read_uint(&rd, 65535, &st))
    {
        search_sub_end(cl, where, HYPERCLIENT_SERVERERROR);
        return;
    }
    if (f->type == HYPERDEX_MSG_ERROR || f->type == HYPERDEX_MSG_RESP_SEARCH_DONE)
        search_sub_end(cl, where, to_status(st));
    else
        search_sub_end(cl, where, HYPERCLIENT_SERVERERROR);
}

/* Handles one frame from a daemon. */
static void
handle_reply(struct hyperclient* cl, const struct hd_frame* f)
{
    size_t where;
    if (f->id > (uint64_t)INT64_MAX) return;
    struct hc_op* op = op_find(cl, (int64_t)f->id, &where);
    if (!op) return;
    if (op->kind == HC_OP_SEARCH)
    {
        search_reply(cl, where, f);
        return;
    }
    struct hd_wire_reader rd;
    hd_wire_reader_init(&rd, f->body, f->body_len);
    uint32_t n;
    uint64_t st;
    if (hd_wire_check(f->body, f->body_len) || hd_wire_read_array(&rd, &n) || n < 2 ||
        hd_wire_read_uint(&rd, 65535, &st))
    {
        op_complete(cl, where, HYPERCLIENT_SERVERERROR);
        return;
    }
    if (f->type == HYPERDEX_MSG_ERROR)
    {
        op_complete(cl, where, to_status(st));
        return;
    }
    enum hyperclient_returncode s = to_status(st);
    switch (op->kind)
    {
        case HC_OP_GET:
            if (f->type != HYPERDEX_MSG_RESP_GET)
            {
                op_complete(cl, where, HYPERCLIENT_SERVERERROR);
                return;
            }
            if (s == HYPERCLIENT_SUCCESS)
            {
                uint32_t m;
                struct hyperclient_attribute* a = NULL;
                if (hd_wire_read_array(&rd, &m) || build_attrs(&rd, m, &a))
                {
                    op_complete(cl, where, HYPERCLIENT_SERVERERROR);
                    return;
                }
                *op->attrs = a;
                *op->attrs_sz = m;
            }
            op_complete(cl, where, s);
            return;
        case HC_OP_SEARCH:
            return;
        case HC_OP_ATOMIC:
        case HC_OP_DEL:
            if (f->type != (op->kind == HC_OP_ATOMIC ? HYPERDEX_MSG_RESP_ATOMIC : HYPERDEX_MSG_RESP_DEL))
                s = HYPERCLIENT_SERVERERROR;
            op_complete(cl, where, s);
            return;
    }
}

static void
handle_frame(struct hyperclient* cl, struct hc_conn* c, const struct hd_frame* f)
{
    if (c->server_id == HC_COORDINATOR)
    {
        if (f->type == HYPERDEX_MSG_CONFIG) take_config(cl, f->body, f->body_len);
        return;
    }
    handle_reply(cl, f);
}

/* Closes connection i; its outstanding ops fail with DISCONNECT. */
static void
conn_drop(struct hyperclient* cl, size_t i)
{
    struct hc_conn* c = cl->conns[i];
    if (c->server_id != HC_COORDINATOR)
    {
        for (size_t j = 0; j < cl->ops_n;)
        {
            if (cl->ops[j].server_id == c->server_id)
            {
                if (cl->ops[j].kind == HC_OP_SEARCH)
                {
                    search_sub_end(cl, j, HYPERCLIENT_DISCONNECT);
                    j = 0; /* it may have removed other ops */
                }
                else
                    op_complete(cl, j, HYPERCLIENT_DISCONNECT);
            }
            else
                j++;
        }
    }
    conn_free(c);
    if (i == 0)
        cl->conns[0] = NULL;
    else
    {
        cl->conns[i] = cl->conns[cl->conns_n - 1];
        cl->conns_n--;
    }
}

/* Reads what is there. 0, or -1 when the connection has closed or failed. */
static int
conn_read(struct hyperclient* cl, struct hc_conn* c)
{
    uint8_t buf[65536];
    for (;;)
    {
        ssize_t got = recv(c->fd, buf, sizeof(buf), 0);
        if (got < 0)
        {
            if (errno == EINTR) continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK) return 0;
            return -1;
        }
        if (got == 0) return -1;
        if (hd_frame_decoder_push(&c->dec, buf, (size_t)got)) return -1;
        struct hd_frame f;
        int rc;
        while ((rc = hd_frame_decoder_next(&c->dec, &f)) > 0) handle_frame(cl, c, &f);
        if (rc < 0) return -1;
        if ((size_t)got < sizeof(buf)) return 0;
    }
}

/* ---- create / destroy --------------------------------------------------------------------- */

static int64_t
take_id(struct hyperclient* cl)
{
    return cl->next_id++;
}

/* Subscribes on the coordinator connection and waits (bounded) for the reply, reading only that
 * connection. 0 once a configuration is held. */
static int
fetch_config(struct hyperclient* cl, int timeout_ms)
{
    struct hc_conn* c = cl->conns[0];
    if (!c) return -1;
    int64_t id = take_id(cl);
    hd_buf_reset(&cl->scratch);
    size_t start = hd_wire_frame_begin(&cl->scratch, HYPERDEX_MSG_CONFIG_SUBSCRIBE, (uint64_t)id);
    hd_wire_put_array(&cl->scratch, 0);
    if (hd_wire_frame_end(&cl->scratch, start, HYPERDEX_FRAME_BYTES_MAX) || cl->scratch.error) return -1;
    if (conn_send(c, &cl->scratch)) goto dead;
    int64_t deadline = now_ms() + timeout_ms;
    uint8_t buf[65536];
    for (;;)
    {
        int64_t left = deadline - now_ms();
        if (left <= 0) return -1;
        struct pollfd pfd = {c->fd, POLLIN, 0};
        if (c->out_off < c->out.len) pfd.events |= POLLOUT;
        int rc = poll(&pfd, 1, (int)left);
        if (rc < 0 && errno != EINTR) return -1;
        if (rc <= 0) continue;
        if ((pfd.revents & POLLOUT) && conn_flush(c)) goto dead;
        if (!(pfd.revents & (POLLIN | POLLHUP | POLLERR))) continue;
        ssize_t got = recv(c->fd, buf, sizeof(buf), 0);
        if (got < 0 && (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)) continue;
        if (got <= 0) goto dead;
        if (hd_frame_decoder_push(&c->dec, buf, (size_t)got)) goto dead;
        struct hd_frame f;
        int found = 0;
        while ((rc = hd_frame_decoder_next(&c->dec, &f)) > 0)
        {
            if (f.type == HYPERDEX_MSG_CONFIG) take_config(cl, f.body, f.body_len);
            if (f.id == (uint64_t)id) found = 1;
        }
        if (rc < 0) goto dead;
        if (found) return cl->config.version > 0 ? 0 : -1;
    }
dead:
    conn_drop(cl, 0);
    return -1;
}

struct hyperclient*
hyperclient_create(const char* coordinator, in_port_t port)
{
    if (!coordinator) return NULL;
    struct hyperclient* cl = calloc(1, sizeof(*cl));
    if (!cl) return NULL;
    cl->next_id = 1;
    hd_buf_init(&cl->scratch, HYPERDEX_FRAME_BYTES_MAX);
    cl->conns_cap = 8;
    cl->conns = calloc(cl->conns_cap, sizeof(*cl->conns));
    if (!cl->conns) goto fail;
    int fd = connect_to(coordinator, port, HC_CONNECT_TIMEOUT_MS);
    if (fd < 0) goto fail;
    cl->conns[0] = conn_new(fd, HC_COORDINATOR, coordinator, port);
    if (!cl->conns[0])
    {
        close(fd);
        goto fail;
    }
    cl->conns_n = 1;
    if (fetch_config(cl, HC_CONFIG_TIMEOUT_MS)) goto fail;
    return cl;
fail:
    hyperclient_destroy(cl);
    return NULL;
}

void
hyperclient_destroy(struct hyperclient* cl)
{
    if (!cl) return;
    for (size_t i = 0; i < cl->conns_n; i++) conn_free(cl->conns[i]);
    free(cl->conns);
    free(cl->ops);
    free(cl->ready);
    for (size_t i = 0; i < cl->searches_n; i++) search_free(cl->searches[i]);
    free(cl->searches);
    config_free(&cl->config);
    hd_buf_free(&cl->scratch);
    free(cl);
}

void
hyperclient_destroy_attrs(struct hyperclient_attribute* attrs, size_t attrs_sz)
{
    (void)attrs_sz;
    free(attrs);
}

/* ---- requests ------------------------------------------------------------------------------ */

/* The space, asking the coordinator again once when it is not known. */
static const struct hc_space*
space_lookup(struct hyperclient* cl, const char* name)
{
    if (!name) return NULL;
    const struct hc_space* s = find_space(cl, name);
    if (s) return s;
    if (fetch_config(cl, HC_CONFIG_TIMEOUT_MS)) return NULL;
    return find_space(cl, name);
}

/* The connection to a server, made if needed. */
static struct hc_conn*
conn_for(struct hyperclient* cl, const struct hc_server* sv)
{
    for (size_t i = 1; i < cl->conns_n; i++)
    {
        struct hc_conn* c = cl->conns[i];
        if (c->server_id != sv->id) continue;
        if (c->port == sv->port && strcmp(c->host, sv->host) == 0) return c;
        conn_drop(cl, i); /* the server moved: its ops fail with DISCONNECT */
        break;
    }
    if (cl->conns_n == cl->conns_cap)
    {
        size_t cap = cl->conns_cap * 2;
        struct hc_conn** p = realloc(cl->conns, cap * sizeof(*p));
        if (!p) return NULL;
        cl->conns = p;
        cl->conns_cap = cap;
    }
    int fd = connect_to(sv->host, sv->port, HC_CONNECT_TIMEOUT_MS);
    if (fd < 0) return NULL;
    struct hc_conn* c = conn_new(fd, sv->id, sv->host, sv->port);
    if (!c)
    {
        close(fd);
        return NULL;
    }
    cl->conns[cl->conns_n++] = c;
    return c;
}

/* A value normalized for an attribute: int64 values widened or cut to 8 bytes. */
struct hc_value
{
    const uint8_t* p;
    size_t n;
    uint8_t wide[8];
};

static void
normalize(int datatype, const char* p, size_t n, struct hc_value* v)
{
    if (datatype == HYPERDATATYPE_INT64 && n != 8)
    {
        memset(v->wide, 0, 8);
        if (n) memcpy(v->wide, p, n < 8 ? n : 8);
        v->p = v->wide;
        v->n = 8;
        return;
    }
    v->p = (const uint8_t*)p;
    v->n = n;
}

/* 0, or the status refusing a value of `given` type for an attribute of type `want`. */
static enum hyperclient_returncode
check_value(int want, int given, struct hc_value* v)
{
    if (given != want)
    {
        /* an empty container may be given as the generic type of its shape */
        int generic = (want >= HYPERDATATYPE_LIST_STRING && want <= HYPERDATATYPE_LIST_FLOAT &&
                       given == HYPERDATATYPE_LIST_GENERIC) ||
                      (want >= HYPERDATATYPE_SET_STRING && want <= HYPERDATATYPE_SET_FLOAT &&
                       given == HYPERDATATYPE_SET_GENERIC) ||
                      (want >= HYPERDATATYPE_MAP_STRING_KEYONLY && want <= HYPERDATATYPE_MAP_FLOAT_FLOAT &&
                       given == HYPERDATATYPE_MAP_GENERIC);
        if (!generic || v->n != 0) return HYPERCLIENT_WRONGTYPE;
    }
    if (hd_value_is_canonical(want, v->p, v->n) < 0) return HYPERCLIENT_WRONGTYPE;
    return 0;
}

static int
attr_index(const struct hc_space* s, const char* name)
{
    for (size_t i = 0; i < s->attrs_n; i++)
        if (strcmp(s->attrs[i].name, name) == 0) return (int)i;
    return -1;
}

/* The common front of every key operation: the space, the key (normalized), the head's
 * connection. 0, or -1 with *status set. */
struct hc_target
{
    const struct hc_space* space;
    struct hc_value key;
    struct hc_conn* conn;
};

static int
route(struct hyperclient* cl, const char* space, const char* key, size_t key_sz,
      enum hyperclient_returncode* status, struct hc_target* t)
{
    t->space = space_lookup(cl, space);
    if (!t->space)
    {
        *status = HYPERCLIENT_UNKNOWNSPACE;
        return -1;
    }
    if (!key && key_sz)
    {
        *status = HYPERCLIENT_WRONGTYPE;
        return -1;
    }
    normalize(t->space->key.datatype, key ? key : "", key_sz, &t->key);
    uint64_t point;
    if (hd_value_coordinate(t->space->key.datatype, t->key.p, t->key.n, &point))
    {
        *status = HYPERCLIENT_WRONGTYPE;
        return -1;
    }
    const struct hc_region* g = NULL;
    const struct hc_subspace* ks = &t->space->subspaces[0];
    for (size_t i = 0; i < ks->regions_n; i++)
        if (ks->regions[i].lower[0] <= point && point <= ks->regions[i].upper[0])
        {
            g = &ks->regions[i];
            break;
        }
    const struct hc_server* sv = g && g->replicas_n ? find_server(cl, g->replicas[0]) : NULL;
    if (!sv || sv->state != HC_SERVER_AVAILABLE)
    {
        *status = HYPERCLIENT_RECONFIGURE;
        return -1;
    }
    t->conn = conn_for(cl, sv);
    if (!t->conn)
    {
        *status = HYPERCLIENT_CONNECTFAIL;
        return -1;
    }
    return 0;
}

/* Sends the frame in cl->scratch on t->conn and records the op. The id, or -1 with *status. */
static int64_t
dispatch(struct hyperclient* cl, struct hc_target* t, int64_t id, size_t start, enum hc_op_kind kind,
         enum hyperclient_returncode* status, struct hyperclient_attribute** attrs, size_t* attrs_sz)
{
    if (hd_wire_frame_end(&cl->scratch, start, HYPERDEX_FRAME_BYTES_MAX) || cl->scratch.error)
    {
        *status = cl->scratch.error == HD_WIRE_ENOMEM ? HYPERCLIENT_NOMEM : HYPERCLIENT_OVERFLOW;
        return -1;
    }
    struct hc_op op = {id, kind, t->conn->server_id, status, attrs, attrs_sz, NULL};
    if (op_add(cl, &op))
    {
        *status = HYPERCLIENT_NOMEM;
        return -1;
    }
    if (conn_send(t->conn, &cl->scratch))
    {
        /* the connection is gone: the op fails through loop, as the protocol says */
        for (size_t i = 1; i < cl->conns_n; i++)
            if (cl->conns[i] == t->conn)
            {
                conn_drop(cl, i);
                break;
            }
    }
    return id;
}

static void
begin_keyed(struct hyperclient* cl, uint16_t type, int64_t id, struct hc_target* t, size_t fields,
            size_t* start)
{
    hd_buf_reset(&cl->scratch);
    *start = hd_wire_frame_begin(&cl->scratch, type, (uint64_t)id);
    hd_wire_put_array(&cl->scratch, fields);
    hd_wire_put_uint(&cl->scratch, cl->config.version);
    hd_wire_put_uint(&cl->scratch, t->space->id);
    hd_wire_put_bin(&cl->scratch, t->key.p, t->key.n);
}

int64_t
hyperclient_get(struct hyperclient* cl, const char* space, const char* key, size_t key_sz,
                enum hyperclient_returncode* status, struct hyperclient_attribute** attrs, size_t* attrs_sz)
{
    struct hc_target t;
    if (route(cl, space, key, key_sz, status, &t)) return -1;
    int64_t id = take_id(cl);
    size_t start;
    begin_keyed(cl, HYPERDEX_MSG_REQ_GET, id, &t, 3, &start);
    return dispatch(cl, &t, id, start, HC_OP_GET, status, attrs, attrs_sz);
}

int64_t
hyperclient_del(struct hyperclient* cl, const char* space, const char* key, size_t key_sz,
                enum hyperclient_returncode* status)
{
    struct hc_target t;
    if (route(cl, space, key, key_sz, status, &t)) return -1;
    int64_t id = take_id(cl);
    size_t start;
    begin_keyed(cl, HYPERDEX_MSG_REQ_DEL, id, &t, 3, &start);
    return dispatch(cl, &t, id, start, HC_OP_DEL, status, NULL, NULL);
}

static void
put_le64(uint8_t* p, uint64_t u)
{
    for (int i = 0; i < 8; i++) p[i] = (uint8_t)(u >> (8 * i));
}

/* The type of an attribute of the space (the key included), or -1. */
static int
attr_type(const struct hc_space* s, const char* name)
{
    if (strcmp(name, s->key.name) == 0) return s->key.datatype;
    int a = attr_index(s, name);
    return a < 0 ? -1 : s->attrs[a].datatype;
}

/* Appends one element of a list, set or map value (docs/protocol.md 7): a string with its 4-byte
 * little-endian length, an int64 or float as its 8 bytes. */
static void
put_element(struct hd_buf* b, enum hd_scalar t, const uint8_t* p, size_t n)
{
    if (t == HD_SCALAR_STRING)
    {
        uint8_t len[4] = {(uint8_t)n, (uint8_t)(n >> 8), (uint8_t)(n >> 16), (uint8_t)(n >> 24)};
        if (n > UINT32_MAX) b->error = HD_WIRE_ENOMEM;
        hd_buf_append(b, len, 4);
    }
    if (n) hd_buf_append(b, p, n);
}

/* One check of an atomic request, as the caller gave it. */
struct hc_check
{
    const char* attr;
    const char* value;
    size_t value_sz;
    int datatype;
    int op;
};

/* One func of an atomic request, as the caller gave it. `keyed` is the 6-field form, on the value
 * under map_key in a map attribute. */
struct hc_func
{
    const char* attr;
    int op;
    const char* value;
    size_t value_sz;
    int datatype;
    int keyed;
    const char* map_key;
    size_t map_key_sz;
};

/* The datatype number of a scalar. */
static int
scalar_datatype(enum hd_scalar s)
{
    return s == HD_SCALAR_STRING ? HYPERDATATYPE_STRING
         : s == HD_SCALAR_INT64  ? HYPERDATATYPE_INT64
                                 : HYPERDATATYPE_FLOAT;
}

/* What op takes as its operand on an attribute of type `attr_datatype` (docs/protocol.md 4.8), or
 * -1 when the op does not apply. The same table as src/common/operands.ts. */
static int
operand_datatype(int op, int attr_datatype, int keyed)
{
    struct hd_type t;
    if (hd_type_of(attr_datatype, &t)) return -1;
    enum hd_scalar scalar = t.elem;
    if (keyed)
    {
        if (t.shape != HD_SHAPE_MAP) return -1;
        if (op == HYPERDEX_FUNC_MAP_REMOVE) return scalar_datatype(t.value);
        scalar = t.value;
    }
    else if (op == HYPERDEX_FUNC_SET)
        return attr_datatype;
    else if (t.shape == HD_SHAPE_LIST)
        return op == HYPERDEX_FUNC_LIST_LPUSH || op == HYPERDEX_FUNC_LIST_RPUSH ? scalar_datatype(t.elem) : -1;
    else if (t.shape == HD_SHAPE_SET)
    {
        if (op == HYPERDEX_FUNC_SET_ADD || op == HYPERDEX_FUNC_SET_REMOVE) return scalar_datatype(t.elem);
        return op == HYPERDEX_FUNC_SET_INTERSECT || op == HYPERDEX_FUNC_SET_UNION ? attr_datatype : -1;
    }
    else if (t.shape == HD_SHAPE_MAP)
        return op == HYPERDEX_FUNC_MAP_ADD ? attr_datatype : -1;
    /* a scalar: the attribute's own, or a map's value */
    switch (op)
    {
        case HYPERDEX_FUNC_STRING_APPEND:
        case HYPERDEX_FUNC_STRING_PREPEND:
            return scalar == HD_SCALAR_STRING ? HYPERDATATYPE_STRING : -1;
        case HYPERDEX_FUNC_NUM_ADD:
        case HYPERDEX_FUNC_NUM_SUB:
        case HYPERDEX_FUNC_NUM_MUL:
        case HYPERDEX_FUNC_NUM_DIV:
            return scalar == HD_SCALAR_STRING ? -1 : scalar_datatype(scalar);
        case HYPERDEX_FUNC_NUM_MOD:
        case HYPERDEX_FUNC_NUM_AND:
        case HYPERDEX_FUNC_NUM_OR:
        case HYPERDEX_FUNC_NUM_XOR:
            return scalar == HD_SCALAR_INT64 ? HYPERDATATYPE_INT64 : -1;
        default:
            return -1;
    }
}

/* The map key type of a map attribute's datatype. */
static int
map_key_datatype(int attr_datatype)
{
    struct hd_type t;
    if (hd_type_of(attr_datatype, &t) || t.shape != HD_SHAPE_MAP) return -1;
    return scalar_datatype(t.elem);
}

/* 0 when a func's operand (and map key) fit the attribute of type `at`, else WRONGTYPE. A 0.4
 * program may give a map op's operand the map's own datatype: accepted beside the value's type. */
static enum hyperclient_returncode
check_func(const struct hc_func* f, int at)
{
    int ot = operand_datatype(f->op, at, f->keyed);
    if (ot < 0 || (!f->value && f->value_sz)) return HYPERCLIENT_WRONGTYPE;
    struct hc_value v;
    normalize(ot, f->value, f->value_sz, &v);
    int given = f->keyed && f->datatype == at ? ot : f->datatype;
    if (check_value(ot, given, &v)) return HYPERCLIENT_WRONGTYPE;
    if (f->keyed)
    {
        int kt = map_key_datatype(at);
        if (!f->map_key && f->map_key_sz) return HYPERCLIENT_WRONGTYPE;
        struct hc_value k;
        normalize(kt, f->map_key, f->map_key_sz, &k);
        if (hd_value_is_canonical(kt, k.p, k.n) < 0) return HYPERCLIENT_WRONGTYPE;
    }
    return 0;
}

/* Validates checks then funcs (idx counting across both) and sends a REQ_ATOMIC. */
static int64_t
atomic(struct hyperclient* cl, const char* space, const char* key, size_t key_sz, unsigned flags,
       const struct hc_check* checks, size_t checks_sz, const struct hc_func* funcs, size_t funcs_sz,
       enum hyperclient_returncode* status)
{
    const struct hc_space* s = space_lookup(cl, space);
    if (!s)
    {
        *status = HYPERCLIENT_UNKNOWNSPACE;
        return -1;
    }
    if (checks_sz > HC_FIELDS_MAX || funcs_sz > HC_FIELDS_MAX)
    {
        *status = HYPERCLIENT_OVERFLOW;
        return -1;
    }
    /* validation before routing: it needs no connection */
    for (size_t i = 0; i < checks_sz; i++)
    {
        const char* name = checks[i].attr ? checks[i].attr : "";
        int want = attr_type(s, name);
        if (want < 0)
        {
            *status = HYPERCLIENT_UNKNOWNATTR;
            return -1 - (int64_t)i;
        }
        struct hc_value v;
        normalize(want, checks[i].value, checks[i].value_sz, &v);
        if ((!checks[i].value && checks[i].value_sz) || check_value(want, checks[i].datatype, &v) ||
            checks[i].op < HYPERDEX_CHECK_EQUALS || checks[i].op > HYPERDEX_CHECK_GREATER_THAN ||
            (checks[i].op != HYPERDEX_CHECK_EQUALS && want > HYPERDATATYPE_FLOAT))
        {
            *status = HYPERCLIENT_WRONGTYPE;
            return -1 - (int64_t)i;
        }
    }
    for (size_t i = 0; i < funcs_sz; i++)
    {
        const struct hc_func* f = &funcs[i];
        const char* name = f->attr ? f->attr : "";
        int64_t idx = (int64_t)(checks_sz + i);
        int a = attr_index(s, name);
        if (a < 0)
        {
            *status = HYPERCLIENT_UNKNOWNATTR;
            return -1 - idx;
        }
        if (check_func(f, s->attrs[a].datatype))
        {
            *status = HYPERCLIENT_WRONGTYPE;
            return -1 - idx;
        }
        for (size_t j = 0; j < i; j++)
        {
            const struct hc_func* g = &funcs[j];
            if (!g->attr || strcmp(g->attr, name) != 0) continue;
            /* 6-field funcs on one map may share it when their keys differ */
            int distinct = f->keyed && g->keyed &&
                           (f->map_key_sz != g->map_key_sz ||
                            (f->map_key_sz && memcmp(f->map_key, g->map_key, f->map_key_sz) != 0));
            if (!distinct)
            {
                *status = HYPERCLIENT_DUPEATTR;
                return -1 - idx;
            }
        }
    }
    struct hc_target t;
    if (route(cl, space, key, key_sz, status, &t)) return -1;
    int64_t id = take_id(cl);
    size_t start;
    begin_keyed(cl, HYPERDEX_MSG_REQ_ATOMIC, id, &t, 6, &start);
    struct hd_buf* b = &cl->scratch;
    hd_wire_put_uint(b, flags);
    hd_wire_put_array(b, checks_sz);
    for (size_t i = 0; i < checks_sz; i++)
    {
        int want = attr_type(s, checks[i].attr);
        struct hc_value v;
        normalize(want, checks[i].value, checks[i].value_sz, &v);
        hd_wire_put_array(b, 4);
        hd_wire_put_uint(b, (uint64_t)checks[i].op);
        hd_wire_put_cstr(b, checks[i].attr);
        hd_wire_put_uint(b, (uint64_t)want);
        hd_wire_put_bin(b, v.p, v.n);
    }
    hd_wire_put_array(b, funcs_sz);
    for (size_t i = 0; i < funcs_sz; i++)
    {
        const struct hc_func* f = &funcs[i];
        int at = s->attrs[attr_index(s, f->attr)].datatype;
        int ot = operand_datatype(f->op, at, f->keyed);
        struct hc_value v;
        normalize(ot, f->value, f->value_sz, &v);
        hd_wire_put_array(b, f->keyed ? 6 : 4);
        hd_wire_put_uint(b, (uint64_t)f->op);
        hd_wire_put_cstr(b, f->attr);
        hd_wire_put_uint(b, (uint64_t)ot);
        hd_wire_put_bin(b, v.p, v.n);
        if (f->keyed)
        {
            int kt = map_key_datatype(at);
            struct hc_value k;
            normalize(kt, f->map_key, f->map_key_sz, &k);
            hd_wire_put_uint(b, (uint64_t)kt);
            hd_wire_put_bin(b, k.p, k.n);
        }
    }
    return dispatch(cl, &t, id, start, HC_OP_ATOMIC, status, NULL, NULL);
}

/* A REQ_ATOMIC applying `op` to each of the caller's attributes (whole-attribute form). */
static int64_t
atomic_attrs(struct hyperclient* cl, const char* space, const char* key, size_t key_sz, unsigned flags,
             const struct hc_check* checks, size_t checks_sz, int op, const struct hyperclient_attribute* attrs,
             size_t attrs_sz, enum hyperclient_returncode* status)
{
    if (!status) return -1;
    if ((attrs_sz && !attrs) || (checks_sz && !checks))
    {
        *status = HYPERCLIENT_LOGICERROR;
        return -1;
    }
    if (attrs_sz > HC_FIELDS_MAX)
    {
        *status = HYPERCLIENT_OVERFLOW;
        return -1;
    }
    struct hc_func funcs[HC_FIELDS_MAX];
    for (size_t i = 0; i < attrs_sz; i++)
        funcs[i] = (struct hc_func){attrs[i].attr, op, attrs[i].value, attrs[i].value_sz, (int)attrs[i].datatype,
                                    0, NULL, 0};
    return atomic(cl, space, key, key_sz, flags, checks, checks_sz, funcs, attrs_sz, status);
}

/* A REQ_ATOMIC applying `op` to the value under each map key the caller names (6-field form). */
static int64_t
atomic_map(struct hyperclient* cl, const char* space, const char* key, size_t key_sz, int op,
           const struct hyperclient_map_attribute* attrs, size_t attrs_sz, enum hyperclient_returncode* status)
{
    if (!status) return -1;
    if (attrs_sz && !attrs)
    {
        *status = HYPERCLIENT_LOGICERROR;
        return -1;
    }
    if (attrs_sz > HC_FIELDS_MAX)
    {
        *status = HYPERCLIENT_OVERFLOW;
        return -1;
    }
    struct hc_func funcs[HC_FIELDS_MAX];
    for (size_t i = 0; i < attrs_sz; i++)
        funcs[i] = (struct hc_func){attrs[i].attr,     op, attrs[i].value, attrs[i].value_sz, (int)attrs[i].datatype,
                                    1,                 attrs[i].map_key, attrs[i].map_key_sz};
    return atomic(cl, space, key, key_sz, HYPERDEX_ATOMIC_FAIL_IF_NOT_FOUND, NULL, 0, funcs, attrs_sz, status);
}

int64_t
hyperclient_put(struct hyperclient* cl, const char* space, const char* key, size_t key_sz,
                const struct hyperclient_attribute* attrs, size_t attrs_sz, enum hyperclient_returncode* status)
{
    return atomic_attrs(cl, space, key, key_sz, 0, NULL, 0, HYPERDEX_FUNC_SET, attrs, attrs_sz, status);
}

int64_t
hyperclient_put_if_not_exist(struct hyperclient* cl, const char* space, const char* key, size_t key_sz,
                             const struct hyperclient_attribute* attrs, size_t attrs_sz,
                             enum hyperclient_returncode* status)
{
    return atomic_attrs(cl, space, key, key_sz, HYPERDEX_ATOMIC_FAIL_IF_FOUND, NULL, 0, HYPERDEX_FUNC_SET, attrs,
                        attrs_sz, status);
}

int64_t
hyperclient_condput(struct hyperclient* cl, const char* space, const char* key, size_t key_sz,
                    const struct hyperclient_attribute* condattrs, size_t condattrs_sz,
                    const struct hyperclient_attribute* attrs, size_t attrs_sz,
                    enum hyperclient_returncode* status)
{
    if (!status) return -1;
    if (condattrs_sz > HC_FIELDS_MAX)
    {
        *status = HYPERCLIENT_OVERFLOW;
        return -1;
    }
    if (condattrs_sz && !condattrs)
    {
        *status = HYPERCLIENT_LOGICERROR;
        return -1;
    }
    struct hc_check checks[HC_FIELDS_MAX];
    for (size_t i = 0; i < condattrs_sz; i++)
        checks[i] = (struct hc_check){condattrs[i].attr, condattrs[i].value, condattrs[i].value_sz,
                                      (int)condattrs[i].datatype, HYPERDEX_CHECK_EQUALS};
    return atomic_attrs(cl, space, key, key_sz, HYPERDEX_ATOMIC_FAIL_IF_NOT_FOUND, checks, condattrs_sz,
                        HYPERDEX_FUNC_SET, attrs, attrs_sz, status);
}

/* The wire's check op for a hyperpredicate, or 0 for one the wire has no op for. */
static int
check_op_of(enum hyperpredicate p)
{
    switch (p)
    {
        case HYPERPREDICATE_EQUALS: return HYPERDEX_CHECK_EQUALS;
        case HYPERPREDICATE_LESS_THAN: return HYPERDEX_CHECK_LESS_THAN;
        case HYPERPREDICATE_LESS_EQUAL: return HYPERDEX_CHECK_LESS_EQUAL;
        case HYPERPREDICATE_GREATER_EQUAL: return HYPERDEX_CHECK_GREATER_EQUAL;
        case HYPERPREDICATE_GREATER_THAN: return HYPERDEX_CHECK_GREATER_THAN;
        default: return 0;
    }
}

int64_t
hyperclient_cond_put(struct hyperclient* cl, const char* space, const char* key, size_t key_sz,
                     const struct hyperclient_attribute_check* checks, size_t checks_sz,
                     const struct hyperclient_attribute* attrs, size_t attrs_sz,
                     enum hyperclient_returncode* status)
{
    if (!status) return -1;
    if (checks_sz > HC_FIELDS_MAX)
    {
        *status = HYPERCLIENT_OVERFLOW;
        return -1;
    }
    if (checks_sz && !checks)
    {
        *status = HYPERCLIENT_LOGICERROR;
        return -1;
    }
    struct hc_check c[HC_FIELDS_MAX];
    for (size_t i = 0; i < checks_sz; i++)
        c[i] = (struct hc_check){checks[i].attr, checks[i].value, checks[i].value_sz, (int)checks[i].datatype,
                                 check_op_of(checks[i].predicate)}; /* op 0 is refused as WRONGTYPE */
    return atomic_attrs(cl, space, key, key_sz, HYPERDEX_ATOMIC_FAIL_IF_NOT_FOUND, c, checks_sz, HYPERDEX_FUNC_SET,
                        attrs, attrs_sz, status);
}

/* The atomic operations of chapter 7: one func op on each attribute the caller names. */
#define HC_ATOMIC_ATTRS(name, op)                                                                              \
    int64_t name(struct hyperclient* cl, const char* space, const char* key, size_t key_sz,                     \
                 const struct hyperclient_attribute* attrs, size_t attrs_sz, enum hyperclient_returncode* status) \
    {                                                                                                           \
        return atomic_attrs(cl, space, key, key_sz, HYPERDEX_ATOMIC_FAIL_IF_NOT_FOUND, NULL, 0, op, attrs,      \
                            attrs_sz, status);                                                                  \
    }
HC_ATOMIC_ATTRS(hyperclient_atomic_add, HYPERDEX_FUNC_NUM_ADD)
HC_ATOMIC_ATTRS(hyperclient_atomic_sub, HYPERDEX_FUNC_NUM_SUB)
HC_ATOMIC_ATTRS(hyperclient_atomic_mul, HYPERDEX_FUNC_NUM_MUL)
HC_ATOMIC_ATTRS(hyperclient_atomic_div, HYPERDEX_FUNC_NUM_DIV)
HC_ATOMIC_ATTRS(hyperclient_atomic_mod, HYPERDEX_FUNC_NUM_MOD)
HC_ATOMIC_ATTRS(hyperclient_atomic_and, HYPERDEX_FUNC_NUM_AND)
HC_ATOMIC_ATTRS(hyperclient_atomic_or, HYPERDEX_FUNC_NUM_OR)
HC_ATOMIC_ATTRS(hyperclient_atomic_xor, HYPERDEX_FUNC_NUM_XOR)
HC_ATOMIC_ATTRS(hyperclient_string_prepend, HYPERDEX_FUNC_STRING_PREPEND)
HC_ATOMIC_ATTRS(hyperclient_string_append, HYPERDEX_FUNC_STRING_APPEND)
HC_ATOMIC_ATTRS(hyperclient_list_lpush, HYPERDEX_FUNC_LIST_LPUSH)
HC_ATOMIC_ATTRS(hyperclient_list_rpush, HYPERDEX_FUNC_LIST_RPUSH)
HC_ATOMIC_ATTRS(hyperclient_set_add, HYPERDEX_FUNC_SET_ADD)
HC_ATOMIC_ATTRS(hyperclient_set_remove, HYPERDEX_FUNC_SET_REMOVE)
HC_ATOMIC_ATTRS(hyperclient_set_intersect, HYPERDEX_FUNC_SET_INTERSECT)
HC_ATOMIC_ATTRS(hyperclient_set_union, HYPERDEX_FUNC_SET_UNION)

/* The map operations of chapter 7: one func op on the value under each map key named. */
#define HC_ATOMIC_MAP(name, op)                                                                                    \
    int64_t name(struct hyperclient* cl, const char* space, const char* key, size_t key_sz,                         \
                 const struct hyperclient_map_attribute* attrs, size_t attrs_sz, enum hyperclient_returncode* status) \
    {                                                                                                               \
        return atomic_map(cl, space, key, key_sz, op, attrs, attrs_sz, status);                                     \
    }
HC_ATOMIC_MAP(hyperclient_map_atomic_add, HYPERDEX_FUNC_NUM_ADD)
HC_ATOMIC_MAP(hyperclient_map_atomic_sub, HYPERDEX_FUNC_NUM_SUB)
HC_ATOMIC_MAP(hyperclient_map_atomic_mul, HYPERDEX_FUNC_NUM_MUL)
HC_ATOMIC_MAP(hyperclient_map_atomic_div, HYPERDEX_FUNC_NUM_DIV)
HC_ATOMIC_MAP(hyperclient_map_atomic_mod, HYPERDEX_FUNC_NUM_MOD)
HC_ATOMIC_MAP(hyperclient_map_atomic_and, HYPERDEX_FUNC_NUM_AND)
HC_ATOMIC_MAP(hyperclient_map_atomic_or, HYPERDEX_FUNC_NUM_OR)
HC_ATOMIC_MAP(hyperclient_map_atomic_xor, HYPERDEX_FUNC_NUM_XOR)
HC_ATOMIC_MAP(hyperclient_map_string_prepend, HYPERDEX_FUNC_STRING_PREPEND)
HC_ATOMIC_MAP(hyperclient_map_string_append, HYPERDEX_FUNC_STRING_APPEND)

/* map_remove: the value of each attribute is a key to remove from that map (of the map's key
 * type, or given with the map's own datatype). The operand is the value type's default, ignored. */
int64_t
hyperclient_map_remove(struct hyperclient* cl, const char* space, const char* key, size_t key_sz,
                       const struct hyperclient_attribute* attrs, size_t attrs_sz, enum hyperclient_returncode* status)
{
    static const char zeros[8] = {0};
    if (!status) return -1;
    if (attrs_sz && !attrs)
    {
        *status = HYPERCLIENT_LOGICERROR;
        return -1;
    }
    if (attrs_sz > HC_FIELDS_MAX)
    {
        *status = HYPERCLIENT_OVERFLOW;
        return -1;
    }
    const struct hc_space* s = space_lookup(cl, space);
    if (!s)
    {
        *status = HYPERCLIENT_UNKNOWNSPACE;
        return -1;
    }
    struct hc_func funcs[HC_FIELDS_MAX];
    for (size_t i = 0; i < attrs_sz; i++)
    {
        int at = attrs[i].attr ? attr_type(s, attrs[i].attr) : -1;
        int kt = at < 0 ? -1 : map_key_datatype(at);
        int vt = at < 0 ? -1 : operand_datatype(HYPERDEX_FUNC_MAP_REMOVE, at, 1);
        if (at >= 0 && (kt < 0 || ((int)attrs[i].datatype != kt && (int)attrs[i].datatype != at)))
        {
            *status = HYPERCLIENT_WRONGTYPE;
            return -1 - (int64_t)i;
        }
        funcs[i] = (struct hc_func){attrs[i].attr, HYPERDEX_FUNC_MAP_REMOVE,
                                    zeros,         vt == HYPERDATATYPE_STRING ? 0 : 8,
                                    vt,            1,
                                    attrs[i].value, attrs[i].value_sz};
    }
    return atomic(cl, space, key, key_sz, HYPERDEX_ATOMIC_FAIL_IF_NOT_FOUND, NULL, 0, funcs, attrs_sz, status);
}

/* map_add: each (attr, map_key, value) is one entry; the entries of one attribute go as one
 * MAP_ADD of a map holding them all (a key named twice in one attribute is DUPEATTR). */
int64_t
hyperclient_map_add(struct hyperclient* cl, const char* space, const char* key, size_t key_sz,
                    const struct hyperclient_map_attribute* attrs, size_t attrs_sz, enum hyperclient_returncode* status)
{
    if (!status) return -1;
    if (attrs_sz && !attrs)
    {
        *status = HYPERCLIENT_LOGICERROR;
        return -1;
    }
    if (attrs_sz > HC_FIELDS_MAX)
    {
        *status = HYPERCLIENT_OVERFLOW;
        return -1;
    }
    const struct hc_space* s = space_lookup(cl, space);
    if (!s)
    {
        *status = HYPERCLIENT_UNKNOWNSPACE;
        return -1;
    }
    /* entries validated one by one, with their own index */
    for (size_t i = 0; i < attrs_sz; i++)
    {
        int a = attrs[i].attr ? attr_index(s, attrs[i].attr) : -1;
        if (a < 0)
        {
            *status = HYPERCLIENT_UNKNOWNATTR;
            return -1 - (int64_t)i;
        }
        int at = s->attrs[a].datatype;
        struct hd_type t;
        if (hd_type_of(at, &t) || t.shape != HD_SHAPE_MAP)
        {
            *status = HYPERCLIENT_WRONGTYPE;
            return -1 - (int64_t)i;
        }
        /* the value as a scalar of the map's value type: the checks of a 6-field func */
        struct hc_func f = {attrs[i].attr, HYPERDEX_FUNC_MAP_REMOVE, attrs[i].value, attrs[i].value_sz,
                            (int)attrs[i].datatype, 1, attrs[i].map_key, attrs[i].map_key_sz};
        if (check_func(&f, at))
        {
            *status = HYPERCLIENT_WRONGTYPE;
            return -1 - (int64_t)i;
        }
        for (size_t j = 0; j < i; j++)
            if (strcmp(attrs[j].attr, attrs[i].attr) == 0 && attrs[j].map_key_sz == attrs[i].map_key_sz &&
                (!attrs[i].map_key_sz || memcmp(attrs[j].map_key, attrs[i].map_key, attrs[i].map_key_sz) == 0))
            {
                *status = HYPERCLIENT_DUPEATTR;
                return -1 - (int64_t)i;
            }
    }
    /* one map value per attribute, entries as elements, in canonical order */
    struct hc_func funcs[HC_FIELDS_MAX] = {{0}};
    struct hd_buf maps[HC_FIELDS_MAX];
    size_t n = 0;
    int64_t rc = 0;
    for (size_t i = 0; i < attrs_sz && !rc; i++)
    {
        size_t m = 0;
        while (m < n && strcmp(funcs[m].attr, attrs[i].attr) != 0) m++;
        if (m < n) continue; /* gathered with its first entry */
        int at = attr_type(s, attrs[i].attr);
        struct hd_type t;
        hd_type_of(at, &t);
        struct hd_buf raw;
        hd_buf_init(&raw, HYPERDEX_VALUE_BYTES_MAX);
        hd_buf_init(&maps[n], HYPERDEX_VALUE_BYTES_MAX);
        for (size_t j = i; j < attrs_sz; j++)
        {
            if (strcmp(attrs[j].attr, attrs[i].attr) != 0) continue;
            struct hc_value k, v;
            normalize(scalar_datatype(t.elem), attrs[j].map_key, attrs[j].map_key_sz, &k);
            normalize(scalar_datatype(t.value), attrs[j].value, attrs[j].value_sz, &v);
            put_element(&raw, t.elem, k.p, k.n);
            put_element(&raw, t.value, v.p, v.n);
        }
        int crc = raw.error ? HD_VALUE_ENOMEM : hd_value_canonical(at, raw.data, raw.len, &maps[n]);
        hd_buf_free(&raw);
        funcs[n] = (struct hc_func){attrs[i].attr, HYPERDEX_FUNC_MAP_ADD, (const char*)maps[n].data, maps[n].len,
                                    at,            0, NULL, 0};
        n++;
        if (crc)
        {
            *status = crc == HD_VALUE_ENOMEM ? HYPERCLIENT_OVERFLOW : HYPERCLIENT_WRONGTYPE;
            rc = -1 - (int64_t)i;
        }
    }
    if (!rc) rc = atomic(cl, space, key, key_sz, HYPERDEX_ATOMIC_FAIL_IF_NOT_FOUND, NULL, 0, funcs, n, status);
    for (size_t m = 0; m < n; m++) hd_buf_free(&maps[m]);
    return rc;
}

/* ---- search -------------------------------------------------------------------------------- */

/* A search's check, validated: the attribute's name and type, the op and the value (normalized). */
struct hc_scheck
{
    const char* attr;
    int datatype;
    int op;
    struct hc_value v;
    uint8_t bound[8]; /* a range bound's bytes */
};



/* A range bound (the int64 value's bits) as a value of an int64 or float attribute. */
static void
range_bound(struct hc_scheck* c, uint64_t bits)
{
    if (c->datatype == HYPERDATATYPE_FLOAT)
    {
        double d = (double)(int64_t)bits;
        uint64_t u;
        memcpy(&u, &d, 8);
        put_le64(c->bound, u);
    }
    else
        put_le64(c->bound, bits);
    c->v.p = c->bound;
    c->v.n = 8;
}

int64_t
hyperclient_search(struct hyperclient* cl, const char* space, const struct hyperclient_attribute* eq, size_t eq_sz,
                   const struct hyperclient_range_query* rn, size_t rn_sz, enum hyperclient_returncode* status,
                   struct hyperclient_attribute** attrs, size_t* attrs_sz)
{
    if (!status) return -1;
    const struct hc_space* s = space_lookup(cl, space);
    if (!s)
    {
        *status = HYPERCLIENT_UNKNOWNSPACE;
        return -1;
    }
    if ((eq_sz && !eq) || (rn_sz && !rn) || !attrs || !attrs_sz)
    {
        *status = HYPERCLIENT_LOGICERROR;
        return -1;
    }
    if (eq_sz + 2 * rn_sz > HC_FIELDS_MAX)
    {
        *status = HYPERCLIENT_OVERFLOW;
        return -1;
    }
    struct hc_scheck checks[HC_FIELDS_MAX];
    size_t nc = 0;
    for (size_t i = 0; i < eq_sz; i++)
    {
        const char* name = eq[i].attr ? eq[i].attr : "";
        int want = attr_type(s, name);
        if (want < 0)
        {
            *status = HYPERCLIENT_UNKNOWNATTR;
            return -1 - (int64_t)i;
        }
        if (strcmp(name, s->key.name) == 0)
        {
            *status = HYPERCLIENT_DONTUSEKEY;
            return -1 - (int64_t)i;
        }
        struct hc_scheck* c = &checks[nc++];
        c->attr = name;
        c->datatype = want;
        c->op = HYPERDEX_CHECK_EQUALS;
        normalize(want, eq[i].value, eq[i].value_sz, &c->v);
        if ((!eq[i].value && eq[i].value_sz) || check_value(want, eq[i].datatype, &c->v))
        {
            *status = HYPERCLIENT_WRONGTYPE;
            return -1 - (int64_t)i;
        }
    }
    for (size_t i = 0; i < rn_sz; i++)
    {
        const char* name = rn[i].attr ? rn[i].attr : "";
        int64_t idx = (int64_t)(eq_sz + i);
        int want = attr_type(s, name);
        if (want < 0)
        {
            *status = HYPERCLIENT_UNKNOWNATTR;
            return -1 - idx;
        }
        if (want != HYPERDATATYPE_INT64 && want != HYPERDATATYPE_FLOAT)
        {
            *status = HYPERCLIENT_WRONGTYPE;
            return -1 - idx;
        }
        struct hc_scheck* lo = &checks[nc++];
        lo->attr = name;
        lo->datatype = want;
        lo->op = HYPERDEX_CHECK_GREATER_EQUAL;
        range_bound(lo, rn[i].lower);
        struct hc_scheck* hi = &checks[nc++];
        hi->attr = name;
        hi->datatype = want;
        hi->op = HYPERDEX_CHECK_LESS_THAN;
        range_bound(hi, rn[i].upper);
    }
    /* a value normalize() widened points at its own checks[x].v.wide, which stays put */

    /* the plan: per subspace the regions whose boxes meet every axis interval; the fewest wins,
     * the lower index on a tie */
    size_t best = SIZE_MAX, best_n = SIZE_MAX;
    for (size_t i = 0; i < s->subspaces_n; i++)
    {
        const struct hc_subspace* ss = &s->subspaces[i];
        uint64_t lo[64], hi[64];
        if (ss->dims > 64) continue;
        int empty = 0;
        for (size_t j = 0; j < ss->dims && !empty; j++)
        {
            struct hd_plan_check pc[256];
            size_t pn = 0;
            for (size_t x = 0; x < nc; x++)
                if (strcmp(checks[x].attr, ss->attrs[j]) == 0)
                {
                    pc[pn].op = checks[x].op;
                    pc[pn].value = checks[x].v.p;
                    pc[pn].value_len = checks[x].v.n;
                    pn++;
                }
            int dt = attr_type(s, ss->attrs[j]);
            int rc = dt < 0 ? 1 : hd_axis_interval(dt, pc, pn, &lo[j], &hi[j]);
            if (dt < 0)
            {
                lo[j] = 0;
                hi[j] = UINT64_MAX;
            }
            if (rc < 0)
            {
                *status = rc == HD_VALUE_ENOMEM ? HYPERCLIENT_NOMEM : HYPERCLIENT_WRONGTYPE;
                return -1;
            }
            if (rc == 0) empty = 1;
        }
        size_t count = 0;
        if (!empty)
            for (size_t g = 0; g < ss->regions_n; g++)
                count += hd_box_meets(ss->dims, ss->regions[g].lower, ss->regions[g].upper, lo, hi) ? 1 : 0;
        if (count < best_n)
        {
            best = i;
            best_n = count;
        }
    }
    if (best == SIZE_MAX)
    {
        *status = HYPERCLIENT_LOGICERROR;
        return -1;
    }
    /* the planned regions grouped by head */
    const struct hc_subspace* ss = &s->subspaces[best];
    uint64_t lo[64], hi[64];
    int empty = 0;
    for (size_t j = 0; j < ss->dims; j++)
    {
        struct hd_plan_check pc[256];
        size_t pn = 0;
        for (size_t x = 0; x < nc; x++)
            if (strcmp(checks[x].attr, ss->attrs[j]) == 0)
            {
                pc[pn].op = checks[x].op;
                pc[pn].value = checks[x].v.p;
                pc[pn].value_len = checks[x].v.n;
                pn++;
            }
        int dt = attr_type(s, ss->attrs[j]);
        lo[j] = 0;
        hi[j] = UINT64_MAX;
        if (dt >= 0 && hd_axis_interval(dt, pc, pn, &lo[j], &hi[j]) == 0) empty = 1;
    }
    size_t heads_n = 0;
    uint64_t* heads = calloc(ss->regions_n ? ss->regions_n : 1, sizeof(uint64_t));
    struct hc_conn** conns = calloc(ss->regions_n ? ss->regions_n : 1, sizeof(*conns));
    if (!heads || !conns)
    {
        free(heads);
        free(conns);
        *status = HYPERCLIENT_NOMEM;
        return -1;
    }
    if (!empty)
        for (size_t g = 0; g < ss->regions_n; g++)
        {
            const struct hc_region* r = &ss->regions[g];
            if (!hd_box_meets(ss->dims, r->lower, r->upper, lo, hi)) continue;
            const struct hc_server* sv = r->replicas_n ? find_server(cl, r->replicas[0]) : NULL;
            if (!sv || sv->state != HC_SERVER_AVAILABLE)
            {
                free(heads);
                free(conns);
                *status = HYPERCLIENT_RECONFIGURE;
                return -1;
            }
            size_t h = 0;
            while (h < heads_n && heads[h] != sv->id) h++;
            if (h == heads_n) heads[heads_n++] = sv->id;
        }
    for (size_t h = 0; h < heads_n; h++)
    {
        conns[h] = conn_for(cl, find_server(cl, heads[h]));
        if (!conns[h])
        {
            free(heads);
            free(conns);
            *status = HYPERCLIENT_CONNECTFAIL;
            return -1;
        }
    }
    /* connections made: conn_for may have dropped a moved server's connection, so look again */
    for (size_t h = 0; h < heads_n; h++)
    {
        conns[h] = NULL;
        for (size_t i = 1; i < cl->conns_n; i++)
            if (cl->conns[i]->server_id == heads[h]) conns[h] = cl->conns[i];
        if (!conns[h])
        {
            free(heads);
            free(conns);
            *status = HYPERCLIENT_CONNECTFAIL;
            return -1;
        }
    }
    struct hc_search* se = calloc(1, sizeof(*se));
    if (!se || !(se->key_name = dup_bytes((const uint8_t*)s->key.name, strlen(s->key.name))))
    {
        free(se);
        free(heads);
        free(conns);
        *status = HYPERCLIENT_NOMEM;
        return -1;
    }
    if (cl->searches_n == cl->searches_cap)
    {
        size_t cap = cl->searches_cap ? cl->searches_cap * 2 : 8;
        struct hc_search** p = realloc(cl->searches, cap * sizeof(*p));
        if (!p)
        {
            search_free(se);
            free(heads);
            free(conns);
            *status = HYPERCLIENT_NOMEM;
            return -1;
        }
        cl->searches = p;
        cl->searches_cap = cap;
    }
    se->id = take_id(cl);
    se->status = status;
    se->attrs = attrs;
    se->attrs_sz = attrs_sz;
    se->key_datatype = s->key.datatype;
    se->subs_left = heads_n;
    cl->searches[cl->searches_n++] = se;
    int64_t id = se->id;
    if (heads_n == 0)
    {
        se->ended = 1;
        search_push(cl, se, HYPERCLIENT_SEARCHDONE, NULL, 0);
    }
    for (size_t h = 0; h < heads_n && !se->ended; h++)
    {
        int64_t wid = take_id(cl);
        struct hd_buf* b = &cl->scratch;
        hd_buf_reset(b);
        size_t start = hd_wire_frame_begin(b, HYPERDEX_MSG_REQ_SEARCH, (uint64_t)wid);
        hd_wire_put_array(b, 8);
        hd_wire_put_uint(b, cl->config.version);
        hd_wire_put_uint(b, s->id);
        hd_wire_put_array(b, nc);
        for (size_t x = 0; x < nc; x++)
        {
            hd_wire_put_array(b, 4);
            hd_wire_put_uint(b, (uint64_t)checks[x].op);
            hd_wire_put_cstr(b, checks[x].attr);
            hd_wire_put_uint(b, (uint64_t)checks[x].datatype);
            hd_wire_put_bin(b, checks[x].v.p, checks[x].v.n);
        }
        hd_wire_put_cstr(b, "");
        hd_wire_put_uint(b, 0);
        hd_wire_put_uint(b, 0);
        hd_wire_put_uint(b, best);
        size_t rn_count = 0;
        for (size_t g = 0; g < ss->regions_n; g++)
        {
            const struct hc_region* r = &ss->regions[g];
            if (hd_box_meets(ss->dims, r->lower, r->upper, lo, hi) && r->replicas[0] == heads[h]) rn_count++;
        }
        hd_wire_put_array(b, rn_count);
        for (size_t g = 0; g < ss->regions_n; g++)
        {
            const struct hc_region* r = &ss->regions[g];
            if (hd_box_meets(ss->dims, r->lower, r->upper, lo, hi) && r->replicas[0] == heads[h])
                hd_wire_put_uint(b, r->id);
        }
        struct hc_op op = {wid, HC_OP_SEARCH, heads[h], status, attrs, attrs_sz, se};
        if (hd_wire_frame_end(b, start, HYPERDEX_FRAME_BYTES_MAX) || b->error || op_add(cl, &op))
        {
            /* ends the search: this part and the ones sent before */
            enum hyperclient_returncode st = b->error == HD_WIRE_ENOMEM ? HYPERCLIENT_NOMEM : HYPERCLIENT_OVERFLOW;
            se->ended = 1;
            for (size_t j = 0; j < cl->ops_n;)
                if (cl->ops[j].kind == HC_OP_SEARCH && cl->ops[j].search == se)
                    op_remove(cl, j);
                else
                    j++;
            search_push(cl, se, st, NULL, 0);
            break;
        }
        if (conn_send(conns[h], b))
        {
            for (size_t i = 1; i < cl->conns_n; i++)
                if (cl->conns[i] == conns[h])
                {
                    conn_drop(cl, i); /* ends the search with DISCONNECT */
                    break;
                }
            /* the other connections may have moved in cl->conns, not in memory */
        }
    }
    free(heads);
    free(conns);
    return id;
}

/* ---- the loop ------------------------------------------------------------------------------ */

int64_t
hyperclient_loop(struct hyperclient* cl, int timeout, enum hyperclient_returncode* status)
{
    int64_t deadline = timeout >= 0 ? now_ms() + timeout : 0;
    struct pollfd* pfds = NULL;
    int64_t result = -1;
    for (;;)
    {
        if (cl->ready_n)
        {
            result = cl->ready[cl->ready_head++];
            cl->ready_n--;
            *status = HYPERCLIENT_SUCCESS; /* the loop's own status; the op's is in its *status */
            if (!cl->ready_n) cl->ready_head = 0;
            size_t sw;
            struct hc_search* s = search_find(cl, result, &sw);
            if (s && s->events_head < s->events_n)
            {
                struct hc_search_event e = s->events[s->events_head++];
                *s->status = e.status;
                if (e.status == HYPERCLIENT_SUCCESS)
                {
                    *s->attrs = e.attrs;
                    *s->attrs_sz = e.attrs_sz;
                }
                if (s->ended && s->events_head == s->events_n)
                {
                    cl->searches[sw] = cl->searches[--cl->searches_n];
                    search_free(s);
                }
            }
            break;
        }
        if (!cl->ops_n)
        {
            *status = HYPERCLIENT_NONEPENDING;
            break;
        }
        int wait = -1;
        if (timeout >= 0)
        {
            int64_t left = deadline - now_ms();
            wait = left > 0 ? (int)left : 0;
        }
        free(pfds);
        pfds = calloc(cl->conns_n, sizeof(*pfds));
        if (!pfds)
        {
            *status = HYPERCLIENT_NOMEM;
            break;
        }
        for (size_t i = 0; i < cl->conns_n; i++)
        {
            struct hc_conn* c = cl->conns[i];
            pfds[i].fd = c ? c->fd : -1;
            pfds[i].events = POLLIN;
            if (c && c->out_off < c->out.len) pfds[i].events |= POLLOUT;
        }
        int rc = poll(pfds, (nfds_t)cl->conns_n, wait);
        if (rc < 0)
        {
            if (errno == EINTR) continue;
            *status = HYPERCLIENT_POLLFAILED;
            break;
        }
        if (rc == 0)
        {
            *status = HYPERCLIENT_TIMEOUT;
            break;
        }
        /* backwards: conn_drop moves the last connection into the dropped one's slot */
        for (size_t i = cl->conns_n; i-- > 0;)
        {
            struct hc_conn* c = cl->conns[i];
            if (!c || !pfds[i].revents) continue;
            int dead = 0;
            if ((pfds[i].revents & POLLOUT) && conn_flush(c)) dead = 1;
            if (!dead && (pfds[i].revents & (POLLIN | POLLHUP | POLLERR)) && conn_read(cl, c)) dead = 1;
            if (dead) conn_drop(cl, i);
        }
    }
    free(pfds);
    return result;
}
