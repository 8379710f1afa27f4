/* libhyperclient: outstanding operations (a map from wire id to op), the ready queue that
 * hyperclient_loop empties, and key operations sent, answered and resent. docs/protocol.md 4.6-4.11
 * and 12 say what goes on the wire. */
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"

int64_t
hc_take_id(struct hyperclient* cl)
{
    return cl->next_id++;
}

struct hc_op*
hc_op_new(struct hyperclient* cl, int64_t id, enum hc_op_kind kind)
{
    struct hc_op* op = calloc(1, sizeof(*op));
    if (!op) return NULL;
    op->id = id;
    op->kind = kind;
    if (hd_idmap_put(&cl->ops, (uint64_t)id, op))
    {
        free(op);
        return NULL;
    }
    return op;
}

struct hc_op*
hc_op_find(struct hyperclient* cl, int64_t id)
{
    return hd_idmap_get(&cl->ops, (uint64_t)id);
}

void
hc_op_free(struct hc_op* op)
{
    for (size_t i = 0; i < op->held_n; i++) free(op->held[i]);
    free(op->held);
    free(op->held_sz);
    free(op->regions);
    free(op->rest);
    free(op);
}

void
hc_op_discard(struct hyperclient* cl, struct hc_op* op)
{
    hd_idmap_del(&cl->ops, (uint64_t)op->id);
    if (op->waiting) cl->waiting_n--;
    hc_op_free(op);
}

int
hc_ready_push(struct hyperclient* cl, int64_t id)
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

void
hc_op_complete(struct hyperclient* cl, struct hc_op* op, enum hyperclient_returncode st)
{
    int64_t id = op->id;
    enum hyperclient_returncode* status = op->status;
    hc_op_discard(cl, op);
    *status = st;
    if (hc_ready_push(cl, id)) *status = HYPERCLIENT_NOMEM; /* lost: the caller never sees this id */
}

/* The op waits for a configuration newer than the one held now, or for HC_CONFIG_WAIT_MS. */
static void
keyop_wait(struct hyperclient* cl, struct hc_op* op)
{
    if (!op->waiting) cl->waiting_n++;
    op->waiting = 1;
    op->server_id = 0;
    op->sent_version = cl->config.version;
    op->wait_since_ms = hc_now_ms();
}

/* The op is sent again by the next loop, without waiting for a newer configuration: its connection
 * was lost, and a new one may reach the daemon (restarted, or the old connection was stale). A
 * daemon that is gone refuses the new connection, and then the op waits as keyop_wait says. */
static void
keyop_retry(struct hyperclient* cl, struct hc_op* op, enum hyperclient_returncode why)
{
    op->last_failure = why;
    keyop_wait(cl, op);
    op->wait_since_ms -= HC_CONFIG_WAIT_MS;
}

void
hc_keyop_send(struct hyperclient* cl, struct hc_op* op)
{
    if (op->rounds >= HC_ROUNDS_MAX)
    {
        hc_op_complete(cl, op, op->last_failure ? op->last_failure : HYPERCLIENT_RECONFIGURE);
        return;
    }
    op->rounds++;
    const struct hc_space* s = hc_space_with_id(&cl->config, op->space_id);
    if (!s)
    {
        hc_op_complete(cl, op, HYPERCLIENT_UNKNOWNSPACE);
        return;
    }
    const struct hc_region* g = hc_key_region(s, op->point);
    const struct hc_server* sv = g && g->replicas_n ? hc_server_with_id(&cl->config, g->replicas[0]) : NULL;
    int available = sv && sv->state == HC_SERVER_AVAILABLE;
    struct hc_conn* c = available ? hc_conn_for(cl, sv) : NULL;
    if (!c)
    {
        /* no head, or one that cannot be reached: the coordinator will say where the key went */
        op->last_failure = available ? HYPERCLIENT_CONNECTFAIL : HYPERCLIENT_RECONFIGURE;
        keyop_wait(cl, op);
        return;
    }
    if (op->waiting) cl->waiting_n--;
    op->waiting = 0;
    op->server_id = sv->id;
    op->sent_version = cl->config.version;
    struct hd_buf* b = &cl->scratch;
    hd_buf_reset(b);
    size_t start = hd_wire_frame_begin(b, op->type, (uint64_t)op->id);
    hd_wire_put_array(b, op->fields);
    hd_wire_put_uint(b, cl->config.version);
    hd_buf_append(b, op->rest, op->rest_n);
    if (hd_wire_frame_end(b, start, HYPERDEX_FRAME_BYTES_MAX) || b->error)
    {
        hc_op_complete(cl, op, b->error == HD_WIRE_ENOMEM ? HYPERCLIENT_NOMEM : HYPERCLIENT_OVERFLOW);
        return;
    }
    hc_send_op(cl, c, op); /* a failed connection sends it again, or fails it, through loop */
}

/* A reply to a key operation: `[status, ...]`, RESP_GET `[status, attributes]`. */
static void
keyop_reply(struct hyperclient* cl, struct hc_op* op, const struct hd_frame* f)
{
    struct hd_wire_reader rd;
    hd_wire_reader_init(&rd, f->body, f->body_len);
    uint32_t n;
    uint64_t st;
    if (hd_wire_check(f->body, f->body_len) || hd_wire_read_array(&rd, &n) || n < 1 ||
        hd_wire_read_uint(&rd, 65535, &st))
    {
        hc_op_complete(cl, op, HYPERCLIENT_SERVERERROR);
        return;
    }
    enum hyperclient_returncode s = hc_status_of(st);
    if (f->type == HYPERDEX_MSG_ERROR)
    {
        hc_op_complete(cl, op, s);
        return;
    }
    uint16_t want = op->kind == HC_OP_GET ? HYPERDEX_MSG_RESP_GET
                  : op->kind == HC_OP_DEL ? HYPERDEX_MSG_RESP_DEL
                  : op->kind == HC_OP_COORD ? HYPERDEX_MSG_COORD_RESP
                                            : HYPERDEX_MSG_RESP_ATOMIC;
    if (f->type != want)
    {
        hc_op_complete(cl, op, HYPERCLIENT_SERVERERROR);
        return;
    }
    if (s == HYPERCLIENT_RECONFIGURE && op->kind != HC_OP_COORD)
    {
        /* not applied: the daemon does not head the key's region any more */
        op->last_failure = HYPERCLIENT_RECONFIGURE;
        keyop_wait(cl, op);
        return;
    }
    if (op->kind == HC_OP_GET && s == HYPERCLIENT_SUCCESS)
    {
        uint32_t m;
        struct hyperclient_attribute* a = NULL;
        if (n < 2 || hd_wire_read_array(&rd, &m) || hc_build_attrs(&rd, m, &a, NULL, 0, NULL, 0))
        {
            hc_op_complete(cl, op, HYPERCLIENT_SERVERERROR);
            return;
        }
        *op->attrs = a;
        *op->attrs_sz = m;
    }
    hc_op_complete(cl, op, s);
}

void
hc_handle_reply(struct hyperclient* cl, const struct hd_frame* f)
{
    if (f->id > (uint64_t)INT64_MAX) return;
    struct hc_op* op = hc_op_find(cl, (int64_t)f->id);
    if (!op) return;
    if (op->kind == HC_OP_PART)
        hc_part_reply(cl, op, f);
    else
        keyop_reply(cl, op, f);
}

/* The op with the lowest id held by a server, or NULL: the slow walk when memory is short. */
static struct hc_op*
any_op_of(struct hyperclient* cl, uint64_t server_id)
{
    for (size_t i = 0; i < cl->ops.cap; i++)
    {
        struct hc_op* op = cl->ops.slots[i].value;
        if (op && op->server_id == server_id) return op;
    }
    return NULL;
}

/* One op of a lost connection: see hc_fail_server. */
static void
fail_op(struct hyperclient* cl, struct hc_op* op, uint64_t written_total)
{
    /* every request ends in a whole frame: one not wholly taken by the kernel was never applied */
    int maybe_applied = op->wire_end <= written_total;
    switch (op->kind)
    {
        case HC_OP_GET:
            keyop_retry(cl, op, HYPERCLIENT_DISCONNECT);
            return;
        case HC_OP_ATOMIC:
        case HC_OP_DEL:
            if (maybe_applied)
                hc_op_complete(cl, op, HYPERCLIENT_UNKNOWNOUTCOME);
            else
                keyop_retry(cl, op, HYPERCLIENT_DISCONNECT);
            return;
        case HC_OP_COORD:
            /* add_space and rm_space: loop reports the lost coordinator once too */
            hc_op_complete(cl, op, maybe_applied ? HYPERCLIENT_UNKNOWNOUTCOME : HYPERCLIENT_COORDFAIL);
            return;
        case HC_OP_PART:
            if (maybe_applied && !hc_whole_reads(op->whole))
                hc_part_end(cl, op, HYPERCLIENT_UNKNOWNOUTCOME);
            else
                hc_part_retry(cl, op, HYPERCLIENT_DISCONNECT);
            return;
    }
}

void
hc_fail_server(struct hyperclient* cl, uint64_t server_id, uint64_t written_total)
{
    /* by id: failing a part may discard its siblings */
    size_t n = cl->ops.n;
    uint64_t* ids = hd_idmap_ids(&cl->ops);
    if (n && !ids)
    {
        struct hc_op* op;
        /* an op sent again waits with server_id 0, so the walk ends */
        while ((op = any_op_of(cl, server_id))) fail_op(cl, op, written_total);
        return;
    }
    for (size_t i = 0; i < n; i++)
    {
        struct hc_op* op = hc_op_find(cl, (int64_t)ids[i]);
        if (op && op->server_id == server_id) fail_op(cl, op, written_total);
    }
    free(ids);
}

/* The ms until `since` + HC_CONFIG_WAIT_MS, folded into *next (the soonest so far, -1: none). */
static void
soonest(int64_t since, int64_t now, int64_t* next)
{
    int64_t left = since + HC_CONFIG_WAIT_MS - now;
    if (left < 0) left = 0;
    if (*next < 0 || left < *next) *next = left;
}

int
hc_service_waiting(struct hyperclient* cl)
{
    if (!cl->waiting_n) return -1;
    int64_t now = hc_now_ms();
    int64_t next = -1;
    /* by id: a resend may fail other ops */
    size_t n = cl->ops.n;
    uint64_t* ids = hd_idmap_ids(&cl->ops);
    for (size_t i = 0; ids && i < n; i++)
    {
        struct hc_op* op = hc_op_find(cl, (int64_t)ids[i]);
        if (!op || !op->waiting) continue;
        if (cl->config.version > op->sent_version || now >= op->wait_since_ms + HC_CONFIG_WAIT_MS)
            hc_keyop_send(cl, op);
        else
            soonest(op->wait_since_ms, now, &next);
    }
    int short_of_memory = n && !ids;
    free(ids);
    n = cl->wholes.n;
    ids = hd_idmap_ids(&cl->wholes);
    for (size_t i = 0; ids && i < n; i++)
    {
        struct hc_whole* w = hc_whole_find(cl, (int64_t)ids[i]);
        if (!w || !w->waiting) continue;
        if (cl->config.version > w->round_version || now >= w->wait_since_ms + HC_CONFIG_WAIT_MS)
            hc_whole_round(cl, w);
        else
            soonest(w->wait_since_ms, now, &next);
    }
    short_of_memory |= n && !ids;
    free(ids);
    if (short_of_memory) return 10; /* look again soon */
    /* what started waiting during this walk waits a whole HC_CONFIG_WAIT_MS */
    if (next < 0 && cl->waiting_n) next = HC_CONFIG_WAIT_MS;
    return (int)next;
}
