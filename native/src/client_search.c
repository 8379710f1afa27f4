/* libhyperclient: search, sorted_search, count and group_del (docs/protocol.md 4.12-4.14).
 *
 * A call is planned once: the subspace whose regions the predicate meets fewest, and those
 * regions (pending). Each round groups the pending regions by their head under the configuration
 * held then and sends each head one part (its own wire id; the caller sees only the call's id).
 * A part that succeeds settles its regions: its objects are handed back (a search), gathered (a
 * sorted search) or its count added. A part answered RECONFIGURE leaves its regions pending, its
 * objects dropped (a part's objects are held until it succeeds, so nothing is handed back twice);
 * the next round goes once a newer configuration comes or HC_CONFIG_WAIT_MS passes, at most
 * HC_ROUNDS_MAX rounds. Any other failure ends the call with that status.
 */
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"

/* ---- predicates ------------------------------------------------------------------------------ */

/* A check, validated: the attribute's name and type, the op and the value (normalized). */
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
        hc_put_le64(c->bound, u);
    }
    else
        hc_put_le64(c->bound, bits);
    c->v.p = c->bound;
    c->v.n = 8;
}

/* hyperclient_search's eq and rn as checks. The count, or -1 - idx with *status. */
static int64_t
checks_of_search(const struct hc_space* s, const struct hyperclient_attribute* eq, size_t eq_sz,
                 const struct hyperclient_range_query* rn, size_t rn_sz, struct hc_scheck* checks,
                 enum hyperclient_returncode* status)
{
    size_t nc = 0;
    for (size_t i = 0; i < eq_sz; i++)
    {
        const char* name = eq[i].attr ? eq[i].attr : "";
        int want = hc_attr_type(s, name);
        if (want < 0)
        {
            *status = HYPERCLIENT_UNKNOWNATTR;
            return -1 - (int64_t)i;
        }
        if (strcmp(name, s->key.name) == 0)
        {
            /* the manual: a search by key is a get */
            *status = HYPERCLIENT_DONTUSEKEY;
            return -1 - (int64_t)i;
        }
        struct hc_scheck* c = &checks[nc++];
        c->attr = name;
        c->datatype = want;
        c->op = HYPERDEX_CHECK_EQUALS;
        hc_normalize(want, eq[i].value, eq[i].value_sz, &c->v);
        if ((!eq[i].value && eq[i].value_sz) || hc_check_value(want, eq[i].datatype, &c->v))
        {
            *status = HYPERCLIENT_WRONGTYPE;
            return -1 - (int64_t)i;
        }
    }
    for (size_t i = 0; i < rn_sz; i++)
    {
        const char* name = rn[i].attr ? rn[i].attr : "";
        int64_t idx = (int64_t)(eq_sz + i);
        int want = hc_attr_type(s, name);
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
    return (int64_t)nc;
}

/* The later API's checks (count, group_del, sorted_search). The count, or -1 - idx with *status. */
static int64_t
checks_of_predicate(const struct hc_space* s, const struct hyperclient_attribute_check* in, size_t n,
                    struct hc_scheck* checks, enum hyperclient_returncode* status)
{
    for (size_t i = 0; i < n; i++)
    {
        const char* name = in[i].attr ? in[i].attr : "";
        int want = hc_attr_type(s, name);
        if (want < 0)
        {
            *status = HYPERCLIENT_UNKNOWNATTR;
            return -1 - (int64_t)i;
        }
        struct hc_scheck* c = &checks[i];
        c->attr = name;
        c->datatype = want;
        c->op = hc_check_op_of(in[i].predicate);
        hc_normalize(want, in[i].value, in[i].value_sz, &c->v);
        if ((!in[i].value && in[i].value_sz) || hc_check_value(want, in[i].datatype, &c->v) || !c->op ||
            (c->op != HYPERDEX_CHECK_EQUALS && want > HYPERDATATYPE_FLOAT))
        {
            *status = HYPERCLIENT_WRONGTYPE;
            return -1 - (int64_t)i;
        }
    }
    return (int64_t)n;
}

/* ---- the plan (docs/protocol.md 4.14) -------------------------------------------------------- */

/* Each axis's interval in subspace ss. 0 when some axis is empty (no region can match), 1 when
 * not, -1 with *status on an error. */
static int
axis_intervals(const struct hc_space* s, const struct hc_subspace* ss, const struct hc_scheck* checks, size_t nc,
               uint64_t* lo, uint64_t* hi, enum hyperclient_returncode* status)
{
    int empty = 0;
    for (size_t j = 0; j < ss->dims; j++)
    {
        struct hd_plan_check pc[HC_FIELDS_MAX];
        size_t pn = 0;
        for (size_t x = 0; x < nc; x++)
            if (strcmp(checks[x].attr, ss->attrs[j]) == 0)
            {
                pc[pn].op = checks[x].op;
                pc[pn].value = checks[x].v.p;
                pc[pn].value_len = checks[x].v.n;
                pn++;
            }
        lo[j] = 0;
        hi[j] = UINT64_MAX;
        int dt = hc_attr_type(s, ss->attrs[j]);
        if (dt < 0) continue; /* an axis the space does not describe: whole */
        int rc = hd_axis_interval(dt, pc, pn, &lo[j], &hi[j]);
        if (rc < 0)
        {
            *status = rc == HD_VALUE_ENOMEM ? HYPERCLIENT_NOMEM : HYPERCLIENT_WRONGTYPE;
            return -1;
        }
        if (rc == 0) empty = 1;
    }
    return empty ? 0 : 1;
}

#define HC_AXES_MAX 64

/* The subspace with the fewest regions the checks meet (the lower index on a tie) and the ids of
 * those regions in w->pending. 0, or -1 with *status. */
static int
plan(const struct hc_space* s, const struct hc_scheck* checks, size_t nc, struct hc_whole* w,
     enum hyperclient_returncode* status)
{
    uint64_t lo[HC_AXES_MAX], hi[HC_AXES_MAX];
    size_t best = SIZE_MAX, best_n = SIZE_MAX;
    for (size_t i = 0; i < s->subspaces_n; i++)
    {
        const struct hc_subspace* ss = &s->subspaces[i];
        if (ss->dims > HC_AXES_MAX) continue;
        int rc = axis_intervals(s, ss, checks, nc, lo, hi, status);
        if (rc < 0) return -1;
        size_t count = 0;
        for (size_t g = 0; rc && g < ss->regions_n; g++)
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
    const struct hc_subspace* ss = &s->subspaces[best];
    w->subspace = best;
    w->pending = calloc(best_n ? best_n : 1, sizeof(uint64_t));
    if (!w->pending)
    {
        *status = HYPERCLIENT_NOMEM;
        return -1;
    }
    if (best_n == 0) return 0;
    if (axis_intervals(s, ss, checks, nc, lo, hi, status) < 0) return -1;
    for (size_t g = 0; g < ss->regions_n; g++)
        if (hd_box_meets(ss->dims, ss->regions[g].lower, ss->regions[g].upper, lo, hi))
            w->pending[w->pending_n++] = ss->regions[g].id;
    return 0;
}

/* ---- events ---------------------------------------------------------------------------------- */

void
hc_whole_free(struct hc_whole* w)
{
    if (!w) return;
    for (size_t i = w->events_head; i < w->events_n; i++) free(w->events[i].attrs);
    free(w->events);
    for (size_t i = 0; i < w->sorted_n; i++) free(w->sorted[i].attrs);
    free(w->sorted);
    free(w->pending);
    hd_buf_free(&w->checks);
    free(w->sort_by);
    free(w->key_name);
    free(w);
}

struct hc_whole*
hc_whole_find(struct hyperclient* cl, int64_t id)
{
    return hd_idmap_get(&cl->wholes, (uint64_t)id);
}

static int
events_grow(struct hc_event** events, size_t* head, size_t* n, size_t* cap)
{
    if (*n < *cap) return 0;
    if (head && *head > 0)
    {
        memmove(*events, *events + *head, (*n - *head) * sizeof(**events));
        *n -= *head;
        *head = 0;
        return 0;
    }
    size_t c = *cap ? *cap * 2 : 16;
    struct hc_event* p = realloc(*events, c * sizeof(*p));
    if (!p) return -1;
    *events = p;
    *cap = c;
    return 0;
}

/* Queues one event and the call's id on the ready queue. attrs is taken (freed on failure). */
static void
push_event(struct hyperclient* cl, struct hc_whole* w, enum hyperclient_returncode st,
           struct hyperclient_attribute* attrs, size_t attrs_sz)
{
    if (events_grow(&w->events, &w->events_head, &w->events_n, &w->events_cap) || hc_ready_push(cl, w->id))
    {
        free(attrs); /* no memory: the object is lost */
        return;
    }
    w->events[w->events_n++] = (struct hc_event){st, attrs, attrs_sz};
}

void
hc_whole_deliver(struct hyperclient* cl, struct hc_whole* w)
{
    if (w->events_head >= w->events_n) return;
    struct hc_event e = w->events[w->events_head++];
    *w->status = e.status;
    if (e.attrs)
    {
        *w->attrs = e.attrs;
        *w->attrs_sz = e.attrs_sz;
    }
    if (w->kind == HC_WHOLE_COUNT && e.status == HYPERCLIENT_SUCCESS && w->result) *w->result = w->total;
    if (w->ended && w->events_head == w->events_n)
    {
        hd_idmap_del(&cl->wholes, (uint64_t)w->id);
        hc_whole_free(w);
    }
}

/* ---- sorted_search's order (docs/protocol.md 4.9, 4.12) ---------------------------------------- */

static uint64_t
le64(const char* p)
{
    uint64_t u = 0;
    for (int i = 7; i >= 0; i--) u = (u << 8) | (uint8_t)p[i];
    return u;
}

/* Floats ordered by their bits: -NaN < -Infinity < ... < -0 < 0 < ... < Infinity < NaN. */
static uint64_t
float_order(uint64_t bits)
{
    return bits >> 63 ? ~bits : bits | (UINT64_C(1) << 63);
}

static int
bytes_cmp(const char* a, size_t an, const char* b, size_t bn)
{
    int c = memcmp(a, b, an < bn ? an : bn);
    if (c) return c;
    return an < bn ? -1 : an > bn ? 1 : 0;
}

static const struct hyperclient_attribute*
attr_named(const struct hc_event* e, const char* name)
{
    for (size_t i = 0; i < e->attrs_sz; i++)
        if (strcmp(e->attrs[i].attr, name) == 0) return &e->attrs[i];
    return NULL;
}

/* <0 when a comes first. Objects lacking the attribute (never, from a conforming daemon) last;
 * equal values by key bytes, ascending, in both directions. */
static int
sorted_cmp(const struct hc_whole* w, const struct hc_event* a, const struct hc_event* b)
{
    const struct hyperclient_attribute* x = attr_named(a, w->sort_by);
    const struct hyperclient_attribute* y = attr_named(b, w->sort_by);
    int c = 0;
    if (!x || !y)
        c = x ? -1 : y ? 1 : 0;
    else if (w->sort_datatype == HYPERDATATYPE_STRING)
        c = bytes_cmp(x->value, x->value_sz, y->value, y->value_sz);
    else if (x->value_sz == 8 && y->value_sz == 8)
    {
        uint64_t u = le64(x->value), v = le64(y->value);
        if (w->sort_datatype == HYPERDATATYPE_FLOAT)
        {
            u = float_order(u);
            v = float_order(v);
            c = u < v ? -1 : u > v ? 1 : 0;
        }
        else
            c = (int64_t)u < (int64_t)v ? -1 : (int64_t)u > (int64_t)v ? 1 : 0;
    }
    if (c && x && y && w->descending) c = -c;
    if (c) return c;
    /* the key is each object's first attribute */
    return bytes_cmp(a->attrs[0].value, a->attrs[0].value_sz, b->attrs[0].value, b->attrs[0].value_sz);
}

/* A stable merge sort of w->sorted (qsort has no context argument in C11). */
static int
sort_events(const struct hc_whole* w, struct hc_event* v, size_t n)
{
    if (n < 2) return 0;
    struct hc_event* tmp = malloc(n * sizeof(*tmp));
    if (!tmp) return -1;
    for (size_t width = 1; width < n; width *= 2)
    {
        for (size_t lo = 0; lo < n; lo += 2 * width)
        {
            size_t mid = lo + width < n ? lo + width : n;
            size_t hi = lo + 2 * width < n ? lo + 2 * width : n;
            size_t i = lo, j = mid, k = lo;
            while (i < mid && j < hi) tmp[k++] = sorted_cmp(w, &v[j], &v[i]) < 0 ? v[j++] : v[i++];
            while (i < mid) tmp[k++] = v[i++];
            while (j < hi) tmp[k++] = v[j++];
        }
        memcpy(v, tmp, n * sizeof(*v));
    }
    free(tmp);
    return 0;
}

/* ---- rounds and parts ------------------------------------------------------------------------ */

static int
searching(const struct hc_whole* w)
{
    return w->kind == HC_WHOLE_SEARCH || w->kind == HC_WHOLE_SORTED;
}

int
hc_whole_reads(const struct hc_whole* w)
{
    return w->kind != HC_WHOLE_GROUP_DEL;
}

/* Ends the call with its last event. A search (sorted or not) always ends with SEARCHDONE, as the
 * manual says, after an event with the error that ended it, if one did. */
static void
whole_end(struct hyperclient* cl, struct hc_whole* w, enum hyperclient_returncode st)
{
    if (w->waiting) cl->waiting_n--;
    w->waiting = 0;
    w->ended = 1;
    /* parts still out are dropped: their answers are ignored */
    uint64_t* ids = hd_idmap_ids(&cl->ops);
    size_t n = cl->ops.n;
    for (size_t i = 0; ids && i < n; i++)
    {
        struct hc_op* op = hc_op_find(cl, (int64_t)ids[i]);
        if (op && op->kind == HC_OP_PART && op->whole == w) hc_op_discard(cl, op);
    }
    free(ids);
    w->parts_out = 0;
    if (st == HYPERCLIENT_SUCCESS && w->kind == HC_WHOLE_SORTED)
    {
        if (sort_events(w, w->sorted, w->sorted_n))
            st = HYPERCLIENT_NOMEM;
        else
            for (size_t i = 0; i < w->sorted_n; i++)
            {
                if (i < w->limit)
                    push_event(cl, w, HYPERCLIENT_SUCCESS, w->sorted[i].attrs, w->sorted[i].attrs_sz);
                else
                    free(w->sorted[i].attrs);
            }
        w->sorted_n = 0;
    }
    if (searching(w) && st != HYPERCLIENT_SUCCESS) push_event(cl, w, st, NULL, 0);
    push_event(cl, w, searching(w) ? HYPERCLIENT_SEARCHDONE : st, NULL, 0);
}

/* Nothing of this round is out: the call is done, or waits for the next round. */
static void
round_over(struct hyperclient* cl, struct hc_whole* w)
{
    if (w->ended || w->parts_out) return;
    if (!w->pending_n)
    {
        whole_end(cl, w, HYPERCLIENT_SUCCESS);
        return;
    }
    if (w->rounds >= HC_ROUNDS_MAX)
    {
        whole_end(cl, w, w->last_failure ? w->last_failure : HYPERCLIENT_RECONFIGURE);
        return;
    }
    if (!w->waiting) cl->waiting_n++;
    w->waiting = 1;
    w->wait_since_ms = hc_now_ms();
}

/* Sends one part: the pending regions that `head` heads. */
static void
send_part(struct hyperclient* cl, struct hc_whole* w, uint64_t head, const uint64_t* regions, size_t regions_n)
{
    struct hc_conn* c = hc_conn_for(cl, hc_server_with_id(&cl->config, head));
    if (!c)
    {
        w->last_failure = HYPERCLIENT_CONNECTFAIL; /* left pending: the next round tries again */
        return;
    }
    int64_t id = hc_take_id(cl);
    struct hc_op* op = hc_op_new(cl, id, HC_OP_PART);
    uint64_t* mine = malloc(regions_n * sizeof(uint64_t));
    if (!op || !mine)
    {
        if (op) hc_op_discard(cl, op);
        free(mine);
        whole_end(cl, w, HYPERCLIENT_NOMEM);
        return;
    }
    memcpy(mine, regions, regions_n * sizeof(uint64_t));
    op->whole = w;
    op->server_id = head;
    op->status = w->status;
    op->regions = mine;
    op->regions_n = regions_n;
    struct hd_buf* b = &cl->scratch;
    hd_buf_reset(b);
    uint16_t type = searching(w) ? HYPERDEX_MSG_REQ_SEARCH
                  : w->kind == HC_WHOLE_COUNT ? HYPERDEX_MSG_REQ_COUNT
                                              : HYPERDEX_MSG_REQ_GROUP_DEL;
    size_t start = hd_wire_frame_begin(b, type, (uint64_t)id);
    hd_wire_put_array(b, searching(w) ? 8 : 5);
    hd_wire_put_uint(b, cl->config.version);
    hd_wire_put_uint(b, w->space_id);
    hd_buf_append(b, w->checks.data, w->checks.len);
    if (searching(w))
    {
        hd_wire_put_cstr(b, w->sort_by ? w->sort_by : "");
        hd_wire_put_uint(b, w->sort_by ? w->limit : 0);
        hd_wire_put_uint(b, w->sort_by ? (uint64_t)w->descending : 0);
    }
    hd_wire_put_uint(b, w->subspace);
    hd_wire_put_array(b, regions_n);
    for (size_t i = 0; i < regions_n; i++) hd_wire_put_uint(b, regions[i]);
    if (hd_wire_frame_end(b, start, HYPERDEX_FRAME_BYTES_MAX) || b->error)
    {
        hc_op_discard(cl, op);
        whole_end(cl, w, b->error == HD_WIRE_ENOMEM ? HYPERCLIENT_NOMEM : HYPERCLIENT_OVERFLOW);
        return;
    }
    w->parts_out++;
    hc_send_op(cl, c, op); /* a failed connection: hc_fail_server */
}

void
hc_whole_round(struct hyperclient* cl, struct hc_whole* w)
{
    if (w->waiting) cl->waiting_n--;
    w->waiting = 0;
    if (w->ended) return;
    w->rounds++;
    w->round_version = cl->config.version;
    const struct hc_space* s = hc_space_with_id(&cl->config, w->space_id);
    if (!s || w->subspace >= s->subspaces_n)
    {
        whole_end(cl, w, HYPERCLIENT_UNKNOWNSPACE);
        return;
    }
    const struct hc_subspace* ss = &s->subspaces[w->subspace];
    /* the pending regions' heads now; a region without an available head waits */
    size_t n = w->pending_n;
    uint64_t* heads = calloc(n ? n : 1, sizeof(uint64_t));
    uint64_t* group = calloc(n ? n : 1, sizeof(uint64_t));
    if (!heads || !group)
    {
        free(heads);
        free(group);
        whole_end(cl, w, HYPERCLIENT_NOMEM);
        return;
    }
    for (size_t i = 0; i < n; i++)
    {
        heads[i] = 0;
        for (size_t g = 0; g < ss->regions_n; g++)
            if (ss->regions[g].id == w->pending[i] && ss->regions[g].replicas_n)
            {
                const struct hc_server* sv = hc_server_with_id(&cl->config, ss->regions[g].replicas[0]);
                if (sv && sv->state == HC_SERVER_AVAILABLE) heads[i] = sv->id;
                break;
            }
        if (!heads[i]) w->last_failure = HYPERCLIENT_RECONFIGURE;
    }
    /* server ids start at 1, so 0 marks a region without a head, and a head already asked. The
     * round counts as a part of its own while it sends: a part whose connection fails meanwhile
     * must not end the round, or start the next, with parts of this one still to go out. */
    w->parts_out++;
    for (size_t i = 0; i < n && !w->ended; i++)
    {
        uint64_t head = heads[i];
        if (!head) continue;
        size_t k = 0;
        for (size_t j = i; j < n; j++)
            if (heads[j] == head)
            {
                group[k++] = w->pending[j];
                heads[j] = 0;
            }
        send_part(cl, w, head, group, k);
    }
    free(heads);
    free(group);
    if (w->ended) return; /* whole_end let go of every part */
    w->parts_out--;
    round_over(cl, w);
}

/* Settles regions answered by a part. */
static void
settle(struct hc_whole* w, const struct hc_op* op)
{
    for (size_t i = 0; i < op->regions_n; i++)
        for (size_t j = 0; j < w->pending_n; j++)
            if (w->pending[j] == op->regions[i])
            {
                w->pending[j] = w->pending[--w->pending_n];
                break;
            }
}

void
hc_part_end(struct hyperclient* cl, struct hc_op* op, enum hyperclient_returncode st)
{
    struct hc_whole* w = op->whole;
    if (w->ended)
    {
        hc_op_discard(cl, op);
        return;
    }
    if (st == HYPERCLIENT_RECONFIGURE)
    {
        hc_part_retry(cl, op, st);
        return;
    }
    if (st != HYPERCLIENT_SUCCESS)
    {
        if (!searching(w))
        {
            /* a count or group_del without a part's answer has no answer */
            hc_op_discard(cl, op);
            whole_end(cl, w, st);
            return;
        }
        /* the manual: a search hands back each error and goes on with the other daemons; this
         * daemon's regions are not asked again */
        push_event(cl, w, st, NULL, 0);
        settle(w, op);
        hc_op_discard(cl, op);
        w->parts_out--;
        round_over(cl, w);
        return;
    }
    settle(w, op);
    for (size_t i = 0; i < op->held_n; i++)
    {
        struct hyperclient_attribute* a = op->held[i];
        op->held[i] = NULL;
        if (w->kind == HC_WHOLE_SEARCH)
            push_event(cl, w, HYPERCLIENT_SUCCESS, a, op->held_sz[i]);
        else if (events_grow(&w->sorted, NULL, &w->sorted_n, &w->sorted_cap))
        {
            free(a);
            hc_op_discard(cl, op);
            whole_end(cl, w, HYPERCLIENT_NOMEM);
            return;
        }
        else
            w->sorted[w->sorted_n++] = (struct hc_event){HYPERCLIENT_SUCCESS, a, op->held_sz[i]};
    }
    hc_op_discard(cl, op);
    w->parts_out--;
    round_over(cl, w);
}

void
hc_part_retry(struct hyperclient* cl, struct hc_op* op, enum hyperclient_returncode why)
{
    struct hc_whole* w = op->whole;
    hc_op_discard(cl, op); /* with the objects it held: they come again with the next round's answer */
    if (w->ended) return;
    w->last_failure = why;
    w->parts_out--;
    round_over(cl, w);
}

/* Keeps one object of a part until the part succeeds. */
static int
hold(struct hc_op* op, struct hyperclient_attribute* a, size_t n)
{
    if (op->held_n == op->held_cap)
    {
        size_t cap = op->held_cap ? op->held_cap * 2 : 64;
        struct hyperclient_attribute** p = realloc(op->held, cap * sizeof(*p));
        if (!p) return -1;
        op->held = p;
        size_t* q = realloc(op->held_sz, cap * sizeof(*q));
        if (!q) return -1;
        op->held_sz = q;
        op->held_cap = cap;
    }
    op->held[op->held_n] = a;
    op->held_sz[op->held_n++] = n;
    return 0;
}

void
hc_part_reply(struct hyperclient* cl, struct hc_op* op, const struct hd_frame* f)
{
    struct hc_whole* w = op->whole;
    struct hd_wire_reader rd;
    hd_wire_reader_init(&rd, f->body, f->body_len);
    uint32_t n;
    if (f->type == HYPERDEX_MSG_RESP_SEARCH_ITEMS && searching(w))
    {
        /* [[key, attributes], ...] read with typed reads only, each bounded by the frame, and the
         * frame must end where the last object does: that proves what hd_wire_check would (the
         * walk it makes first was a quarter of the client's time on large searches). */
        uint32_t objs;
        if (hd_wire_read_array(&rd, &n) || n != 1 || hd_wire_read_array(&rd, &objs))
        {
            hc_part_end(cl, op, HYPERCLIENT_SERVERERROR);
            return;
        }
        for (uint32_t i = 0; i < objs; i++)
        {
            uint32_t two, m;
            const uint8_t* key;
            size_t key_n;
            struct hyperclient_attribute* a = NULL;
            if (hd_wire_read_array(&rd, &two) || two != 2 || hd_wire_read_bin(&rd, &key, &key_n) ||
                hd_wire_read_array(&rd, &m) || hc_build_attrs(&rd, m, &a, w->key_name, w->key_datatype, key, key_n))
            {
                hc_part_end(cl, op, HYPERCLIENT_SERVERERROR);
                return;
            }
            if (hold(op, a, (size_t)m + 1))
            {
                free(a);
                hc_part_end(cl, op, HYPERCLIENT_NOMEM);
                return;
            }
        }
        if (hd_wire_reader_left(&rd) != 0) hc_part_end(cl, op, HYPERCLIENT_SERVERERROR);
        return;
    }
    if (hd_wire_check(f->body, f->body_len) || hd_wire_read_array(&rd, &n) || n < 1)
    {
        hc_part_end(cl, op, HYPERCLIENT_SERVERERROR);
        return;
    }
    uint64_t st;
    if (hd_wire_read_uint(&rd, 65535, &st))
    {
        hc_part_end(cl, op, HYPERCLIENT_SERVERERROR);
        return;
    }
    enum hyperclient_returncode s = hc_status_of(st);
    if (f->type == HYPERDEX_MSG_ERROR)
    {
        /* an ERROR frame is final, RECONFIGURE included (docs/protocol.md 4.15) */
        hc_part_end(cl, op, s == HYPERCLIENT_RECONFIGURE ? HYPERCLIENT_SERVERERROR : s);
        return;
    }
    uint16_t want = searching(w) ? HYPERDEX_MSG_RESP_SEARCH_DONE
                  : w->kind == HC_WHOLE_COUNT ? HYPERDEX_MSG_RESP_COUNT
                                              : HYPERDEX_MSG_RESP_GROUP_DEL;
    if (f->type != want)
    {
        hc_part_end(cl, op, HYPERCLIENT_SERVERERROR);
        return;
    }
    if (s == HYPERCLIENT_SUCCESS && !searching(w))
    {
        /* [status, attr, message, count] */
        uint64_t count;
        if (n < 4 || hd_wire_skip(&rd) || hd_wire_skip(&rd) || hd_wire_read_uint(&rd, UINT64_MAX, &count))
        {
            hc_part_end(cl, op, HYPERCLIENT_SERVERERROR);
            return;
        }
        w->total += count;
    }
    hc_part_end(cl, op, s);
}

/* ---- the calls ------------------------------------------------------------------------------- */

/* Plans and starts a whole-space call over validated checks. The id, or -1 with *status. */
static int64_t
whole_start(struct hyperclient* cl, const struct hc_space* s, enum hc_whole_kind kind, const struct hc_scheck* checks,
            size_t nc, enum hyperclient_returncode* status, struct hyperclient_attribute** attrs, size_t* attrs_sz,
            uint64_t* result, const char* sort_by, int sort_datatype, uint64_t limit, int descending)
{
    struct hc_whole* w = calloc(1, sizeof(*w));
    if (!w)
    {
        *status = HYPERCLIENT_NOMEM;
        return -1;
    }
    hd_buf_init(&w->checks, HYPERDEX_FRAME_BYTES_MAX);
    w->kind = kind;
    w->status = status;
    w->attrs = attrs;
    w->attrs_sz = attrs_sz;
    w->result = result;
    w->space_id = s->id;
    w->key_datatype = s->key.datatype;
    w->key_name = hc_dup((const uint8_t*)s->key.name, strlen(s->key.name));
    w->sort_by = sort_by ? hc_dup((const uint8_t*)sort_by, strlen(sort_by)) : NULL;
    w->sort_datatype = sort_datatype;
    w->limit = limit;
    w->descending = descending;
    hd_wire_put_array(&w->checks, nc);
    for (size_t x = 0; x < nc; x++)
    {
        hd_wire_put_array(&w->checks, 4);
        hd_wire_put_uint(&w->checks, (uint64_t)checks[x].op);
        hd_wire_put_cstr(&w->checks, checks[x].attr);
        hd_wire_put_uint(&w->checks, (uint64_t)checks[x].datatype);
        hd_wire_put_bin(&w->checks, checks[x].v.p, checks[x].v.n);
    }
    if (!w->key_name || (sort_by && !w->sort_by) || w->checks.error)
    {
        *status = w->checks.error && w->checks.error != HD_WIRE_ENOMEM ? HYPERCLIENT_OVERFLOW : HYPERCLIENT_NOMEM;
        hc_whole_free(w);
        return -1;
    }
    if (plan(s, checks, nc, w, status))
    {
        hc_whole_free(w);
        return -1;
    }
    w->id = hc_take_id(cl);
    if (hd_idmap_put(&cl->wholes, (uint64_t)w->id, w))
    {
        hc_whole_free(w);
        *status = HYPERCLIENT_NOMEM;
        return -1;
    }
    int64_t id = w->id;
    hc_whole_round(cl, w); /* written during the call */
    return id;
}

int64_t
hyperclient_search(struct hyperclient* cl, const char* space, const struct hyperclient_attribute* eq, size_t eq_sz,
                   const struct hyperclient_range_query* rn, size_t rn_sz, enum hyperclient_returncode* status,
                   struct hyperclient_attribute** attrs, size_t* attrs_sz)
{
    if (!cl || !status) return -1;
    if ((eq_sz && !eq) || (rn_sz && !rn) || !attrs || !attrs_sz)
    {
        *status = HYPERCLIENT_LOGICERROR;
        return -1;
    }
    const struct hc_space* s = hc_space_lookup(cl, space);
    if (!s)
    {
        *status = HYPERCLIENT_UNKNOWNSPACE;
        return -1;
    }
    if (eq_sz + 2 * rn_sz > HC_FIELDS_MAX)
    {
        *status = HYPERCLIENT_OVERFLOW;
        return -1;
    }
    struct hc_scheck checks[HC_FIELDS_MAX];
    int64_t nc = checks_of_search(s, eq, eq_sz, rn, rn_sz, checks, status);
    if (nc < 0) return nc;
    return whole_start(cl, s, HC_WHOLE_SEARCH, checks, (size_t)nc, status, attrs, attrs_sz, NULL, NULL, 0, 0, 0);
}

/* The front of count, group_del and sorted_search: the space and the checks. The number of
 * checks, or -1 - idx (or -1) with *status. */
static int64_t
predicate_front(struct hyperclient* cl, const char* space, const struct hyperclient_attribute_check* in, size_t n,
                struct hc_scheck* checks, const struct hc_space** s, enum hyperclient_returncode* status)
{
    if (n && !in)
    {
        *status = HYPERCLIENT_LOGICERROR;
        return -1;
    }
    *s = hc_space_lookup(cl, space);
    if (!*s)
    {
        *status = HYPERCLIENT_UNKNOWNSPACE;
        return -1;
    }
    if (n > HC_FIELDS_MAX)
    {
        *status = HYPERCLIENT_OVERFLOW;
        return -1;
    }
    return checks_of_predicate(*s, in, n, checks, status);
}

int64_t
hyperclient_count(struct hyperclient* cl, const char* space, const struct hyperclient_attribute_check* checks,
                  size_t checks_sz, enum hyperclient_returncode* status, uint64_t* result)
{
    if (!cl || !status) return -1;
    if (!result)
    {
        *status = HYPERCLIENT_LOGICERROR;
        return -1;
    }
    struct hc_scheck c[HC_FIELDS_MAX];
    const struct hc_space* s;
    int64_t nc = predicate_front(cl, space, checks, checks_sz, c, &s, status);
    if (nc < 0) return nc;
    return whole_start(cl, s, HC_WHOLE_COUNT, c, (size_t)nc, status, NULL, NULL, result, NULL, 0, 0, 0);
}

int64_t
hyperclient_group_del(struct hyperclient* cl, const char* space, const struct hyperclient_attribute_check* checks,
                      size_t checks_sz, enum hyperclient_returncode* status)
{
    if (!cl || !status) return -1;
    struct hc_scheck c[HC_FIELDS_MAX];
    const struct hc_space* s;
    int64_t nc = predicate_front(cl, space, checks, checks_sz, c, &s, status);
    if (nc < 0) return nc;
    return whole_start(cl, s, HC_WHOLE_GROUP_DEL, c, (size_t)nc, status, NULL, NULL, NULL, NULL, 0, 0, 0);
}

int64_t
hyperclient_sorted_search(struct hyperclient* cl, const char* space, const struct hyperclient_attribute_check* checks,
                          size_t checks_sz, const char* sort_by, uint64_t limit, int maxmin,
                          enum hyperclient_returncode* status, struct hyperclient_attribute** attrs, size_t* attrs_sz)
{
    if (!cl || !status) return -1;
    if (!attrs || !attrs_sz)
    {
        *status = HYPERCLIENT_LOGICERROR;
        return -1;
    }
    struct hc_scheck c[HC_FIELDS_MAX];
    const struct hc_space* s;
    int64_t nc = predicate_front(cl, space, checks, checks_sz, c, &s, status);
    if (nc < 0) return nc;
    /* the attribute sorted by counts after the checks */
    int sort_datatype = sort_by ? hc_attr_type(s, sort_by) : -1;
    if (sort_datatype < 0)
    {
        *status = HYPERCLIENT_UNKNOWNATTR;
        return -1 - (int64_t)checks_sz;
    }
    if (sort_datatype > HYPERDATATYPE_FLOAT || limit == 0)
    {
        *status = HYPERCLIENT_WRONGTYPE;
        return -1 - (int64_t)checks_sz;
    }
    /* maxmin: nonzero sorts largest first, as the later API's max/min flag */
    return whole_start(cl, s, HC_WHOLE_SORTED, c, (size_t)nc, status, attrs, attrs_sz, NULL, sort_by, sort_datatype,
                       limit, maxmin ? 1 : 0);
}
