/* Compile-time contract check of hyperclient.h against the 0.4 manual's chapter 7 and the enum
 * values of the design notes (DESIGN.md, "The C library and the API contract").
 *
 * Nothing here runs and nothing is linked: the file compiles (C11, -Wall -Wextra -Werror) exactly
 * when the header keeps the contract.
 *   - _Static_assert pins every enum value and the enums' size (int, as in 0.4's ABI).
 *   - The structs are compared member by member (type, offset, size) with reference copies of the
 *     documented layouts.
 *   - Each function is assigned to a pointer of its exact documented type; a different parameter
 *     or return type makes the assignment an incompatible-pointer diagnostic, an error here.
 *   - A switch over each enum names every enumerator once: a duplicate number is an error
 *     ("duplicate case value"), and an enumerator added to a header without being listed here is
 *     a -Wswitch error, so this file has to be updated (and the number reviewed) with it.
 */
#include <hyperclient.h>

#include <stddef.h>
#include <stdint.h>

/* The same file also compiles as C++11 (the build may compile a copy named .cc). C++ adds one
 * check C cannot make: there an enum is a type of its own, so a parameter declared `unsigned int*`
 * where the manual says `enum hyperclient_returncode*` (compatible types in C) is caught too. */
#ifdef __cplusplus
#include <type_traits>
#define STATIC_ASSERT(cond, msg) static_assert(cond, msg)
/* MEMBER_IS(struct, member, type): the member exists and has exactly this type. */
#define MEMBER_IS(S, m, T) (std::is_same<decltype(((S*)0)->m), T>::value)
#else
#define STATIC_ASSERT(cond, msg) _Static_assert(cond, msg)
/* MEMBER_IS(struct, member, type): the member exists and has exactly this type. */
#define MEMBER_IS(S, m, T) _Generic(((S*)0)->m, T: 1, default: 0)
#endif

/* ---- enum hyperclient_returncode: DESIGN.md's figures (0.4's numbers) ---- */
STATIC_ASSERT(HYPERCLIENT_SUCCESS == 8448, "SUCCESS");
STATIC_ASSERT(HYPERCLIENT_NOTFOUND == 8449, "NOTFOUND");
STATIC_ASSERT(HYPERCLIENT_SEARCHDONE == 8450, "SEARCHDONE");
STATIC_ASSERT(HYPERCLIENT_CMPFAIL == 8451, "CMPFAIL");
STATIC_ASSERT(HYPERCLIENT_READONLY == 8452, "READONLY");
STATIC_ASSERT(HYPERCLIENT_UNKNOWNSPACE == 8512, "UNKNOWNSPACE");
STATIC_ASSERT(HYPERCLIENT_COORDFAIL == 8513, "COORDFAIL");
STATIC_ASSERT(HYPERCLIENT_SERVERERROR == 8514, "SERVERERROR");
STATIC_ASSERT(HYPERCLIENT_POLLFAILED == 8515, "POLLFAILED");
STATIC_ASSERT(HYPERCLIENT_OVERFLOW == 8516, "OVERFLOW");
STATIC_ASSERT(HYPERCLIENT_RECONFIGURE == 8517, "RECONFIGURE");
STATIC_ASSERT(HYPERCLIENT_TIMEOUT == 8519, "TIMEOUT");
STATIC_ASSERT(HYPERCLIENT_UNKNOWNATTR == 8520, "UNKNOWNATTR");
STATIC_ASSERT(HYPERCLIENT_DUPEATTR == 8521, "DUPEATTR");
STATIC_ASSERT(HYPERCLIENT_NONEPENDING == 8523, "NONEPENDING");
STATIC_ASSERT(HYPERCLIENT_DONTUSEKEY == 8524, "DONTUSEKEY");
STATIC_ASSERT(HYPERCLIENT_WRONGTYPE == 8525, "WRONGTYPE");
STATIC_ASSERT(HYPERCLIENT_NOMEM == 8526, "NOMEM");
STATIC_ASSERT(HYPERCLIENT_EXCEPTION == 8574, "EXCEPTION");
STATIC_ASSERT(HYPERCLIENT_ZERO == 8575, "ZERO");
STATIC_ASSERT(HYPERCLIENT_A == 8576, "A");
STATIC_ASSERT(HYPERCLIENT_B == 8577, "B");

/* Names the manual documents but DESIGN.md's list lacks take unused numbers "in the same ranges":
 * the error range that starts at UNKNOWNSPACE, below the EXCEPTION..B block. That they are unused
 * is checked by the switch in test_contract_signatures(). */
#define IN_ERROR_RANGE(c) ((c) > HYPERCLIENT_UNKNOWNSPACE && (c) < HYPERCLIENT_EXCEPTION)
STATIC_ASSERT(IN_ERROR_RANGE(HYPERCLIENT_LOGICERROR), "LOGICERROR in the error range");
STATIC_ASSERT(IN_ERROR_RANGE(HYPERCLIENT_SEEERRNO), "SEEERRNO in the error range");
STATIC_ASSERT(IN_ERROR_RANGE(HYPERCLIENT_CONNECTFAIL), "CONNECTFAIL in the error range");
STATIC_ASSERT(IN_ERROR_RANGE(HYPERCLIENT_DISCONNECT), "DISCONNECT in the error range");
STATIC_ASSERT(IN_ERROR_RANGE(HYPERCLIENT_BADREQUEST), "BADREQUEST in the error range");
STATIC_ASSERT(IN_ERROR_RANGE(HYPERCLIENT_BADSPACE), "BADSPACE in the error range");
STATIC_ASSERT(IN_ERROR_RANGE(HYPERCLIENT_UNAUTHORIZED), "UNAUTHORIZED in the error range");
STATIC_ASSERT(IN_ERROR_RANGE(HYPERCLIENT_UNKNOWNOUTCOME), "UNKNOWNOUTCOME in the error range");

/* ---- enum hyperdatatype: DESIGN.md's figures ---- */
STATIC_ASSERT(HYPERDATATYPE_STRING == 8960, "STRING");
STATIC_ASSERT(HYPERDATATYPE_INT64 == 8961, "INT64");
STATIC_ASSERT(HYPERDATATYPE_LIST_GENERIC == 8976, "LIST_GENERIC");
STATIC_ASSERT(HYPERDATATYPE_LIST_STRING == 8977, "LIST_STRING");
STATIC_ASSERT(HYPERDATATYPE_LIST_INT64 == 8978, "LIST_INT64");
STATIC_ASSERT(HYPERDATATYPE_SET_GENERIC == 8992, "SET_GENERIC");
STATIC_ASSERT(HYPERDATATYPE_SET_STRING == 8993, "SET_STRING");
STATIC_ASSERT(HYPERDATATYPE_SET_INT64 == 8994, "SET_INT64");
STATIC_ASSERT(HYPERDATATYPE_MAP_GENERIC == 9008, "MAP_GENERIC");
STATIC_ASSERT(HYPERDATATYPE_MAP_STRING_KEYONLY == 9024, "MAP_STRING_KEYONLY");
STATIC_ASSERT(HYPERDATATYPE_MAP_STRING_STRING == 9025, "MAP_STRING_STRING");
STATIC_ASSERT(HYPERDATATYPE_MAP_STRING_INT64 == 9026, "MAP_STRING_INT64");
STATIC_ASSERT(HYPERDATATYPE_MAP_INT64_KEYONLY == 9040, "MAP_INT64_KEYONLY");
STATIC_ASSERT(HYPERDATATYPE_MAP_INT64_STRING == 9041, "MAP_INT64_STRING");
STATIC_ASSERT(HYPERDATATYPE_MAP_INT64_INT64 == 9042, "MAP_INT64_INT64");
STATIC_ASSERT(HYPERDATATYPE_GARBAGE == 9087, "GARBAGE");

/* Float types: "the next free number in each family". */
STATIC_ASSERT(HYPERDATATYPE_FLOAT == HYPERDATATYPE_INT64 + 1, "FLOAT");
STATIC_ASSERT(HYPERDATATYPE_LIST_FLOAT == HYPERDATATYPE_LIST_INT64 + 1, "LIST_FLOAT");
STATIC_ASSERT(HYPERDATATYPE_SET_FLOAT == HYPERDATATYPE_SET_INT64 + 1, "SET_FLOAT");
STATIC_ASSERT(HYPERDATATYPE_MAP_STRING_FLOAT == HYPERDATATYPE_MAP_STRING_INT64 + 1, "MAP_STRING_FLOAT");
STATIC_ASSERT(HYPERDATATYPE_MAP_INT64_FLOAT == HYPERDATATYPE_MAP_INT64_INT64 + 1, "MAP_INT64_FLOAT");
/* map(float, ...) is a family of its own, the next block of 16 after map(int64, ...). */
STATIC_ASSERT(HYPERDATATYPE_MAP_FLOAT_KEYONLY == HYPERDATATYPE_MAP_INT64_KEYONLY + 16, "MAP_FLOAT_KEYONLY");
STATIC_ASSERT(HYPERDATATYPE_MAP_FLOAT_STRING == HYPERDATATYPE_MAP_FLOAT_KEYONLY + 1, "MAP_FLOAT_STRING");
STATIC_ASSERT(HYPERDATATYPE_MAP_FLOAT_INT64 == HYPERDATATYPE_MAP_FLOAT_KEYONLY + 2, "MAP_FLOAT_INT64");
STATIC_ASSERT(HYPERDATATYPE_MAP_FLOAT_FLOAT == HYPERDATATYPE_MAP_FLOAT_KEYONLY + 3, "MAP_FLOAT_FLOAT");

/* ---- enum hyperpredicate (a later addition): HyperDex 1.0's figures, plus two of ours ---- */
STATIC_ASSERT(HYPERPREDICATE_FAIL == 9728, "FAIL");
STATIC_ASSERT(HYPERPREDICATE_EQUALS == 9729, "EQUALS");
STATIC_ASSERT(HYPERPREDICATE_LESS_THAN == 9738, "LESS_THAN");
STATIC_ASSERT(HYPERPREDICATE_LESS_EQUAL == 9739, "LESS_EQUAL");
STATIC_ASSERT(HYPERPREDICATE_GREATER_EQUAL == 9740, "GREATER_EQUAL");
STATIC_ASSERT(HYPERPREDICATE_GREATER_THAN == 9741, "GREATER_THAN");

/* ---- enum sizes: an int, as compiled against the 0.4 header ---- */
STATIC_ASSERT(sizeof(enum hyperclient_returncode) == sizeof(int), "returncode is int-sized");
STATIC_ASSERT(sizeof(enum hyperdatatype) == sizeof(int), "hyperdatatype is int-sized");
STATIC_ASSERT(sizeof(enum hyperpredicate) == sizeof(int), "hyperpredicate is int-sized");

/* ---- structs: member types, order, offsets and size equal the documented layout ---- */

/* SAME_OFFSET(struct, reference, member): the same offset as in the reference layout. */
#define SAME_OFFSET(S, R, m) (offsetof(S, m) == offsetof(R, m))

struct ref_attribute
{
    const char* attr;
    const char* value;
    size_t value_sz;
    enum hyperdatatype datatype;
};
STATIC_ASSERT(MEMBER_IS(struct hyperclient_attribute, attr, const char*), "attribute.attr type");
STATIC_ASSERT(MEMBER_IS(struct hyperclient_attribute, value, const char*), "attribute.value type");
STATIC_ASSERT(MEMBER_IS(struct hyperclient_attribute, value_sz, size_t), "attribute.value_sz type");
STATIC_ASSERT(MEMBER_IS(struct hyperclient_attribute, datatype, enum hyperdatatype), "attribute.datatype type");
STATIC_ASSERT(SAME_OFFSET(struct hyperclient_attribute, struct ref_attribute, attr), "attribute.attr offset");
STATIC_ASSERT(SAME_OFFSET(struct hyperclient_attribute, struct ref_attribute, value), "attribute.value offset");
STATIC_ASSERT(SAME_OFFSET(struct hyperclient_attribute, struct ref_attribute, value_sz), "attribute.value_sz offset");
STATIC_ASSERT(SAME_OFFSET(struct hyperclient_attribute, struct ref_attribute, datatype), "attribute.datatype offset");
STATIC_ASSERT(sizeof(struct hyperclient_attribute) == sizeof(struct ref_attribute), "attribute size");

struct ref_map_attribute
{
    const char* attr;
    const char* map_key;
    size_t map_key_sz;
    const char* value;
    size_t value_sz;
    enum hyperdatatype datatype;
};
STATIC_ASSERT(MEMBER_IS(struct hyperclient_map_attribute, attr, const char*), "map_attribute.attr type");
STATIC_ASSERT(MEMBER_IS(struct hyperclient_map_attribute, map_key, const char*), "map_attribute.map_key type");
STATIC_ASSERT(MEMBER_IS(struct hyperclient_map_attribute, map_key_sz, size_t), "map_attribute.map_key_sz type");
STATIC_ASSERT(MEMBER_IS(struct hyperclient_map_attribute, value, const char*), "map_attribute.value type");
STATIC_ASSERT(MEMBER_IS(struct hyperclient_map_attribute, value_sz, size_t), "map_attribute.value_sz type");
STATIC_ASSERT(MEMBER_IS(struct hyperclient_map_attribute, datatype, enum hyperdatatype), "map_attribute.datatype type");
STATIC_ASSERT(SAME_OFFSET(struct hyperclient_map_attribute, struct ref_map_attribute, attr), "map_attribute.attr offset");
STATIC_ASSERT(SAME_OFFSET(struct hyperclient_map_attribute, struct ref_map_attribute, map_key), "map_attribute.map_key offset");
STATIC_ASSERT(SAME_OFFSET(struct hyperclient_map_attribute, struct ref_map_attribute, map_key_sz), "map_attribute.map_key_sz offset");
STATIC_ASSERT(SAME_OFFSET(struct hyperclient_map_attribute, struct ref_map_attribute, value), "map_attribute.value offset");
STATIC_ASSERT(SAME_OFFSET(struct hyperclient_map_attribute, struct ref_map_attribute, value_sz), "map_attribute.value_sz offset");
STATIC_ASSERT(SAME_OFFSET(struct hyperclient_map_attribute, struct ref_map_attribute, datatype), "map_attribute.datatype offset");
STATIC_ASSERT(sizeof(struct hyperclient_map_attribute) == sizeof(struct ref_map_attribute), "map_attribute size");

struct ref_range_query
{
    const char* attr;
    uint64_t lower;
    uint64_t upper;
};
STATIC_ASSERT(MEMBER_IS(struct hyperclient_range_query, attr, const char*), "range_query.attr type");
STATIC_ASSERT(MEMBER_IS(struct hyperclient_range_query, lower, uint64_t), "range_query.lower type");
STATIC_ASSERT(MEMBER_IS(struct hyperclient_range_query, upper, uint64_t), "range_query.upper type");
STATIC_ASSERT(SAME_OFFSET(struct hyperclient_range_query, struct ref_range_query, attr), "range_query.attr offset");
STATIC_ASSERT(SAME_OFFSET(struct hyperclient_range_query, struct ref_range_query, lower), "range_query.lower offset");
STATIC_ASSERT(SAME_OFFSET(struct hyperclient_range_query, struct ref_range_query, upper), "range_query.upper offset");
STATIC_ASSERT(sizeof(struct hyperclient_range_query) == sizeof(struct ref_range_query), "range_query size");

/* Later addition. */
struct ref_attribute_check
{
    const char* attr;
    const char* value;
    size_t value_sz;
    enum hyperdatatype datatype;
    enum hyperpredicate predicate;
};
STATIC_ASSERT(MEMBER_IS(struct hyperclient_attribute_check, attr, const char*), "check.attr type");
STATIC_ASSERT(MEMBER_IS(struct hyperclient_attribute_check, value, const char*), "check.value type");
STATIC_ASSERT(MEMBER_IS(struct hyperclient_attribute_check, value_sz, size_t), "check.value_sz type");
STATIC_ASSERT(MEMBER_IS(struct hyperclient_attribute_check, datatype, enum hyperdatatype), "check.datatype type");
STATIC_ASSERT(MEMBER_IS(struct hyperclient_attribute_check, predicate, enum hyperpredicate), "check.predicate type");
STATIC_ASSERT(SAME_OFFSET(struct hyperclient_attribute_check, struct ref_attribute_check, attr), "check.attr offset");
STATIC_ASSERT(SAME_OFFSET(struct hyperclient_attribute_check, struct ref_attribute_check, value), "check.value offset");
STATIC_ASSERT(SAME_OFFSET(struct hyperclient_attribute_check, struct ref_attribute_check, value_sz), "check.value_sz offset");
STATIC_ASSERT(SAME_OFFSET(struct hyperclient_attribute_check, struct ref_attribute_check, datatype), "check.datatype offset");
STATIC_ASSERT(SAME_OFFSET(struct hyperclient_attribute_check, struct ref_attribute_check, predicate), "check.predicate offset");
STATIC_ASSERT(sizeof(struct hyperclient_attribute_check) == sizeof(struct ref_attribute_check), "check size");

/* ---- functions: each assigned to a pointer of its documented type ---- */

/* The signature shared by the attribute-update operations (put, atomic_*, string_*, list_*,
 * set_*, and the later put_if_not_exist and map_remove). */
typedef int64_t (*attr_op)(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                           const struct hyperclient_attribute* attrs, size_t attrs_sz,
                           enum hyperclient_returncode* status);
/* The signature shared by the map_* operations (and the later map_add). */
typedef int64_t (*map_op)(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                          const struct hyperclient_map_attribute* attrs, size_t attrs_sz,
                          enum hyperclient_returncode* status);

/* Never called (the library it would need does not exist at compile time); declared to keep
 * -Wmissing-prototypes quiet should it be enabled. */
void test_contract_signatures(enum hyperclient_returncode rc, enum hyperdatatype dt, enum hyperpredicate pr);

void
test_contract_signatures(enum hyperclient_returncode rc, enum hyperdatatype dt, enum hyperpredicate pr)
{
    /* 0.4 manual, chapter 7.2 */
    struct hyperclient* (*p_create)(const char* coordinator, in_port_t port) = hyperclient_create;
    void (*p_destroy)(struct hyperclient* client) = hyperclient_destroy;
    int64_t (*p_get)(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                     enum hyperclient_returncode* status,
                     struct hyperclient_attribute** attrs, size_t* attrs_sz) = hyperclient_get;
    int64_t (*p_put)(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                     const struct hyperclient_attribute* attrs, size_t attrs_sz,
                     enum hyperclient_returncode* status) = hyperclient_put;
    int64_t (*p_condput)(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                         const struct hyperclient_attribute* condattrs, size_t condattrs_sz,
                         const struct hyperclient_attribute* attrs, size_t attrs_sz,
                         enum hyperclient_returncode* status) = hyperclient_condput;
    int64_t (*p_del)(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                     enum hyperclient_returncode* status) = hyperclient_del;
    attr_op p_atomic_add = hyperclient_atomic_add;
    attr_op p_atomic_sub = hyperclient_atomic_sub;
    attr_op p_atomic_mul = hyperclient_atomic_mul;
    attr_op p_atomic_div = hyperclient_atomic_div;
    attr_op p_atomic_mod = hyperclient_atomic_mod;
    attr_op p_atomic_and = hyperclient_atomic_and;
    attr_op p_atomic_or = hyperclient_atomic_or;
    attr_op p_atomic_xor = hyperclient_atomic_xor;
    attr_op p_string_prepend = hyperclient_string_prepend;
    attr_op p_string_append = hyperclient_string_append;
    attr_op p_list_lpush = hyperclient_list_lpush;
    attr_op p_list_rpush = hyperclient_list_rpush;
    attr_op p_set_add = hyperclient_set_add;
    attr_op p_set_remove = hyperclient_set_remove;
    attr_op p_set_intersect = hyperclient_set_intersect;
    attr_op p_set_union = hyperclient_set_union;
    map_op p_map_atomic_add = hyperclient_map_atomic_add;
    map_op p_map_atomic_sub = hyperclient_map_atomic_sub;
    map_op p_map_atomic_mul = hyperclient_map_atomic_mul;
    map_op p_map_atomic_div = hyperclient_map_atomic_div;
    map_op p_map_atomic_mod = hyperclient_map_atomic_mod;
    map_op p_map_atomic_and = hyperclient_map_atomic_and;
    map_op p_map_atomic_or = hyperclient_map_atomic_or;
    map_op p_map_atomic_xor = hyperclient_map_atomic_xor;
    map_op p_map_string_prepend = hyperclient_map_string_prepend;
    map_op p_map_string_append = hyperclient_map_string_append;
    int64_t (*p_search)(struct hyperclient* client, const char* space,
                        const struct hyperclient_attribute* eq, size_t eq_sz,
                        const struct hyperclient_range_query* rn, size_t rn_sz,
                        enum hyperclient_returncode* status,
                        struct hyperclient_attribute** attrs, size_t* attrs_sz) = hyperclient_search;
    int64_t (*p_loop)(struct hyperclient* client, int timeout,
                      enum hyperclient_returncode* status) = hyperclient_loop;
    void (*p_destroy_attrs)(struct hyperclient_attribute* attrs, size_t attrs_sz) = hyperclient_destroy_attrs;

    /* later additions */
    attr_op p_put_if_not_exist = hyperclient_put_if_not_exist;
    int64_t (*p_cond_put)(struct hyperclient* client, const char* space, const char* key, size_t key_sz,
                          const struct hyperclient_attribute_check* checks, size_t checks_sz,
                          const struct hyperclient_attribute* attrs, size_t attrs_sz,
                          enum hyperclient_returncode* status) = hyperclient_cond_put;
    map_op p_map_add = hyperclient_map_add;
    attr_op p_map_remove = hyperclient_map_remove;
    int64_t (*p_add_space)(struct hyperclient* client, const char* description,
                           enum hyperclient_returncode* status) = hyperclient_add_space;
    int64_t (*p_rm_space)(struct hyperclient* client, const char* space,
                          enum hyperclient_returncode* status) = hyperclient_rm_space;
    int64_t (*p_count)(struct hyperclient* client, const char* space,
                       const struct hyperclient_attribute_check* checks, size_t checks_sz,
                       enum hyperclient_returncode* status, uint64_t* result) = hyperclient_count;
    int64_t (*p_group_del)(struct hyperclient* client, const char* space,
                           const struct hyperclient_attribute_check* checks, size_t checks_sz,
                           enum hyperclient_returncode* status) = hyperclient_group_del;
    int64_t (*p_sorted_search)(struct hyperclient* client, const char* space,
                               const struct hyperclient_attribute_check* checks, size_t checks_sz,
                               const char* sort_by, uint64_t limit, int maxmin,
                               enum hyperclient_returncode* status,
                               struct hyperclient_attribute** attrs, size_t* attrs_sz) = hyperclient_sorted_search;

    (void)p_create; (void)p_destroy; (void)p_get; (void)p_put; (void)p_condput; (void)p_del;
    (void)p_atomic_add; (void)p_atomic_sub; (void)p_atomic_mul; (void)p_atomic_div;
    (void)p_atomic_mod; (void)p_atomic_and; (void)p_atomic_or; (void)p_atomic_xor;
    (void)p_string_prepend; (void)p_string_append; (void)p_list_lpush; (void)p_list_rpush;
    (void)p_set_add; (void)p_set_remove; (void)p_set_intersect; (void)p_set_union;
    (void)p_map_atomic_add; (void)p_map_atomic_sub; (void)p_map_atomic_mul; (void)p_map_atomic_div;
    (void)p_map_atomic_mod; (void)p_map_atomic_and; (void)p_map_atomic_or; (void)p_map_atomic_xor;
    (void)p_map_string_prepend; (void)p_map_string_append;
    (void)p_search; (void)p_loop; (void)p_destroy_attrs;
    (void)p_put_if_not_exist; (void)p_cond_put; (void)p_map_add; (void)p_map_remove;
    (void)p_add_space; (void)p_rm_space; (void)p_count; (void)p_group_del; (void)p_sorted_search;

    /* Every enumerator once: duplicates do not compile, unlisted ones trip -Wswitch. */
    switch (rc)
    {
        case HYPERCLIENT_SUCCESS: case HYPERCLIENT_NOTFOUND: case HYPERCLIENT_SEARCHDONE:
        case HYPERCLIENT_CMPFAIL: case HYPERCLIENT_READONLY:
        case HYPERCLIENT_UNKNOWNSPACE: case HYPERCLIENT_COORDFAIL: case HYPERCLIENT_SERVERERROR:
        case HYPERCLIENT_POLLFAILED: case HYPERCLIENT_OVERFLOW: case HYPERCLIENT_RECONFIGURE:
        case HYPERCLIENT_LOGICERROR: case HYPERCLIENT_TIMEOUT: case HYPERCLIENT_UNKNOWNATTR:
        case HYPERCLIENT_DUPEATTR: case HYPERCLIENT_SEEERRNO: case HYPERCLIENT_NONEPENDING:
        case HYPERCLIENT_DONTUSEKEY: case HYPERCLIENT_WRONGTYPE: case HYPERCLIENT_NOMEM:
        case HYPERCLIENT_CONNECTFAIL: case HYPERCLIENT_DISCONNECT: case HYPERCLIENT_BADREQUEST:
        case HYPERCLIENT_BADSPACE: case HYPERCLIENT_UNAUTHORIZED: case HYPERCLIENT_UNKNOWNOUTCOME:
        case HYPERCLIENT_EXCEPTION: case HYPERCLIENT_ZERO: case HYPERCLIENT_A: case HYPERCLIENT_B:
            break;
    }
    switch (dt)
    {
        case HYPERDATATYPE_STRING: case HYPERDATATYPE_INT64: case HYPERDATATYPE_FLOAT:
        case HYPERDATATYPE_LIST_GENERIC: case HYPERDATATYPE_LIST_STRING:
        case HYPERDATATYPE_LIST_INT64: case HYPERDATATYPE_LIST_FLOAT:
        case HYPERDATATYPE_SET_GENERIC: case HYPERDATATYPE_SET_STRING:
        case HYPERDATATYPE_SET_INT64: case HYPERDATATYPE_SET_FLOAT:
        case HYPERDATATYPE_MAP_GENERIC:
        case HYPERDATATYPE_MAP_STRING_KEYONLY: case HYPERDATATYPE_MAP_STRING_STRING:
        case HYPERDATATYPE_MAP_STRING_INT64: case HYPERDATATYPE_MAP_STRING_FLOAT:
        case HYPERDATATYPE_MAP_INT64_KEYONLY: case HYPERDATATYPE_MAP_INT64_STRING:
        case HYPERDATATYPE_MAP_INT64_INT64: case HYPERDATATYPE_MAP_INT64_FLOAT:
        case HYPERDATATYPE_MAP_FLOAT_KEYONLY: case HYPERDATATYPE_MAP_FLOAT_STRING:
        case HYPERDATATYPE_MAP_FLOAT_INT64: case HYPERDATATYPE_MAP_FLOAT_FLOAT:
        case HYPERDATATYPE_GARBAGE:
            break;
    }
    switch (pr)
    {
        case HYPERPREDICATE_FAIL: case HYPERPREDICATE_EQUALS:
        case HYPERPREDICATE_LESS_EQUAL: case HYPERPREDICATE_GREATER_EQUAL:
        case HYPERPREDICATE_LESS_THAN: case HYPERPREDICATE_GREATER_THAN:
            break;
    }
}
