/* HyperDex client library (libhyperclient): the C API of the HyperDex 0.4 manual, chapter 7,
 * followed by the later API's additions.
 *
 * The calling convention, shared by every operation below: the call sends its request before it
 * returns and gives back a positive id, unique among this client's requests; the operation is
 * complete once hyperclient_loop() returns that id, and only then may the storage passed as
 * `status` (and `attrs`, `attrs_sz`, `result`) be reused. A negative return means the request was
 * not made, and `*status` says why; for HYPERCLIENT_UNKNOWNATTR, HYPERCLIENT_WRONGTYPE and
 * HYPERCLIENT_DUPEATTR the return is `-1 - idx`, idx being the position of the offending
 * attribute in the call's attribute arrays taken one after the other (condattrs then attrs; eq then
 * rn; checks then attrs).
 *
 * Objects handed back through `attrs` (get, search, sorted_search) belong to the caller and are
 * released with hyperclient_destroy_attrs(), and by nothing else.
 *
 * Value bytes (hyperclient_attribute.value and the like): a string is its raw bytes, an int64 8
 * bytes little-endian two's complement, a float 8 bytes little-endian IEEE-754 double, a list, set
 * or map its encoded elements (HyperDex's docs/protocol.md, section 7, has the details).
 *
 * All state lives in a struct hyperclient; there is no global state. One client may be used by one
 * thread at a time.
 */
#ifndef HYPERDEX_HYPERCLIENT_H
#define HYPERDEX_HYPERCLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <netinet/in.h> /* in_port_t */

#include "hyperdex.h"
#include "hyperclient_status.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------------------------------------
 * Types of the 0.4 manual (chapter 7.1)
 * ------------------------------------------------------------------------------------------- */

/* A client: its connections to the coordinator and the daemons, and its outstanding requests.
 * Opaque; made by hyperclient_create(), released by hyperclient_destroy(). */
struct hyperclient;

/* One attribute of an object, or one value given to an operation. */
struct hyperclient_attribute
{
    const char* attr;             /* the attribute's name, NUL-terminated */
    const char* value;            /* value_sz bytes, encoded for `datatype`; not NUL-terminated */
    size_t value_sz;
    enum hyperdatatype datatype;  /* must agree with the attribute's type in the space */
};

/* One operation on the value stored under one key of a map attribute (the map_* operations). The
 * manual names the members attr, map_key and value without spelling out the struct; this layout is
 * 0.4's. `datatype` gives the type of `value`; the key is read as the map's key type. */
struct hyperclient_map_attribute
{
    const char* attr;             /* the map attribute's name, NUL-terminated */
    const char* map_key;          /* map_key_sz bytes: the key within the map */
    size_t map_key_sz;
    const char* value;            /* value_sz bytes: the operand */
    size_t value_sz;
    enum hyperdatatype datatype;
};

/* A range over an int64 attribute, for hyperclient_search(): matches lower <= attr < upper. The
 * bounds carry the int64 values' bits (two's complement) in uint64_t. On a float attribute the
 * bounds are those integers, converted to doubles. */
struct hyperclient_range_query
{
    const char* attr;             /* the attribute's name, NUL-terminated */
    uint64_t lower;               /* inclusive */
    uint64_t upper;               /* exclusive */
};

/* ---------------------------------------------------------------------------------------------
 * Functions of the 0.4 manual (chapter 7.2)
 * ------------------------------------------------------------------------------------------- */

/* A new client of the cluster whose coordinator listens at `coordinator` (an IP address) and
 * `port`, or NULL on failure. Release it with hyperclient_destroy(). */
struct hyperclient*
hyperclient_create(const char* coordinator, in_port_t port);

/* Releases the client, its connections and whatever it still holds. */
void
hyperclient_destroy(struct hyperclient* client);

/* Reads the object stored under `key`. On completion `*status` is SUCCESS (and `*attrs`,
 * `*attrs_sz` hold the object) or NOTFOUND or an error; `*attrs` and `*attrs_sz` change only on
 * SUCCESS. */
int64_t
hyperclient_get(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                enum hyperclient_returncode* status,
                struct hyperclient_attribute** attrs, size_t* attrs_sz);

/* Creates the object or updates the attributes given; attributes not given keep their values (or
 * take their defaults when the object is new). */
int64_t
hyperclient_put(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                const struct hyperclient_attribute* attrs, size_t attrs_sz,
                enum hyperclient_returncode* status);

/* Like hyperclient_put(), but only if the object exists (else NOTFOUND) and every attribute of
 * `condattrs` equals the stored value (else CMPFAIL). */
int64_t
hyperclient_condput(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                    const struct hyperclient_attribute* condattrs, size_t condattrs_sz,
                    const struct hyperclient_attribute* attrs, size_t attrs_sz,
                    enum hyperclient_returncode* status);

/* Deletes the object; NOTFOUND when there was none. */
int64_t
hyperclient_del(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                enum hyperclient_returncode* status);

/* Atomic updates of an existing object (NOTFOUND otherwise): each attribute given is combined with
 * its operand in `attrs` (add, subtract, multiply, divide, modulo, bitwise and/or/xor; prepend or
 * append a string; push onto the head or tail of a list; add an element to, remove one from,
 * intersect or unite a set). All attributes of one call change together. */
int64_t
hyperclient_atomic_add(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                       const struct hyperclient_attribute* attrs, size_t attrs_sz,
                       enum hyperclient_returncode* status);
int64_t
hyperclient_atomic_sub(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                       const struct hyperclient_attribute* attrs, size_t attrs_sz,
                       enum hyperclient_returncode* status);
int64_t
hyperclient_atomic_mul(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                       const struct hyperclient_attribute* attrs, size_t attrs_sz,
                       enum hyperclient_returncode* status);
int64_t
hyperclient_atomic_div(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                       const struct hyperclient_attribute* attrs, size_t attrs_sz,
                       enum hyperclient_returncode* status);
int64_t
hyperclient_atomic_mod(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                       const struct hyperclient_attribute* attrs, size_t attrs_sz,
                       enum hyperclient_returncode* status);
int64_t
hyperclient_atomic_and(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                       const struct hyperclient_attribute* attrs, size_t attrs_sz,
                       enum hyperclient_returncode* status);
int64_t
hyperclient_atomic_or(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                      const struct hyperclient_attribute* attrs, size_t attrs_sz,
                      enum hyperclient_returncode* status);
int64_t
hyperclient_atomic_xor(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                       const struct hyperclient_attribute* attrs, size_t attrs_sz,
                       enum hyperclient_returncode* status);
int64_t
hyperclient_string_prepend(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                           const struct hyperclient_attribute* attrs, size_t attrs_sz,
                           enum hyperclient_returncode* status);
int64_t
hyperclient_string_append(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                          const struct hyperclient_attribute* attrs, size_t attrs_sz,
                          enum hyperclient_returncode* status);
int64_t
hyperclient_list_lpush(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                       const struct hyperclient_attribute* attrs, size_t attrs_sz,
                       enum hyperclient_returncode* status);
int64_t
hyperclient_list_rpush(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                       const struct hyperclient_attribute* attrs, size_t attrs_sz,
                       enum hyperclient_returncode* status);
int64_t
hyperclient_set_add(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                    const struct hyperclient_attribute* attrs, size_t attrs_sz,
                    enum hyperclient_returncode* status);
int64_t
hyperclient_set_remove(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                       const struct hyperclient_attribute* attrs, size_t attrs_sz,
                       enum hyperclient_returncode* status);
int64_t
hyperclient_set_intersect(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                          const struct hyperclient_attribute* attrs, size_t attrs_sz,
                          enum hyperclient_returncode* status);
int64_t
hyperclient_set_union(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                      const struct hyperclient_attribute* attrs, size_t attrs_sz,
                      enum hyperclient_returncode* status);

/* The same atomic updates applied to single values inside map attributes: each element of `attrs`
 * names a map (attr), a key within it (map_key) and the operand (value). A key not yet in the map
 * starts from the value type's default. */
int64_t
hyperclient_map_atomic_add(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                           const struct hyperclient_map_attribute* attrs, size_t attrs_sz,
                           enum hyperclient_returncode* status);
int64_t
hyperclient_map_atomic_sub(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                           const struct hyperclient_map_attribute* attrs, size_t attrs_sz,
                           enum hyperclient_returncode* status);
int64_t
hyperclient_map_atomic_mul(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                           const struct hyperclient_map_attribute* attrs, size_t attrs_sz,
                           enum hyperclient_returncode* status);
int64_t
hyperclient_map_atomic_div(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                           const struct hyperclient_map_attribute* attrs, size_t attrs_sz,
                           enum hyperclient_returncode* status);
int64_t
hyperclient_map_atomic_mod(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                           const struct hyperclient_map_attribute* attrs, size_t attrs_sz,
                           enum hyperclient_returncode* status);
int64_t
hyperclient_map_atomic_and(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                           const struct hyperclient_map_attribute* attrs, size_t attrs_sz,
                           enum hyperclient_returncode* status);
int64_t
hyperclient_map_atomic_or(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                          const struct hyperclient_map_attribute* attrs, size_t attrs_sz,
                          enum hyperclient_returncode* status);
int64_t
hyperclient_map_atomic_xor(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                           const struct hyperclient_map_attribute* attrs, size_t attrs_sz,
                           enum hyperclient_returncode* status);
int64_t
hyperclient_map_string_prepend(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                               const struct hyperclient_map_attribute* attrs, size_t attrs_sz,
                               enum hyperclient_returncode* status);
int64_t
hyperclient_map_string_append(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                              const struct hyperclient_map_attribute* attrs, size_t attrs_sz,
                              enum hyperclient_returncode* status);

/* Finds every object whose attributes equal those of `eq` and fall in the ranges of `rn`. Each
 * match comes back through one hyperclient_loop() call returning this id with `*status` SUCCESS
 * and the object in `*attrs`, `*attrs_sz` (overwritten by the next match: release or keep it
 * first); errors come the same way; a final return with `*status` SEARCHDONE ends the search. */
int64_t
hyperclient_search(struct hyperclient* client, const char* space,
                   const struct hyperclient_attribute* eq, size_t eq_sz,
                   const struct hyperclient_range_query* rn, size_t rn_sz,
                   enum hyperclient_returncode* status,
                   struct hyperclient_attribute** attrs, size_t* attrs_sz);

/* Waits up to `timeout` milliseconds for a reply and returns the id of the operation (or search
 * result) it completes, whose status is then set. Returns -1 with `*status` set when it cannot:
 * NONEPENDING (nothing outstanding), TIMEOUT, or an error affecting the client as a whole. */
int64_t
hyperclient_loop(struct hyperclient* client, int timeout, enum hyperclient_returncode* status);

/* Releases an object returned through `attrs` by get, search or sorted_search. */
void
hyperclient_destroy_attrs(struct hyperclient_attribute* attrs, size_t attrs_sz);

/* ---------------------------------------------------------------------------------------------
 * Later additions: not in the 0.4 manual; modelled on the HyperDex API that followed it. They
 * follow the convention above (a request id, completion through hyperclient_loop()).
 * ------------------------------------------------------------------------------------------- */

/* Comparisons of hyperclient_attribute_check, with the numbers of the later HyperDex API's
 * enum hyperpredicate (as recalled; not checked against its header here, which is not at hand). */
enum hyperpredicate
{
    HYPERPREDICATE_FAIL          = 9728,  /* never holds */
    HYPERPREDICATE_EQUALS        = 9729,
    HYPERPREDICATE_LESS_THAN     = 9738,
    HYPERPREDICATE_LESS_EQUAL    = 9739,
    HYPERPREDICATE_GREATER_EQUAL = 9740,
    HYPERPREDICATE_GREATER_THAN  = 9741
};

/* One condition on an attribute: holds when the stored value compares to `value` as `predicate`
 * says (e.g. LESS_THAN: stored < value). Used by cond_put, count, group_del and sorted_search. */
struct hyperclient_attribute_check
{
    const char* attr;             /* the attribute's name, NUL-terminated */
    const char* value;            /* value_sz bytes, encoded for `datatype` */
    size_t value_sz;
    enum hyperdatatype datatype;
    enum hyperpredicate predicate;
};

/* Like hyperclient_put(), but only creates: CMPFAIL if an object with this key exists. */
int64_t
hyperclient_put_if_not_exist(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                             const struct hyperclient_attribute* attrs, size_t attrs_sz,
                             enum hyperclient_returncode* status);

/* Like hyperclient_condput(), with general checks: updates the existing object (else NOTFOUND) if
 * every check holds (else CMPFAIL). */
int64_t
hyperclient_cond_put(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                     const struct hyperclient_attribute_check* checks, size_t checks_sz,
                     const struct hyperclient_attribute* attrs, size_t attrs_sz,
                     enum hyperclient_returncode* status);

/* Inserts entries into map attributes of an existing object: each element names a map (attr), a
 * key (map_key) and the value to store under it, replacing any value the key had. */
int64_t
hyperclient_map_add(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                    const struct hyperclient_map_attribute* attrs, size_t attrs_sz,
                    enum hyperclient_returncode* status);

/* Removes entries from map attributes of an existing object: each element names a map (attr) and,
 * in `value` (of the map's key type, given as `datatype`), the key to remove. */
int64_t
hyperclient_map_remove(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                       const struct hyperclient_attribute* attrs, size_t attrs_sz,
                       enum hyperclient_returncode* status);

/* Asks the coordinator to create the space that `description` defines (the space description
 * language of the manual's `hyperdex add-space`). Completes through hyperclient_loop() like any
 * other request: SUCCESS, or BADSPACE when it does not parse or the name is taken. */
int64_t
hyperclient_add_space(struct hyperclient* client, const char* description,
                      enum hyperclient_returncode* status);

/* Asks the coordinator to remove the space named `space`; UNKNOWNSPACE when there is none. */
int64_t
hyperclient_rm_space(struct hyperclient* client, const char* space,
                     enum hyperclient_returncode* status);

/* Counts the objects for which every check holds; on SUCCESS the number is in `*result`. */
int64_t
hyperclient_count(struct hyperclient* client, const char* space,
                  const struct hyperclient_attribute_check* checks, size_t checks_sz,
                  enum hyperclient_returncode* status, uint64_t* result);

/* Deletes every object for which every check holds. Not atomic as a whole. */
int64_t
hyperclient_group_del(struct hyperclient* client, const char* space,
                      const struct hyperclient_attribute_check* checks, size_t checks_sz,
                      enum hyperclient_returncode* status);

/* Like hyperclient_search() with checks, but yields the matches ordered by attribute `sort_by`
 * (largest first when `maxmin` is nonzero, else smallest first), at most `limit` of them. */
int64_t
hyperclient_sorted_search(struct hyperclient* client, const char* space,
                          const struct hyperclient_attribute_check* checks, size_t checks_sz,
                          const char* sort_by, uint64_t limit, int maxmin,
                          enum hyperclient_returncode* status,
                          struct hyperclient_attribute** attrs, size_t* attrs_sz);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* HYPERDEX_HYPERCLIENT_H */
