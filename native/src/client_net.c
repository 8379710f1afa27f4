/* libhyperclient: sockets and connections, the coordinator's configuration fetched and followed,
 * hyperclient_create / hyperclient_destroy, and hyperclient_loop, which drives everything. */
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
#include <unistd.h>

#include "client_internal.h"

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
    c->host = hc_dup((const uint8_t*)host, strlen(host));
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
        c->written_total += (uint64_t)w;
    }
    hd_buf_reset(&c->out);
    c->out_off = 0;
    return 0;
}

/* Closes connection i; the ops it held are sent again or fail as hc_fail_server says (the loss of
 * the coordinator's connection loop also reports once through its own status). */
static void
conn_drop(struct hyperclient* cl, size_t i)
{
    struct hc_conn* c = cl->conns[i];
    uint64_t server_id = c->server_id;
    uint64_t written_total = c->written_total;
    conn_free(c);
    if (i == 0)
    {
        cl->conns[0] = NULL;
        cl->coordinator_lost = 1;
    }
    else
        cl->conns[i] = cl->conns[--cl->conns_n];
    hc_fail_server(cl, server_id, written_total);
}

static size_t
conn_index(struct hyperclient* cl, const struct hc_conn* c)
{
    for (size_t i = 0; i < cl->conns_n; i++)
        if (cl->conns[i] == c) return i;
    return SIZE_MAX;
}

int
hc_send(struct hyperclient* cl, struct hc_conn* c)
{
    /* Queued, not written: loop writes every connection's queue before it waits, so the requests
     * a caller makes between two waits leave in one send() (one syscall, one TCP segment for many
     * requests). A queue grown past HC_OUT_QUEUE_BYTES is written at once. */
    if (!hd_buf_append(&c->out, cl->scratch.data, cl->scratch.len))
    {
        c->queued_total += cl->scratch.len;
        if (c->out.len - c->out_off < HC_OUT_QUEUE_BYTES || !conn_flush(c)) return 0;
    }
    size_t i = conn_index(cl, c);
    if (i != SIZE_MAX) conn_drop(cl, i);
    return -1;
}

int
hc_send_op(struct hyperclient* cl, struct hc_conn* c, struct hc_op* op)
{
    op->wire_end = c->queued_total + cl->scratch.len;
    return hc_send(cl, c);
}

/* Whether the server has closed a connection that nothing has read from since (the program was
 * away from loop): a request put on it would be lost unread, and counted as maybe applied. Only
 * asked before the first request queued after the queue was written (one recv per burst). */
static int
conn_peer_closed(const struct hc_conn* c)
{
    if (c->out.len > c->out_off) return 0;
    uint8_t byte;
    ssize_t got;
    do got = recv(c->fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
    while (got < 0 && errno == EINTR);
    if (got > 0) return 0; /* replies wait to be read: loop sees what follows them */
    return got == 0 || (errno != EAGAIN && errno != EWOULDBLOCK);
}

/* Writes every connection's queued requests; a connection that fails is dropped (its operations
 * fail through loop). */
static void
flush_all(struct hyperclient* cl)
{
    for (size_t i = cl->conns_n; i-- > 0;)
    {
        struct hc_conn* c = cl->conns[i];
        /* conn_drop moves the last connection into slot i: going down, it has been written */
        if (c && c->out_off < c->out.len && conn_flush(c)) conn_drop(cl, i);
    }
}

/* Takes a CONFIG body if its version is newer than the one held. */
static void
take_config(struct hyperclient* cl, const uint8_t* body, size_t n)
{
    struct hc_config c;
    if (hc_config_parse(body, n, &c)) return;
    if (c.version > cl->config.version)
    {
        hc_config_free(&cl->config);
        cl->config = c;
    }
    else
        hc_config_free(&c);
}

static void
handle_frame(struct hyperclient* cl, struct hc_conn* c, const struct hd_frame* f)
{
    if (c->server_id == HC_COORDINATOR && f->type == HYPERDEX_MSG_CONFIG)
    {
        take_config(cl, f->body, f->body_len);
        return;
    }
    if (f->id > (uint64_t)INT64_MAX) return;
    struct hc_op* op = hc_op_find(cl, (int64_t)f->id);
    /* an answer counts only from where the op went */
    if (op && op->server_id == c->server_id) hc_handle_reply(cl, f);
}

/* Reads what is there and handles every whole frame. 0, or -1 when the connection has closed or
 * failed. `seen` (optional) is set when a frame with that id came. */
static int
conn_read(struct hyperclient* cl, struct hc_conn* c, int64_t seen_id, int* seen)
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
        while ((rc = hd_frame_decoder_next(&c->dec, &f)) > 0)
        {
            if (seen && f.id == (uint64_t)seen_id) *seen = 1;
            handle_frame(cl, c, &f);
        }
        if (rc < 0) return -1;
        if ((size_t)got < sizeof(buf)) return 0;
    }
}

struct hc_conn*
hc_conn_of(struct hyperclient* cl, uint64_t server_id)
{
    for (size_t i = 1; i < cl->conns_n; i++)
        if (cl->conns[i]->server_id == server_id) return cl->conns[i];
    return NULL;
}

struct hc_conn*
hc_conn_for(struct hyperclient* cl, const struct hc_server* sv)
{
    uint64_t id = sv->id;
    struct hc_conn* c = hc_conn_of(cl, id);
    if (c && c->port == sv->port && strcmp(c->host, sv->host) == 0 && !conn_peer_closed(c)) return c;
    /* copies: dropping a connection may complete ops, never change the configuration, but be safe */
    uint16_t port = sv->port;
    char host[64];
    size_t hl = strlen(sv->host);
    if (hl >= sizeof(host)) return NULL;
    memcpy(host, sv->host, hl + 1);
    if (c) conn_drop(cl, conn_index(cl, c)); /* the server moved or closed: its ops go as hc_fail_server says */
    if (cl->conns_n == cl->conns_cap)
    {
        size_t cap = cl->conns_cap * 2;
        struct hc_conn** p = realloc(cl->conns, cap * sizeof(*p));
        if (!p) return NULL;
        cl->conns = p;
        cl->conns_cap = cap;
    }
    int fd = connect_to(host, port, HC_CONNECT_TIMEOUT_MS);
    if (fd < 0) return NULL;
    c = conn_new(fd, id, host, port);
    if (!c)
    {
        close(fd);
        return NULL;
    }
    cl->conns[cl->conns_n++] = c;
    return c;
}

/* ---- the configuration ---------------------------------------------------------------------- */

static int
coordinator_connect(struct hyperclient* cl)
{
    if (cl->conns[0]) return 0;
    int fd = connect_to(cl->coordinator_host, cl->coordinator_port, HC_CONNECT_TIMEOUT_MS);
    if (fd < 0) return -1;
    cl->conns[0] = conn_new(fd, HC_COORDINATOR, cl->coordinator_host, cl->coordinator_port);
    if (!cl->conns[0])
    {
        close(fd);
        return -1;
    }
    return 0;
}

struct hc_conn*
hc_coordinator(struct hyperclient* cl)
{
    return coordinator_connect(cl) ? NULL : cl->conns[0];
}

int
hc_fetch_config(struct hyperclient* cl, int timeout_ms)
{
    if (coordinator_connect(cl)) return -1;
    struct hc_conn* c = cl->conns[0];
    int64_t id = hc_take_id(cl);
    hd_buf_reset(&cl->scratch);
    size_t start = hd_wire_frame_begin(&cl->scratch, HYPERDEX_MSG_CONFIG_SUBSCRIBE, (uint64_t)id);
    hd_wire_put_array(&cl->scratch, 0);
    if (hd_wire_frame_end(&cl->scratch, start, HYPERDEX_FRAME_BYTES_MAX) || cl->scratch.error) return -1;
    if (hc_send(cl, c)) return -1;
    if (conn_flush(c))
    {
        conn_drop(cl, 0);
        return -1;
    }
    int64_t deadline = hc_now_ms() + timeout_ms;
    /* only the coordinator's connection is read: its other frames are handled as they come */
    for (;;)
    {
        int64_t left = deadline - hc_now_ms();
        if (left <= 0) return -1;
        struct pollfd pfd = {c->fd, POLLIN, 0};
        if (c->out_off < c->out.len) pfd.events |= POLLOUT;
        int rc = poll(&pfd, 1, (int)left);
        if (rc < 0 && errno != EINTR) return -1;
        if (rc <= 0) continue;
        int seen = 0;
        if (((pfd.revents & POLLOUT) && conn_flush(c)) ||
            ((pfd.revents & (POLLIN | POLLHUP | POLLERR)) && conn_read(cl, c, id, &seen)))
        {
            conn_drop(cl, 0);
            return -1;
        }
        if (seen) return cl->config.version > 0 ? 0 : -1;
    }
}

const struct hc_space*
hc_space_lookup(struct hyperclient* cl, const char* name)
{
    if (!name) return NULL;
    const struct hc_space* s = hc_space_named(&cl->config, name);
    if (s) return s;
    if (hc_fetch_config(cl, HC_CONFIG_TIMEOUT_MS)) return NULL;
    return hc_space_named(&cl->config, name);
}

/* ---- create / destroy ---------------------------------------------------------------------- */

struct hyperclient*
hyperclient_create(const char* coordinator, in_port_t port)
{
    if (!coordinator) return NULL;
    struct hyperclient* cl = calloc(1, sizeof(*cl));
    if (!cl) return NULL;
    cl->next_id = 1;
    hd_buf_init(&cl->scratch, HYPERDEX_FRAME_BYTES_MAX);
    hd_buf_init(&cl->rest, HYPERDEX_FRAME_BYTES_MAX);
    hd_idmap_init(&cl->ops);
    hd_idmap_init(&cl->wholes);
    cl->coordinator_host = hc_dup((const uint8_t*)coordinator, strlen(coordinator));
    cl->coordinator_port = port;
    cl->conns_cap = 8;
    cl->conns = calloc(cl->conns_cap, sizeof(*cl->conns));
    if (!cl->conns || !cl->coordinator_host) goto fail;
    cl->conns_n = 1; /* conns[0]: the coordinator, connected by the fetch */
    if (hc_fetch_config(cl, HC_CONFIG_TIMEOUT_MS)) goto fail;
    cl->coordinator_lost = 0;
    return cl;
fail:
    hyperclient_destroy(cl);
    return NULL;
}

void
hyperclient_destroy(struct hyperclient* cl)
{
    if (!cl) return;
    /* requests made since the last loop still go out, as far as the kernel takes them now */
    for (size_t i = 0; i < cl->conns_n; i++)
        if (cl->conns[i]) conn_flush(cl->conns[i]);
    for (size_t i = 0; i < cl->conns_n; i++) conn_free(cl->conns[i]);
    free(cl->conns);
    /* what is still outstanding, straight from the maps' slots (nothing is removed as it goes) */
    for (size_t i = 0; i < cl->ops.cap; i++)
        if (cl->ops.slots[i].value) hc_op_free(cl->ops.slots[i].value);
    hd_idmap_free(&cl->ops);
    for (size_t i = 0; i < cl->wholes.cap; i++)
        if (cl->wholes.slots[i].value) hc_whole_free(cl->wholes.slots[i].value);
    hd_idmap_free(&cl->wholes);
    free(cl->ready);
    free(cl->pfds);
    free(cl->polled_conns);
    hc_config_free(&cl->config);
    hd_buf_free(&cl->scratch);
    hd_buf_free(&cl->rest);
    free(cl->coordinator_host);
    free(cl);
}

void
hyperclient_destroy_attrs(struct hyperclient_attribute* attrs, size_t attrs_sz)
{
    (void)attrs_sz; /* one allocation holds the array, the names and the values */
    free(attrs);
}

/* ---- the loop ------------------------------------------------------------------------------ */

int64_t
hyperclient_loop(struct hyperclient* cl, int timeout, enum hyperclient_returncode* status)
{
    if (!cl || !status) return -1;
    /* The clock is read only when about to wait: a search's objects come one per call, most of
     * them already held, and a clock read per call showed in the client's profile (7 %). */
    int64_t deadline = -1;
    int64_t result = -1;
    for (;;)
    {
        if (cl->coordinator_lost)
        {
            /* once: the coordinator's connection is gone (the next call that needs the
             * configuration connects again) */
            cl->coordinator_lost = 0;
            *status = HYPERCLIENT_COORDFAIL;
            break;
        }
        if (cl->ready_n)
        {
            result = cl->ready[cl->ready_head++];
            cl->ready_n--;
            if (!cl->ready_n) cl->ready_head = 0;
            *status = HYPERCLIENT_SUCCESS; /* the loop's own; the op's is in its *status */
            struct hc_whole* w = hc_whole_find(cl, result);
            if (w) hc_whole_deliver(cl, w);
            break;
        }
        int wait_ms = hc_service_waiting(cl);
        if (cl->ready_n || cl->coordinator_lost) continue;
        if (!cl->ops.n && !cl->waiting_n)
        {
            *status = HYPERCLIENT_NONEPENDING;
            break;
        }
        flush_all(cl);
        if (cl->ready_n || cl->coordinator_lost) continue; /* a connection failed as it was written */
        int wait = wait_ms;
        if (timeout >= 0)
        {
            int64_t now = hc_now_ms();
            if (deadline < 0) deadline = now + timeout;
            int64_t left = deadline - now;
            if (left < 0) left = 0;
            if (wait < 0 || left < wait) wait = (int)left;
        }
        if (cl->pfds_cap < cl->conns_n)
        {
            /* kept from call to call: loop runs once per completed operation */
            free(cl->pfds);
            free(cl->polled_conns);
            cl->pfds_cap = cl->conns_n;
            cl->pfds = calloc(cl->pfds_cap, sizeof(*cl->pfds));
            cl->polled_conns = calloc(cl->pfds_cap, sizeof(*cl->polled_conns));
            if (!cl->pfds || !cl->polled_conns)
            {
                cl->pfds_cap = 0;
                *status = HYPERCLIENT_NOMEM;
                break;
            }
        }
        struct pollfd* pfds = cl->pfds;
        struct hc_conn** polled_conns = cl->polled_conns; /* what each pollfd was, as connections may go */
        size_t polled = cl->conns_n;
        for (size_t i = 0; i < polled; i++)
        {
            struct hc_conn* c = cl->conns[i];
            polled_conns[i] = c;
            pfds[i].fd = c ? c->fd : -1;
            pfds[i].events = POLLIN;
            pfds[i].revents = 0;
            if (c && c->out_off < c->out.len) pfds[i].events |= POLLOUT;
        }
        int rc = poll(pfds, (nfds_t)polled, wait);
        if (rc < 0)
        {
            if (errno == EINTR) continue;
            *status = HYPERCLIENT_POLLFAILED;
            break;
        }
        if (rc == 0)
        {
            if (timeout >= 0 && hc_now_ms() >= deadline)
            {
                *status = HYPERCLIENT_TIMEOUT;
                break;
            }
            continue; /* a resend is due */
        }
        for (size_t i = 0; i < polled; i++)
        {
            struct hc_conn* c = polled_conns[i];
            if (!c || !pfds[i].revents) continue;
            /* handling frames may drop connections: work only on ones still open */
            size_t at = conn_index(cl, c);
            if (at == SIZE_MAX) continue;
            int dead = (pfds[i].revents & POLLOUT) && conn_flush(c);
            if (!dead && (pfds[i].revents & (POLLIN | POLLHUP | POLLERR))) dead = conn_read(cl, c, 0, NULL) != 0;
            if (dead && (at = conn_index(cl, c)) != SIZE_MAX) conn_drop(cl, at);
        }
    }
    return result;
}
