/* libhyperclient's insides, shared by native/src/client_*.c. Nothing here is part of the API.
 *
 * The pieces:
 *   client_config.c  the coordinator's configuration: parsing, lookups
 *   client_values.c  values: normalizing, type checks, operand types, attribute arrays handed out
 *   client_net.c     sockets, connections, create/destroy, hyperclient_loop
 *   client_ops.c     outstanding operations, the ready queue, key operations sent and resent
 *   client_keyops.c  the key operations and the coordinator requests of the API
 *   client_search.c  search, sorted_search, count and group_del: planned, fanned out, retried
 *
 * All state lives in struct hyperclient. Sockets are non-blocking; a request is written during the
 * call that makes it (what the kernel does not take at once is queued and flushed by
 * hyperclient_loop). Replies complete operations in any order; each completed operation, and each
 * object a search hands back, is queued and returned by one hyperclient_loop call.
 */
#ifndef HYPERDEX_CLIENT_INTERNAL_H
#define HYPERDEX_CLIENT_INTERNAL_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>

#include "hyperclient.h"
#include "coordinate.h"
#include "idmap.h"
#include "wire.h"

#define HC_CONNECT_TIMEOUT_MS 5000
#define HC_CONFIG_TIMEOUT_MS 10000
/* bytes queued for one connection and not yet taken by the kernel */
#define HC_OUT_MAX ((size_t)1 << 30)
/* requests queued on a connection past this many bytes are written without waiting for loop */
#define HC_OUT_QUEUE_BYTES ((size_t)64 << 10)
/* attributes or checks in one request, each naming an attribute once (docs/protocol.md 4.1) */
#define HC_FIELDS_MAX HYPERDEX_ATTRIBUTES_PER_REQUEST_MAX
/* checks plus funcs in one request, a map operation counting once per map entry (4.1) */
#define HC_MICRO_OPS_MAX HYPERDEX_MICRO_OPS_PER_REQUEST_MAX
/* one value, one key (docs/protocol.md 2.1, 4.1) */
#define HC_VALUE_BYTES_MAX ((size_t)8 << 20)
#define HC_KEY_BYTES_MAX ((size_t)64 << 10)
/* sends of one operation (or rounds of one whole-space call) while the configuration moves */
#define HC_ROUNDS_MAX 5
/* how long a resend waits for a newer configuration before going anyway */
#define HC_CONFIG_WAIT_MS 1000
#define HC_SERVER_AVAILABLE 1
#define HC_COORDINATOR UINT64_MAX

/* ---- configuration (client_config.c) ------------------------------------------------------- */

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
    struct hc_attr* attrs; /* every attribute but the key, in schema order */
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

/* A CONFIG body `[config]` -> *c (zeroed on failure). 0 or -1. */
int hc_config_parse(const uint8_t* body, size_t n, struct hc_config* c);
void hc_config_free(struct hc_config* c);
const struct hc_space* hc_space_named(const struct hc_config* c, const char* name);
const struct hc_space* hc_space_with_id(const struct hc_config* c, uint64_t id);
const struct hc_server* hc_server_with_id(const struct hc_config* c, uint64_t id);
/* The region of subspace 0 holding a key's point, or NULL. */
const struct hc_region* hc_key_region(const struct hc_space* s, uint64_t point);
/* The index of a non-key attribute, or -1. */
int hc_attr_index(const struct hc_space* s, const char* name);
/* The type of an attribute, the key included, or -1. */
int hc_attr_type(const struct hc_space* s, const char* name);

/* ---- values (client_values.c) ---------------------------------------------------------------- */

/* A value normalized for an attribute: int64 values widened or cut to 8 bytes, as the 0.4 manual
 * lets a program pass them. */
struct hc_value
{
    const uint8_t* p;
    size_t n;
    uint8_t wide[8];
};

char* hc_dup(const uint8_t* p, size_t n);
int64_t hc_now_ms(void);
void hc_normalize(int datatype, const char* p, size_t n, struct hc_value* v);
/* 0, or WRONGTYPE for a value of type `given` (already normalized) for an attribute of `want`. */
enum hyperclient_returncode hc_check_value(int want, int given, const struct hc_value* v);
int hc_scalar_datatype(enum hd_scalar s);
/* What func op takes as its operand on an attribute of type attr_datatype, or -1. */
int hc_operand_datatype(int op, int attr_datatype, int keyed);
/* The key type of a map attribute's datatype, or -1. */
int hc_map_key_datatype(int attr_datatype);
/* Appends one element of a list, set or map value. */
void hc_put_element(struct hd_buf* b, enum hd_scalar t, const uint8_t* p, size_t n);
void hc_put_le64(uint8_t* p, uint64_t u);
/* The wire's check op for a hyperpredicate, or 0 when the wire has none. */
int hc_check_op_of(enum hyperpredicate p);
/* A wire status as the API's returncode (unknown numbers are SERVERERROR). */
enum hyperclient_returncode hc_status_of(uint64_t s);
/* The attributes of a reply, `[name, datatype, value]` n times, in one allocation that
 * hyperclient_destroy_attrs frees; with key_name set the key comes first (n + 1 attributes). */
int hc_build_attrs(struct hd_wire_reader* r, uint32_t n, struct hyperclient_attribute** out, const char* key_name,
                   int key_datatype, const uint8_t* key, size_t key_n);

/* ---- connections (client_net.c) -------------------------------------------------------------- */

struct hc_op;

struct hc_conn
{
    int fd;
    uint64_t server_id; /* HC_COORDINATOR for the coordinator */
    char* host;
    uint16_t port;
    struct hd_frame_decoder dec;
    struct hd_buf out; /* bytes not written yet, from out_off on */
    size_t out_off;
    /* Bytes ever queued on this connection, and ever taken by the kernel: a request whose last
     * byte was taken may have reached the server; one not wholly taken cannot have been applied. */
    uint64_t queued_total;
    uint64_t written_total;
};

/* The connection to a server, made if needed; NULL when it cannot be made. */
struct hc_conn* hc_conn_for(struct hyperclient* cl, const struct hc_server* sv);
/* The open connection to a server id, or NULL. */
struct hc_conn* hc_conn_of(struct hyperclient* cl, uint64_t server_id);
/* Queues the frame in cl->scratch on c; loop writes the queues before it waits (a queue past
 * HC_OUT_QUEUE_BYTES is written at once). A connection that has failed is dropped (its operations
 * fail or are sent again through loop: hc_fail_server). 0, or -1 when it was dropped. */
int hc_send(struct hyperclient* cl, struct hc_conn* c);
/* hc_send for an op's request, noting where it ends on the connection (`wire_end`). */
int hc_send_op(struct hyperclient* cl, struct hc_conn* c, struct hc_op* op);
/* Asks the coordinator for the configuration and waits (bounded) for it, reconnecting to the
 * coordinator if it was lost. 0 once a configuration is held. */
int hc_fetch_config(struct hyperclient* cl, int timeout_ms);
/* The coordinator's connection, made again if it was lost; NULL when it cannot be made. */
struct hc_conn* hc_coordinator(struct hyperclient* cl);
/* The space, asking the coordinator again once when it is not known. */
const struct hc_space* hc_space_lookup(struct hyperclient* cl, const char* name);

/* ---- operations (client_ops.c) ---------------------------------------------------------------- */

enum hc_op_kind
{
    HC_OP_GET = 1,
    HC_OP_ATOMIC,
    HC_OP_DEL,
    HC_OP_COORD, /* a request to the coordinator: add_space, rm_space */
    HC_OP_PART   /* one daemon's part of a whole-space call (`whole`) */
};

struct hc_whole;

/* One request on the wire, under its wire id. */
struct hc_op
{
    int64_t id;
    enum hc_op_kind kind;
    uint64_t server_id; /* where it went; 0 while it waits to be sent */
    uint64_t wire_end;  /* the connection's queued_total just past this op's request */
    enum hyperclient_returncode* status;
    struct hyperclient_attribute** attrs;
    size_t* attrs_sz;
    /* key operations: what a resend needs */
    uint64_t space_id;
    uint64_t point;     /* the key's coordinate in the key subspace */
    uint16_t type;      /* the request's message type */
    size_t fields;      /* the body's array length */
    uint8_t* rest;      /* the body's fields after the config version */
    size_t rest_n;
    unsigned rounds;    /* sends so far */
    enum hyperclient_returncode last_failure; /* why the last send did not stick: the give-up status */
    uint64_t sent_version;
    int waiting;        /* for a newer configuration, since wait_since_ms */
    int64_t wait_since_ms;
    /* parts */
    struct hc_whole* whole;
    uint64_t* regions;  /* the regions asked of this daemon */
    size_t regions_n;
    struct hyperclient_attribute** held; /* objects received, kept until the part succeeds */
    size_t* held_sz;
    size_t held_n;
    size_t held_cap;
};

int64_t hc_take_id(struct hyperclient* cl);
struct hc_op* hc_op_new(struct hyperclient* cl, int64_t id, enum hc_op_kind kind);
struct hc_op* hc_op_find(struct hyperclient* cl, int64_t id);
/* Frees an op and what it holds (not taking it out of the map). */
void hc_op_free(struct hc_op* op);
/* Removes and frees an op without completing it. */
void hc_op_discard(struct hyperclient* cl, struct hc_op* op);
/* Completes a key or coordinator op with a status: frees it and queues its id for loop. */
void hc_op_complete(struct hyperclient* cl, struct hc_op* op, enum hyperclient_returncode st);
int hc_ready_push(struct hyperclient* cl, int64_t id);
/* Sends (or resends) a key operation to the head of its key's region under the configuration
 * held now. When there is no head to send to, the op waits for a newer configuration; after
 * HC_ROUNDS_MAX sends it completes with RECONFIGURE. */
void hc_keyop_send(struct hyperclient* cl, struct hc_op* op);
/* A daemon's or the coordinator's reply to an outstanding op. */
void hc_handle_reply(struct hyperclient* cl, const struct hd_frame* f);
/* A connection is gone, of which the kernel had taken `written_total` bytes. Of the ops it held, a
 * read, and a write whose request was not wholly taken, are sent again (through loop); a write that
 * was taken completes with UNKNOWNOUTCOME, as it may or may not have been applied. Parts follow the
 * same rule (hc_part_retry). */
void hc_fail_server(struct hyperclient* cl, uint64_t server_id, uint64_t written_total);
/* Resends what waits for a newer configuration, when one has come or the wait is over. Returns
 * the ms until the next wait ends (-1 when nothing waits). */
int hc_service_waiting(struct hyperclient* cl);

/* ---- whole-space calls (client_search.c) ------------------------------------------------------ */

enum hc_whole_kind
{
    HC_WHOLE_SEARCH = 1,
    HC_WHOLE_SORTED,
    HC_WHOLE_COUNT,
    HC_WHOLE_GROUP_DEL
};

/* One thing a whole-space call hands back through hyperclient_loop: an object (SUCCESS), or its
 * end (SEARCHDONE, SUCCESS for count and group_del, or the error that ended it). */
struct hc_event
{
    enum hyperclient_returncode status;
    struct hyperclient_attribute* attrs;
    size_t attrs_sz;
};

struct hc_whole
{
    int64_t id; /* the caller's id; each part has its own wire id */
    enum hc_whole_kind kind;
    enum hyperclient_returncode* status;
    struct hyperclient_attribute** attrs;
    size_t* attrs_sz;
    uint64_t* result; /* count */
    uint64_t space_id;
    size_t subspace;
    struct hd_buf checks; /* the msgpack array of checks, as sent */
    char* sort_by;
    int sort_datatype;
    uint64_t limit;
    int descending;
    char* key_name; /* the key attribute, first in every object handed back */
    int key_datatype;
    uint64_t* pending; /* planned regions not answered yet */
    size_t pending_n;
    size_t parts_out; /* parts of this round not answered yet */
    unsigned rounds;
    enum hyperclient_returncode last_failure; /* why regions stayed pending: the give-up status */
    uint64_t round_version;
    int waiting;
    int64_t wait_since_ms;
    uint64_t total;
    int ended; /* the final event is queued */
    struct hc_event* events; /* queued, not handed back yet: from events_head on */
    size_t events_head;
    size_t events_n;
    size_t events_cap;
    struct hc_event* sorted; /* sorted_search: every object, sorted at the end */
    size_t sorted_n;
    size_t sorted_cap;
};

void hc_whole_free(struct hc_whole* w);
struct hc_whole* hc_whole_find(struct hyperclient* cl, int64_t id);
/* A part's reply frame. */
void hc_part_reply(struct hyperclient* cl, struct hc_op* op, const struct hd_frame* f);
/* A part has ended with a status (SUCCESS, RECONFIGURE to ask again, anything else fails the call). */
void hc_part_end(struct hyperclient* cl, struct hc_op* op, enum hyperclient_returncode st);
/* A part whose regions are asked again in the next round; `why` (RECONFIGURE, DISCONNECT) is the
 * status the call ends with if no round succeeds. */
void hc_part_retry(struct hyperclient* cl, struct hc_op* op, enum hyperclient_returncode why);
/* Whether a whole-space call only reads (search, sorted_search, count): a part of it may be sent
 * again whatever happened to it. */
int hc_whole_reads(const struct hc_whole* w);
/* Sends the next round of a whole-space call that waits. */
void hc_whole_round(struct hyperclient* cl, struct hc_whole* w);
/* Hands the next event of a whole to the caller; frees the whole after its last. */
void hc_whole_deliver(struct hyperclient* cl, struct hc_whole* w);

/* ---- the client ------------------------------------------------------------------------------ */

struct hyperclient
{
    struct hc_config config;
    char* coordinator_host;
    uint16_t coordinator_port;
    int coordinator_lost; /* to be reported once through loop's status */
    struct hc_conn** conns; /* conns[0] is the coordinator (NULL while it is lost) */
    size_t conns_n;
    size_t conns_cap;
    struct hd_idmap ops;     /* wire id -> struct hc_op* */
    struct hd_idmap wholes;  /* caller's id -> struct hc_whole* */
    size_t waiting_n;        /* ops and wholes waiting for a newer configuration */
    int64_t* ready;          /* completed, not returned yet: a FIFO of ids */
    size_t ready_head;
    size_t ready_n;
    size_t ready_cap;
    int64_t next_id;
    struct hd_buf scratch; /* the frame being built */
    struct hd_buf rest;    /* a key op's body after the version, being built */
    struct pollfd* pfds;   /* loop's poll set, grown to conns_n */
    struct hc_conn** polled_conns;
    size_t pfds_cap;
};

#endif /* HYPERDEX_CLIENT_INTERNAL_H */
