/* libhyperclient: the coordinator's configuration (docs/protocol.md 10), parsed from a CONFIG body
 * into C structs, and the lookups the requests need. */
#include <stdlib.h>
#include <string.h>

#include "client_internal.h"

static int
bytes_is(const uint8_t* p, size_t n, const char* s)
{
    size_t m = strlen(s);
    return n == m && memcmp(p, s, n) == 0;
}

void
hc_config_free(struct hc_config* c)
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
            if (!(a->name = hc_dup(v, vn))) return -1;
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
                    if (!(ss->attrs[x] = hc_dup(v, vn))) return -1;
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
            if (!(s->name = hc_dup(v, vn))) return -1;
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
            if (!(v->host = hc_dup(h, hn))) return -1;
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
int
hc_config_parse(const uint8_t* body, size_t n, struct hc_config* c)
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
    hc_config_free(c);
    return -1;
}

const struct hc_space*
hc_space_named(const struct hc_config* c, const char* name)
{
    for (size_t i = 0; i < c->spaces_n; i++)
        if (strcmp(c->spaces[i].name, name) == 0) return &c->spaces[i];
    return NULL;
}

const struct hc_space*
hc_space_with_id(const struct hc_config* c, uint64_t id)
{
    for (size_t i = 0; i < c->spaces_n; i++)
        if (c->spaces[i].id == id) return &c->spaces[i];
    return NULL;
}

const struct hc_server*
hc_server_with_id(const struct hc_config* c, uint64_t id)
{
    for (size_t i = 0; i < c->servers_n; i++)
        if (c->servers[i].id == id) return &c->servers[i];
    return NULL;
}

const struct hc_region*
hc_key_region(const struct hc_space* s, uint64_t point)
{
    const struct hc_subspace* ks = &s->subspaces[0];
    for (size_t i = 0; i < ks->regions_n; i++)
        if (ks->regions[i].lower[0] <= point && point <= ks->regions[i].upper[0]) return &ks->regions[i];
    return NULL;
}

int
hc_attr_index(const struct hc_space* s, const char* name)
{
    for (size_t i = 0; i < s->attrs_n; i++)
        if (strcmp(s->attrs[i].name, name) == 0) return (int)i;
    return -1;
}

int
hc_attr_type(const struct hc_space* s, const char* name)
{
    if (strcmp(name, s->key.name) == 0) return s->key.datatype;
    int a = hc_attr_index(s, name);
    return a < 0 ? -1 : s->attrs[a].datatype;
}
