/* See idmap.h. */
#include "idmap.h"

#include <stdlib.h>

static size_t
slot_of(uint64_t id, size_t cap)
{
    /* ids are mostly consecutive: spread them (the fmix64 finalizer) */
    id ^= id >> 33;
    id *= 0xff51afd7ed558ccdULL;
    id ^= id >> 33;
    return (size_t)id & (cap - 1);
}

void
hd_idmap_init(struct hd_idmap* m)
{
    m->slots = NULL;
    m->cap = 0;
    m->n = 0;
}

void
hd_idmap_free(struct hd_idmap* m)
{
    free(m->slots);
    hd_idmap_init(m);
}

static int
grow(struct hd_idmap* m)
{
    size_t cap = m->cap ? m->cap * 2 : 64;
    struct hd_idmap_slot* slots = calloc(cap, sizeof(*slots));
    if (!slots) return -1;
    for (size_t i = 0; i < m->cap; i++)
    {
        if (!m->slots[i].value) continue;
        size_t j = slot_of(m->slots[i].id, cap);
        while (slots[j].value) j = (j + 1) & (cap - 1);
        slots[j] = m->slots[i];
    }
    free(m->slots);
    m->slots = slots;
    m->cap = cap;
    return 0;
}

int
hd_idmap_put(struct hd_idmap* m, uint64_t id, void* value)
{
    if (!value) return -1;
    /* at most half full, so probes stay short */
    if ((m->n + 1) * 2 > m->cap && grow(m)) return -1;
    size_t j = slot_of(id, m->cap);
    while (m->slots[j].value)
    {
        if (m->slots[j].id == id) return -1;
        j = (j + 1) & (m->cap - 1);
    }
    m->slots[j].id = id;
    m->slots[j].value = value;
    m->n++;
    return 0;
}

static size_t
find(const struct hd_idmap* m, uint64_t id)
{
    if (!m->cap) return SIZE_MAX;
    size_t j = slot_of(id, m->cap);
    while (m->slots[j].value)
    {
        if (m->slots[j].id == id) return j;
        j = (j + 1) & (m->cap - 1);
    }
    return SIZE_MAX;
}

void*
hd_idmap_get(const struct hd_idmap* m, uint64_t id)
{
    size_t j = find(m, id);
    return j == SIZE_MAX ? NULL : m->slots[j].value;
}

void*
hd_idmap_del(struct hd_idmap* m, uint64_t id)
{
    size_t j = find(m, id);
    if (j == SIZE_MAX) return NULL;
    void* value = m->slots[j].value;
    m->slots[j].value = NULL;
    m->n--;
    /* shift back the entries after the hole that probed past it */
    size_t mask = m->cap - 1;
    size_t hole = j;
    for (size_t k = (j + 1) & mask; m->slots[k].value; k = (k + 1) & mask)
    {
        size_t home = slot_of(m->slots[k].id, m->cap);
        /* k may move into the hole unless its home lies cyclically in (hole, k] */
        int stays = hole <= k ? (hole < home && home <= k) : (hole < home || home <= k);
        if (stays) continue;
        m->slots[hole] = m->slots[k];
        m->slots[k].value = NULL;
        hole = k;
    }
    return value;
}

uint64_t*
hd_idmap_ids(const struct hd_idmap* m)
{
    if (!m->n) return NULL;
    uint64_t* out = malloc(m->n * sizeof(*out));
    if (!out) return NULL;
    size_t k = 0;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slots[i].value) out[k++] = m->slots[i].id;
    return out;
}
