/* The `hyperclient` Python module: the Python API of the HyperDex 0.4 manual (chapter 6) and of the
 * 1.0 tutorial's asynchronous and atomic operations, as a thin CPython layer over libhyperclient.
 *
 * The module only converts values. Every operation is one libhyperclient call, started by an
 * `async_*` method that returns a Deferred; the synchronous method is the same call followed by
 * Deferred.wait(). Completions arrive through hyperclient_loop(), called with the GIL released, and
 * are dispatched by request id to the Deferred or Search that asked.
 *
 * Datatypes: the C API wants a datatype with every value, and a client has no schema, so the type is
 * inferred from the Python value (str/bytes -> string, int -> int64, float -> float, list/tuple,
 * set/frozenset and dict of those -> the container type; empty containers -> the generic type of
 * their shape). When libhyperclient refuses an attribute with WRONGTYPE before sending (it checks
 * against the space's schema), the value is encoded the next plausible way (ints as floats, a list
 * as a set, int map keys as floats) and the call is made again; a bounded number of times.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <pythread.h>

#include <arpa/inet.h>
#include <math.h>
#include <netdb.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#ifndef HYPERCLIENT_PY_VERSION
#error "HYPERCLIENT_PY_VERSION (the project's version, a string) must be defined: build with setup.py"
#endif

#include <hyperclient.h>

/* How long one hyperclient_loop() call may block before the GIL-holding side checks for signals
 * (Ctrl-C) and its own deadline. */
#define LOOP_SLICE_MS 100
/* The default for Client(..., timeout=): seconds one wait() may take, as the TypeScript client. */
#define DEFAULT_TIMEOUT_S 30.0

/* ---- status names and messages --------------------------------------------------------------- */

struct status_info
{
    int code;
    const char* name;
    const char* message;
};

static const struct status_info STATUSES[] = {
    {HYPERCLIENT_SUCCESS, "HYPERCLIENT_SUCCESS", "Success"},
    {HYPERCLIENT_NOTFOUND, "HYPERCLIENT_NOTFOUND", "Not Found"},
    {HYPERCLIENT_SEARCHDONE, "HYPERCLIENT_SEARCHDONE", "Search Done"},
    {HYPERCLIENT_CMPFAIL, "HYPERCLIENT_CMPFAIL", "Conditional Operation Did Not Match Object"},
    {HYPERCLIENT_READONLY, "HYPERCLIENT_READONLY", "Cluster is in a Read-Only State"},
    {HYPERCLIENT_UNKNOWNSPACE, "HYPERCLIENT_UNKNOWNSPACE", "Unknown Space"},
    {HYPERCLIENT_COORDFAIL, "HYPERCLIENT_COORDFAIL", "Coordinator Failure"},
    {HYPERCLIENT_SERVERERROR, "HYPERCLIENT_SERVERERROR", "Server Error"},
    {HYPERCLIENT_POLLFAILED, "HYPERCLIENT_POLLFAILED", "Polling Failed"},
    {HYPERCLIENT_OVERFLOW, "HYPERCLIENT_OVERFLOW", "Integer-overflow or divide-by-zero"},
    {HYPERCLIENT_RECONFIGURE, "HYPERCLIENT_RECONFIGURE", "Reconfiguration"},
    {HYPERCLIENT_LOGICERROR, "HYPERCLIENT_LOGICERROR", "Logic Error (file a bug)"},
    {HYPERCLIENT_TIMEOUT, "HYPERCLIENT_TIMEOUT", "Timeout"},
    {HYPERCLIENT_UNKNOWNATTR, "HYPERCLIENT_UNKNOWNATTR", "Unknown attribute"},
    {HYPERCLIENT_DUPEATTR, "HYPERCLIENT_DUPEATTR", "Duplicate attribute"},
    {HYPERCLIENT_SEEERRNO, "HYPERCLIENT_SEEERRNO", "See ERRNO"},
    {HYPERCLIENT_NONEPENDING, "HYPERCLIENT_NONEPENDING", "None pending"},
    {HYPERCLIENT_DONTUSEKEY, "HYPERCLIENT_DONTUSEKEY", "Do not specify the key in a search predicate"},
    {HYPERCLIENT_WRONGTYPE, "HYPERCLIENT_WRONGTYPE", "Attribute has the wrong type"},
    {HYPERCLIENT_NOMEM, "HYPERCLIENT_NOMEM", "Memory allocation failed"},
    {HYPERCLIENT_CONNECTFAIL, "HYPERCLIENT_CONNECTFAIL", "Connection Failure"},
    {HYPERCLIENT_DISCONNECT, "HYPERCLIENT_DISCONNECT", "Connection Failure"},
    {HYPERCLIENT_BADREQUEST, "HYPERCLIENT_BADREQUEST", "Bad request"},
    {HYPERCLIENT_BADSPACE, "HYPERCLIENT_BADSPACE", "Bad space description, or the space exists"},
    {HYPERCLIENT_UNAUTHORIZED, "HYPERCLIENT_UNAUTHORIZED", "Not authorized: membership not proven"},
    {HYPERCLIENT_UNKNOWNOUTCOME, "HYPERCLIENT_UNKNOWNOUTCOME",
     "Unknown outcome: the connection was lost after the write was sent; it may or may not have been applied"},
    {HYPERCLIENT_EXCEPTION, "HYPERCLIENT_EXCEPTION", "Internal Error (file a bug)"},
    {HYPERCLIENT_ZERO, "HYPERCLIENT_ZERO", "Internal Error (file a bug)"},
    {HYPERCLIENT_A, "HYPERCLIENT_A", "Internal Error (file a bug)"},
    {HYPERCLIENT_B, "HYPERCLIENT_B", "Internal Error (file a bug)"},
};

static const struct status_info*
status_info(long code)
{
    for (size_t i = 0; i < sizeof(STATUSES) / sizeof(STATUSES[0]); i++)
        if (STATUSES[i].code == code) return &STATUSES[i];
    return NULL;
}

/* ---- HyperClientException --------------------------------------------------------------------- */

/* HyperClientException(status, attr=None): args hold (status, attr); status() and attr() read them,
 * str() says what the status means (and names the attribute). */
static PyTypeObject HyperClientExceptionType;

static int
exc_init(PyObject* self, PyObject* args, PyObject* kwds)
{
    if (((PyTypeObject*)PyExc_Exception)->tp_init(self, args, kwds) < 0) return -1;
    PyObject* status = PyTuple_GET_SIZE(args) > 0 ? PyTuple_GET_ITEM(args, 0) : NULL;
    if (!status || !PyLong_Check(status))
    {
        PyErr_SetString(PyExc_TypeError, "HyperClientException(status, attr=None): status must be an int");
        return -1;
    }
    return 0;
}

static PyObject*
exc_status(PyObject* self, PyObject* Py_UNUSED(ignored))
{
    PyObject* args = ((PyBaseExceptionObject*)self)->args;
    if (!args || PyTuple_GET_SIZE(args) < 1) Py_RETURN_NONE;
    return Py_NewRef(PyTuple_GET_ITEM(args, 0));
}

static PyObject*
exc_attr(PyObject* self, PyObject* Py_UNUSED(ignored))
{
    PyObject* args = ((PyBaseExceptionObject*)self)->args;
    if (!args || PyTuple_GET_SIZE(args) < 2) Py_RETURN_NONE;
    return Py_NewRef(PyTuple_GET_ITEM(args, 1));
}

static PyObject*
exc_str(PyObject* self)
{
    PyObject* args = ((PyBaseExceptionObject*)self)->args;
    if (!args || PyTuple_GET_SIZE(args) < 1) return PyUnicode_FromString("HyperClientException");
    long code = PyLong_AsLong(PyTuple_GET_ITEM(args, 0));
    if (code == -1 && PyErr_Occurred()) return NULL;
    const struct status_info* si = status_info(code);
    PyObject* attr = PyTuple_GET_SIZE(args) > 1 ? PyTuple_GET_ITEM(args, 1) : Py_None;
    const char* msg = si ? si->message : "Unknown status";
    if (attr != Py_None) return PyUnicode_FromFormat("%s %R", msg, attr);
    return PyUnicode_FromString(msg);
}

static PyMethodDef exc_methods[] = {
    {"status", exc_status, METH_NOARGS, "The HYPERCLIENT_* status code."},
    {"attr", exc_attr, METH_NOARGS, "The attribute the error concerns, or None."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject HyperClientExceptionType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "hyperclient.HyperClientException",
    .tp_basicsize = sizeof(PyBaseExceptionObject),
    /* Py_TPFLAGS_HAVE_GC, tp_traverse and tp_clear come from Exception (PyType_Ready) */
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE,
    .tp_doc = "HyperClientException(status, attr): an error reported by HyperDex or libhyperclient.",
    .tp_init = exc_init,
    .tp_str = exc_str,
    .tp_methods = exc_methods,
};

/* Sets a HyperClientException for `status` (and `attr`, a str or NULL) and returns NULL. */
static PyObject*
raise_status(int status, PyObject* attr)
{
    PyObject* exc = PyObject_CallFunction((PyObject*)&HyperClientExceptionType, "iO", status, attr ? attr : Py_None);
    if (!exc) return NULL;
    PyErr_SetObject((PyObject*)&HyperClientExceptionType, exc);
    Py_DECREF(exc);
    return NULL;
}

static PyObject*
make_status_exc(int status, PyObject* attr)
{
    return PyObject_CallFunction((PyObject*)&HyperClientExceptionType, "iO", status, attr ? attr : Py_None);
}

/* ---- scratch memory of one call --------------------------------------------------------------- */

/* Buffers and Python references that must live until libhyperclient has read a call's arguments.
 * References are kept because the GIL is released during the call: another thread could otherwise
 * drop the last reference to a str whose bytes the call reads. */
struct scratch
{
    void** blocks;
    size_t blocks_n, blocks_cap;
    PyObject** refs;
    size_t refs_n, refs_cap;
};

static void
scratch_free(struct scratch* s)
{
    for (size_t i = 0; i < s->blocks_n; i++) PyMem_Free(s->blocks[i]);
    PyMem_Free(s->blocks);
    for (size_t i = 0; i < s->refs_n; i++) Py_DECREF(s->refs[i]);
    PyMem_Free(s->refs);
    memset(s, 0, sizeof(*s));
}

static int
scratch_adopt(struct scratch* s, void* block)
{
    if (s->blocks_n == s->blocks_cap)
    {
        size_t cap = s->blocks_cap ? 2 * s->blocks_cap : 16;
        void** b = PyMem_Realloc(s->blocks, cap * sizeof(*b));
        if (!b)
        {
            PyMem_Free(block);
            PyErr_NoMemory();
            return -1;
        }
        s->blocks = b;
        s->blocks_cap = cap;
    }
    s->blocks[s->blocks_n++] = block;
    return 0;
}

static void*
scratch_alloc(struct scratch* s, size_t n)
{
    void* p = PyMem_Calloc(n ? n : 1, 1);
    if (!p)
    {
        PyErr_NoMemory();
        return NULL;
    }
    return scratch_adopt(s, p) ? NULL : p;
}

static int
scratch_keep(struct scratch* s, PyObject* o)
{
    if (s->refs_n == s->refs_cap)
    {
        size_t cap = s->refs_cap ? 2 * s->refs_cap : 16;
        PyObject** r = PyMem_Realloc(s->refs, cap * sizeof(*r));
        if (!r)
        {
            PyErr_NoMemory();
            return -1;
        }
        s->refs = r;
        s->refs_cap = cap;
    }
    s->refs[s->refs_n++] = Py_NewRef(o);
    return 0;
}

/* ---- byte buffers ----------------------------------------------------------------------------- */

struct buf
{
    char* p;
    size_t n, cap;
};

static int
buf_put(struct buf* b, const void* p, size_t n)
{
    if (b->n + n > b->cap)
    {
        size_t cap = b->cap ? b->cap : 32;
        while (cap < b->n + n) cap *= 2;
        char* q = PyMem_Realloc(b->p, cap);
        if (!q)
        {
            PyErr_NoMemory();
            return -1;
        }
        b->p = q;
        b->cap = cap;
    }
    if (n) memcpy(b->p + b->n, p, n);
    b->n += n;
    return 0;
}

static void
le64_put(unsigned char* out, uint64_t v)
{
    for (int i = 0; i < 8; i++) out[i] = (unsigned char)(v >> (8 * i));
}

static uint64_t
le64_get(const unsigned char* in)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = (v << 8) | in[i];
    return v;
}

static int
buf_u64(struct buf* b, uint64_t v)
{
    unsigned char t[8];
    le64_put(t, v);
    return buf_put(b, t, 8);
}

static int
buf_u32(struct buf* b, uint32_t v)
{
    unsigned char t[4] = {(unsigned char)v, (unsigned char)(v >> 8), (unsigned char)(v >> 16), (unsigned char)(v >> 24)};
    return buf_put(b, t, 4);
}

/* ---- Python values -> HyperDex values --------------------------------------------------------- */

enum scalar
{
    SC_NONE = -1,
    SC_STRING = 0,
    SC_INT = 1,
    SC_FLOAT = 2
};

/* Encoding variants tried, in order, when libhyperclient refuses a value with WRONGTYPE. */
enum
{
    M_FLOAT = 1,  /* ints (alone, as elements, as map values) as floats */
    M_KFLOAT = 2, /* int map keys as floats */
    M_SET = 4,    /* a list or tuple as a set */
    M_ALL = 7
};

static enum scalar
scalar_kind(PyObject* o)
{
    if (PyUnicode_Check(o) || PyBytes_Check(o)) return SC_STRING;
    if (PyLong_Check(o)) return SC_INT;
    if (PyFloat_Check(o)) return SC_FLOAT;
    return SC_NONE;
}

static int
datatype_of_scalar(enum scalar k)
{
    return HYPERDATATYPE_STRING + (int)k;
}

/* The bytes of a str or bytes (not copied; the caller keeps `o` alive). */
static int
string_bytes(PyObject* o, const char** p, Py_ssize_t* n)
{
    if (PyUnicode_Check(o))
    {
        *p = PyUnicode_AsUTF8AndSize(o, n);
        return *p ? 0 : -1;
    }
    if (PyBytes_Check(o))
    {
        *p = PyBytes_AS_STRING(o);
        *n = PyBytes_GET_SIZE(o);
        return 0;
    }
    PyErr_Format(PyExc_TypeError, "expected str or bytes, not %.100s", Py_TYPE(o)->tp_name);
    return -1;
}

static int
int64_of(PyObject* o, int64_t* out)
{
    int overflow = 0;
    long long v = PyLong_AsLongLongAndOverflow(o, &overflow);
    if (v == -1 && PyErr_Occurred()) return -1;
    if (overflow)
    {
        PyErr_Format(PyExc_OverflowError, "%R does not fit in a signed 64-bit integer (int64)", o);
        return -1;
    }
    *out = (int64_t)v;
    return 0;
}

static int
double_of(PyObject* o, double* out)
{
    double d = PyLong_Check(o) ? PyLong_AsDouble(o) : PyFloat_AsDouble(o);
    if (d == -1.0 && PyErr_Occurred()) return -1;
    *out = d;
    return 0;
}

/* Writes scalar `o` as kind `as` (SC_FLOAT accepts ints). As an element of a container a string
 * gets its u32 length and, in a set or as a map key (`sortable`), -0.0 is written as 0.0. */
static int
put_scalar(struct buf* b, PyObject* o, enum scalar as, int element, int sortable)
{
    if (as == SC_STRING)
    {
        const char* p;
        Py_ssize_t n;
        if (string_bytes(o, &p, &n)) return -1;
        if (element)
        {
            if ((uint64_t)n > UINT32_MAX)
            {
                PyErr_SetString(PyExc_ValueError, "a string element is longer than 4 GiB");
                return -1;
            }
            if (buf_u32(b, (uint32_t)n)) return -1;
        }
        return buf_put(b, p, (size_t)n);
    }
    if (as == SC_INT)
    {
        int64_t v;
        if (int64_of(o, &v)) return -1;
        return buf_u64(b, (uint64_t)v);
    }
    double d;
    if (double_of(o, &d)) return -1;
    if (sortable && d == 0.0) d = 0.0;
    uint64_t u;
    memcpy(&u, &d, 8);
    return buf_u64(b, u);
}

/* The one element kind of a sequence of scalars: strings, or numbers (floats when any is a float,
 * or when `floats`); SC_NONE when empty. */
static int
elements_kind(PyObject* seq, int floats, enum scalar* out, const char* what)
{
    enum scalar k = SC_NONE;
    Py_ssize_t n = PySequence_Fast_GET_SIZE(seq);
    PyObject** items = PySequence_Fast_ITEMS(seq);
    for (Py_ssize_t i = 0; i < n; i++)
    {
        enum scalar e = scalar_kind(items[i]);
        if (e == SC_NONE)
        {
            PyErr_Format(PyExc_TypeError, "%s must hold str, bytes, int or float, not %.100s", what,
                         Py_TYPE(items[i])->tp_name);
            return -1;
        }
        if (e == SC_INT && floats) e = SC_FLOAT;
        if (k == SC_NONE)
            k = e;
        else if (k != e)
        {
            if (k == SC_STRING || e == SC_STRING)
            {
                PyErr_Format(PyExc_TypeError, "%s mixes strings and numbers", what);
                return -1;
            }
            k = SC_FLOAT;
        }
    }
    *out = k;
    return 0;
}

/* One encoded element (or map pair) with its sort key. */
struct elem
{
    size_t off, n;   /* the whole span (key and value) in the staging buffer */
    size_t koff, kn; /* the key (string payload without its length) */
    enum scalar kind;
    const char* base;
};

static int
elem_cmp(const void* a, const void* b)
{
    const struct elem* x = a;
    const struct elem* y = b;
    const unsigned char* px = (const unsigned char*)x->base + x->koff;
    const unsigned char* py = (const unsigned char*)y->base + y->koff;
    if (x->kind == SC_STRING)
    {
        size_t m = x->kn < y->kn ? x->kn : y->kn;
        int c = m ? memcmp(px, py, m) : 0;
        if (c) return c;
        return x->kn < y->kn ? -1 : x->kn > y->kn ? 1 : 0;
    }
    if (x->kind == SC_INT)
    {
        int64_t i = (int64_t)le64_get(px), j = (int64_t)le64_get(py);
        return i < j ? -1 : i > j ? 1 : 0;
    }
    double d, e;
    uint64_t u = le64_get(px), v = le64_get(py);
    memcpy(&d, &u, 8);
    memcpy(&e, &v, 8);
    if (isnan(d) || isnan(e)) return isnan(d) - isnan(e); /* NaN after everything */
    return d < e ? -1 : d > e ? 1 : 0;
}

/* Writes the elements of a set or the pairs of a dict sorted by element (key), without duplicates
 * for a set; a dict whose keys encode alike ('a' and b'a') is refused. */
static int
put_sorted(struct buf* out, PyObject* keys, PyObject* values, enum scalar kk, enum scalar vk)
{
    Py_ssize_t n = PySequence_Fast_GET_SIZE(keys);
    struct buf stage = {0};
    struct elem* es = PyMem_Calloc((size_t)n + 1, sizeof(*es));
    int rc = -1;
    if (!es)
    {
        PyErr_NoMemory();
        return -1;
    }
    for (Py_ssize_t i = 0; i < n; i++)
    {
        es[i].off = stage.n;
        es[i].kind = kk;
        if (put_scalar(&stage, PySequence_Fast_GET_ITEM(keys, i), kk, 1, 1)) goto done;
        es[i].koff = es[i].off + (kk == SC_STRING ? 4 : 0);
        es[i].kn = stage.n - es[i].koff;
        if (values && put_scalar(&stage, PySequence_Fast_GET_ITEM(values, i), vk, 1, 0)) goto done;
        es[i].n = stage.n - es[i].off;
    }
    for (Py_ssize_t i = 0; i < n; i++) es[i].base = stage.p;
    qsort(es, (size_t)n, sizeof(*es), elem_cmp);
    for (Py_ssize_t i = 0; i < n; i++)
    {
        if (i > 0 && elem_cmp(&es[i - 1], &es[i]) == 0)
        {
            if (values)
            {
                PyErr_SetString(PyExc_ValueError, "two keys of a map encode to the same bytes");
                goto done;
            }
            continue;
        }
        if (buf_put(out, stage.p + es[i].off, es[i].n)) goto done;
    }
    rc = 0;
done:
    PyMem_Free(es);
    PyMem_Free(stage.p);
    return rc;
}

/* Which encoding variants (M_*) could change how `v` is encoded. */
static int
relevant_modes(PyObject* v)
{
    int m = 0;
    if (PyLong_Check(v)) return M_FLOAT;
    if (PyList_Check(v) || PyTuple_Check(v) || PyAnySet_Check(v))
    {
        if (!PyAnySet_Check(v)) m |= M_SET;
        PyObject* it = PyObject_GetIter(v);
        if (!it)
        {
            PyErr_Clear();
            return m;
        }
        PyObject* e;
        while ((e = PyIter_Next(it)))
        {
            if (PyLong_Check(e)) m |= M_FLOAT;
            Py_DECREF(e);
        }
        Py_DECREF(it);
        PyErr_Clear();
        return m;
    }
    if (PyDict_Check(v))
    {
        Py_ssize_t pos = 0;
        PyObject *k, *x;
        while (PyDict_Next(v, &pos, &k, &x))
        {
            if (PyLong_Check(k)) m |= M_KFLOAT;
            if (PyLong_Check(x)) m |= M_FLOAT;
        }
    }
    return m;
}

/* The next variant after `mode` that changes something, or -1. */
static int
next_mode(int mode, int relevant)
{
    for (int m = mode + 1; m <= M_ALL; m++)
        if ((m & ~relevant) == 0) return m;
    return -1;
}

/* Encodes an attribute value: its datatype and bytes (in `out`). */
static int
encode_value(PyObject* v, int mode, struct buf* out, int* datatype)
{
    enum scalar k = scalar_kind(v);
    if (k != SC_NONE)
    {
        if (k == SC_INT && (mode & M_FLOAT)) k = SC_FLOAT;
        *datatype = datatype_of_scalar(k);
        return put_scalar(out, v, k, 0, 0);
    }
    int is_seq = PyList_Check(v) || PyTuple_Check(v);
    if (is_seq || PyAnySet_Check(v))
    {
        int as_set = !is_seq || (mode & M_SET);
        PyObject* seq = PySequence_Fast(v, "a list or set");
        if (!seq) return -1;
        enum scalar e;
        int rc = elements_kind(seq, mode & M_FLOAT, &e, as_set ? "a set" : "a list");
        if (rc == 0)
        {
            if (e == SC_NONE)
                *datatype = as_set ? HYPERDATATYPE_SET_GENERIC : HYPERDATATYPE_LIST_GENERIC;
            else
            {
                *datatype = (as_set ? HYPERDATATYPE_SET_GENERIC : HYPERDATATYPE_LIST_GENERIC) + 1 + (int)e;
                if (as_set)
                    rc = put_sorted(out, seq, NULL, e, SC_NONE);
                else
                    for (Py_ssize_t i = 0; rc == 0 && i < PySequence_Fast_GET_SIZE(seq); i++)
                        rc = put_scalar(out, PySequence_Fast_GET_ITEM(seq, i), e, 1, 0);
            }
        }
        Py_DECREF(seq);
        return rc;
    }
    if (PyDict_Check(v))
    {
        PyObject* keys = PyDict_Keys(v);
        PyObject* values = keys ? PyDict_Values(v) : NULL;
        int rc = -1;
        enum scalar kk, vk;
        if (values && elements_kind(keys, mode & M_KFLOAT, &kk, "a map's keys") == 0 &&
            elements_kind(values, mode & M_FLOAT, &vk, "a map's values") == 0)
        {
            if (kk == SC_NONE)
            {
                *datatype = HYPERDATATYPE_MAP_GENERIC;
                rc = 0;
            }
            else
            {
                *datatype = HYPERDATATYPE_MAP_STRING_KEYONLY + 16 * (int)kk + 1 + (int)vk;
                rc = put_sorted(out, keys, values, kk, vk);
            }
        }
        Py_XDECREF(keys);
        Py_XDECREF(values);
        return rc;
    }
    PyErr_Format(PyExc_TypeError,
                 "a value must be str, bytes, int, float, list, tuple, set, frozenset or dict, not %.100s",
                 Py_TYPE(v)->tp_name);
    return -1;
}

/* ---- HyperDex values -> Python values --------------------------------------------------------- */

/* str when the bytes are valid UTF-8, else bytes (as the TypeScript client does). */
static PyObject*
decode_string(const char* p, size_t n)
{
    PyObject* s = PyUnicode_DecodeUTF8(p, (Py_ssize_t)n, "strict");
    if (s || !PyErr_ExceptionMatches(PyExc_UnicodeDecodeError)) return s;
    PyErr_Clear();
    return PyBytes_FromStringAndSize(p, (Py_ssize_t)n);
}

/* One scalar of kind k at *p (an element when `element`), advancing *p; NULL when malformed. */
static PyObject*
decode_scalar(enum scalar k, const char** p, const char* end, int element)
{
    if (k == SC_STRING)
    {
        size_t n = (size_t)(end - *p);
        if (element)
        {
            if (end - *p < 4) return NULL;
            const unsigned char* u = (const unsigned char*)*p;
            n = (size_t)u[0] | (size_t)u[1] << 8 | (size_t)u[2] << 16 | (size_t)u[3] << 24;
            *p += 4;
            if ((size_t)(end - *p) < n) return NULL;
        }
        PyObject* r = decode_string(*p, n);
        *p += n;
        return r;
    }
    unsigned char w[8] = {0};
    size_t avail = (size_t)(end - *p);
    if (element && avail < 8) return NULL;
    size_t take = avail < 8 ? avail : 8; /* an int64 shorter than 8 bytes is zero-extended */
    memcpy(w, *p, take);
    *p += element ? 8 : avail;
    uint64_t u = le64_get(w);
    if (k == SC_INT) return PyLong_FromLongLong((long long)(int64_t)u);
    double d;
    memcpy(&d, &u, 8);
    return PyFloat_FromDouble(d);
}

static PyObject*
malformed(PyObject* attr)
{
    if (!PyErr_Occurred()) raise_status(HYPERCLIENT_SERVERERROR, attr);
    return NULL;
}

static PyObject*
decode_value(int datatype, const char* p, size_t n, PyObject* attr)
{
    const char* end = p + n;
    if (datatype >= HYPERDATATYPE_STRING && datatype <= HYPERDATATYPE_FLOAT)
    {
        PyObject* r = decode_scalar((enum scalar)(datatype - HYPERDATATYPE_STRING), &p, end, 0);
        return r ? r : malformed(attr);
    }
    if (datatype >= HYPERDATATYPE_LIST_GENERIC && datatype <= HYPERDATATYPE_SET_FLOAT &&
        datatype % 16 <= 3)
    {
        int is_set = datatype >= HYPERDATATYPE_SET_GENERIC;
        int e = datatype % 16 - 1; /* -1 for generic */
        PyObject* r = is_set ? PySet_New(NULL) : PyList_New(0);
        if (!r) return NULL;
        if (e < 0 && n) goto bad_container;
        while (p < end)
        {
            PyObject* x = decode_scalar((enum scalar)e, &p, end, 1);
            if (!x) goto bad_container;
            int rc = is_set ? PySet_Add(r, x) : PyList_Append(r, x);
            Py_DECREF(x);
            if (rc) goto bad_container;
        }
        return r;
    bad_container:
        Py_DECREF(r);
        return malformed(attr);
    }
    if (datatype == HYPERDATATYPE_MAP_GENERIC ||
        (datatype >= HYPERDATATYPE_MAP_STRING_STRING && datatype <= HYPERDATATYPE_MAP_FLOAT_FLOAT &&
         datatype % 16 >= 1 && datatype % 16 <= 3))
    {
        PyObject* r = PyDict_New();
        if (!r) return NULL;
        if (datatype == HYPERDATATYPE_MAP_GENERIC)
        {
            if (n) goto bad_map;
            return r;
        }
        enum scalar kk = (enum scalar)((datatype - HYPERDATATYPE_MAP_STRING_KEYONLY) / 16);
        enum scalar vk = (enum scalar)(datatype % 16 - 1);
        while (p < end)
        {
            PyObject* k = decode_scalar(kk, &p, end, 1);
            if (!k) goto bad_map;
            PyObject* v = decode_scalar(vk, &p, end, 1);
            if (!v)
            {
                Py_DECREF(k);
                goto bad_map;
            }
            int rc = PyDict_SetItem(r, k, v);
            Py_DECREF(k);
            Py_DECREF(v);
            if (rc) goto bad_map;
        }
        return r;
    bad_map:
        Py_DECREF(r);
        return malformed(attr);
    }
    return malformed(attr);
}

/* A dict of an object's attributes; with `key_last`, the first attribute (the key, which
 * libhyperclient puts first in search results) goes last, as the manual prints search results. */
static PyObject*
attrs_to_dict(const struct hyperclient_attribute* attrs, size_t n, int key_last)
{
    PyObject* d = PyDict_New();
    if (!d) return NULL;
    for (size_t j = 0; j < n; j++)
    {
        size_t i = key_last ? (j + 1) % n : j;
        PyObject* name = PyUnicode_DecodeUTF8(attrs[i].attr, (Py_ssize_t)strlen(attrs[i].attr), "surrogateescape");
        if (!name) goto fail;
        PyObject* v = decode_value((int)attrs[i].datatype, attrs[i].value, attrs[i].value_sz, name);
        if (!v)
        {
            Py_DECREF(name);
            goto fail;
        }
        int rc = PyDict_SetItem(d, name, v);
        Py_DECREF(name);
        Py_DECREF(v);
        if (rc) goto fail;
    }
    return d;
fail:
    Py_DECREF(d);
    return NULL;
}

/* ---- the client ------------------------------------------------------------------------------- */

typedef struct
{
    PyObject_HEAD
    struct hyperclient* hc;
    /* request id -> the Deferred or Search waiting for it; holds them until they complete, because
     * libhyperclient writes into their status fields */
    PyObject* pending;
    /* libhyperclient serves one thread at a time; taken with the GIL released */
    PyThread_type_lock lock;
    double timeout_s;
} ClientObject;

static PyTypeObject ClientType;

/* How a completed Deferred turns its status into wait()'s result. */
enum rkind
{
    R_GET,       /* SUCCESS -> dict, NOTFOUND -> None */
    R_TRUE,      /* SUCCESS -> True */
    R_CMP,       /* SUCCESS -> True, CMPFAIL or NOTFOUND -> False */
    R_INSERT,    /* SUCCESS -> True, CMPFAIL -> False */
    R_FOUND,     /* SUCCESS -> True, NOTFOUND -> False */
    R_COUNT,     /* SUCCESS -> int */
    R_NONE       /* SUCCESS -> None */
};

typedef struct
{
    PyObject_HEAD
    ClientObject* client;
    int64_t reqid;
    enum hyperclient_returncode status;
    struct hyperclient_attribute* attrs;
    size_t attrs_sz;
    uint64_t count;
    enum rkind rkind;
    int finished;
    PyObject* result; /* once finished: the value wait() returns, or NULL with `error` */
    PyObject* error;  /* once finished: the exception wait() raises */
} DeferredObject;

typedef struct
{
    PyObject_HEAD
    ClientObject* client;
    int64_t reqid;
    enum hyperclient_returncode status;
    struct hyperclient_attribute* attrs;
    size_t attrs_sz;
    int done;
    PyObject* queue; /* list: dicts and exceptions not yet handed out */
    Py_ssize_t head;
} SearchObject;

static PyTypeObject DeferredType, DeferredGetType, DeferredFromAttrsType, DeferredPutType, DeferredInsertType,
    DeferredCondPutType, DeferredDeleteType, DeferredMapOpType, DeferredCountType, DeferredGroupDelType,
    DeferredSpaceType, SearchType, SortedSearchType;

static void
client_lock(ClientObject* c)
{
    if (!PyThread_acquire_lock(c->lock, NOWAIT_LOCK))
    {
        Py_BEGIN_ALLOW_THREADS
        PyThread_acquire_lock(c->lock, WAIT_LOCK);
        Py_END_ALLOW_THREADS
    }
}

static void
client_unlock(ClientObject* c)
{
    PyThread_release_lock(c->lock);
}

static int
client_usable(ClientObject* c)
{
    if (c->hc) return 0;
    PyErr_SetString(PyExc_ValueError, "the client is closed");
    return -1;
}

static int
client_init(ClientObject* self, PyObject* args, PyObject* kwds)
{
    static char* kwlist[] = {"address", "port", "timeout", NULL};
    const char* address;
    int port;
    double timeout_s = DEFAULT_TIMEOUT_S;
    if (!PyArg_ParseTupleAndKeywords(args, kwds, "si|d:Client", kwlist, &address, &port, &timeout_s)) return -1;
    if (port < 1 || port > 65535)
    {
        PyErr_Format(PyExc_ValueError, "port must be in 1..65535, not %d", port);
        return -1;
    }
    if (!(timeout_s > 0))
    {
        PyErr_SetString(PyExc_ValueError, "timeout must be a positive number of seconds");
        return -1;
    }
    if (self->hc)
    {
        PyErr_SetString(PyExc_RuntimeError, "Client.__init__ called twice");
        return -1;
    }
    self->timeout_s = timeout_s;
    if (!self->lock && !(self->lock = PyThread_allocate_lock()))
    {
        PyErr_NoMemory();
        return -1;
    }
    if (!self->pending && !(self->pending = PyDict_New())) return -1;

    /* libhyperclient takes an IPv4 address; a host name is resolved here */
    char ip[INET_ADDRSTRLEN];
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_INET;
    hints.ai_socktype = SOCK_STREAM;
    int gai;
    Py_BEGIN_ALLOW_THREADS
    gai = getaddrinfo(address, NULL, &hints, &res);
    Py_END_ALLOW_THREADS
    if (gai != 0 || !res)
    {
        PyObject* a = PyUnicode_FromFormat("%s: %s", address, gai_strerror(gai));
        raise_status(HYPERCLIENT_COORDFAIL, a);
        Py_XDECREF(a);
        return -1;
    }
    inet_ntop(AF_INET, &((struct sockaddr_in*)res->ai_addr)->sin_addr, ip, sizeof(ip));
    freeaddrinfo(res);

    struct hyperclient* hc;
    Py_BEGIN_ALLOW_THREADS
    hc = hyperclient_create(ip, (in_port_t)port);
    Py_END_ALLOW_THREADS
    if (!hc)
    {
        PyObject* a = PyUnicode_FromFormat("no coordinator reached at %s:%d", address, port);
        raise_status(HYPERCLIENT_COORDFAIL, a);
        Py_XDECREF(a);
        return -1;
    }
    self->hc = hc;
    return 0;
}

/* Releases the C client first: it may still write into pending Deferreds, which `pending` keeps. */
static void
client_close_hc(ClientObject* self)
{
    if (self->hc)
    {
        struct hyperclient* hc = self->hc;
        self->hc = NULL;
        hyperclient_destroy(hc);
    }
}

static int
client_clear(ClientObject* self)
{
    client_close_hc(self);
    Py_CLEAR(self->pending);
    return 0;
}

static int
client_traverse(ClientObject* self, visitproc visit, void* arg)
{
    Py_VISIT(self->pending);
    return 0;
}

static void
client_dealloc(ClientObject* self)
{
    PyObject_GC_UnTrack(self);
    client_clear(self);
    if (self->lock) PyThread_free_lock(self->lock);
    Py_TYPE(self)->tp_free((PyObject*)self);
}

static PyObject*
client_close(ClientObject* self, PyObject* Py_UNUSED(ignored))
{
    /* no lock (nor C client) when __init__ never ran: Client.__new__(Client).close() */
    if (self->lock)
    {
        client_lock(self);
        client_close_hc(self);
        client_unlock(self);
    }
    /* whatever was pending will never complete: fail it */
    if (self->pending)
    {
        PyObject* ops = PyDict_Values(self->pending);
        if (!ops) return NULL;
        PyDict_Clear(self->pending);
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(ops); i++)
        {
            PyObject* op = PyList_GET_ITEM(ops, i);
            PyObject* exc = make_status_exc(HYPERCLIENT_DISCONNECT, NULL);
            if (!exc)
            {
                Py_DECREF(ops);
                return NULL;
            }
            if (PyObject_TypeCheck(op, &DeferredType))
            {
                DeferredObject* d = (DeferredObject*)op;
                d->finished = 1;
                Py_XSETREF(d->error, exc);
            }
            else
            {
                SearchObject* s = (SearchObject*)op;
                s->done = 1;
                int rc = PyList_Append(s->queue, exc);
                Py_DECREF(exc);
                if (rc)
                {
                    Py_DECREF(ops);
                    return NULL;
                }
            }
        }
        Py_DECREF(ops);
    }
    Py_RETURN_NONE;
}

/* ---- completion ------------------------------------------------------------------------------- */

/* Turns a finished Deferred's status into its result or error. */
static void
deferred_settle(DeferredObject* d)
{
    PyObject* r = NULL;
    int st = d->status;
    d->finished = 1;
    switch (d->rkind)
    {
        case R_GET:
            if (st == HYPERCLIENT_SUCCESS)
            {
                r = attrs_to_dict(d->attrs, d->attrs_sz, 0);
                hyperclient_destroy_attrs(d->attrs, d->attrs_sz);
                d->attrs = NULL;
                d->attrs_sz = 0;
            }
            else if (st == HYPERCLIENT_NOTFOUND)
                r = Py_NewRef(Py_None);
            break;
        case R_TRUE:
            if (st == HYPERCLIENT_SUCCESS) r = Py_NewRef(Py_True);
            break;
        case R_CMP:
            if (st == HYPERCLIENT_SUCCESS || st == HYPERCLIENT_CMPFAIL || st == HYPERCLIENT_NOTFOUND)
                r = PyBool_FromLong(st == HYPERCLIENT_SUCCESS);
            break;
        case R_INSERT:
            if (st == HYPERCLIENT_SUCCESS || st == HYPERCLIENT_CMPFAIL) r = PyBool_FromLong(st == HYPERCLIENT_SUCCESS);
            break;
        case R_FOUND:
            if (st == HYPERCLIENT_SUCCESS || st == HYPERCLIENT_NOTFOUND) r = PyBool_FromLong(st == HYPERCLIENT_SUCCESS);
            break;
        case R_COUNT:
            if (st == HYPERCLIENT_SUCCESS) r = PyLong_FromUnsignedLongLong(d->count);
            break;
        case R_NONE:
            if (st == HYPERCLIENT_SUCCESS) r = Py_NewRef(Py_None);
            break;
    }
    if (r)
    {
        Py_XSETREF(d->result, r);
        return;
    }
    PyObject* exc;
    if (PyErr_Occurred())
    {
        /* a conversion failed: wait() raises that */
        PyObject *t, *v, *tb;
        PyErr_Fetch(&t, &v, &tb);
        PyErr_NormalizeException(&t, &v, &tb);
        if (tb) PyException_SetTraceback(v, tb);
        Py_XDECREF(t);
        Py_XDECREF(tb);
        exc = v;
    }
    else
        exc = make_status_exc(st, NULL);
    if (!exc)
    {
        PyErr_Clear();
        exc = Py_NewRef(PyExc_MemoryError);
    }
    Py_XSETREF(d->error, exc);
}

/* Files one search event: an object, an error, or the end. */
static int
search_event(SearchObject* s)
{
    PyObject* item = NULL;
    if (s->status == HYPERCLIENT_SEARCHDONE)
    {
        s->done = 1;
        return 0;
    }
    if (s->status == HYPERCLIENT_SUCCESS)
    {
        item = attrs_to_dict(s->attrs, s->attrs_sz, 1);
        hyperclient_destroy_attrs(s->attrs, s->attrs_sz);
        s->attrs = NULL;
        s->attrs_sz = 0;
        if (!item) return -1;
    }
    else if (!(item = make_status_exc(s->status, NULL)))
        return -1;
    int rc = PyList_Append(s->queue, item);
    Py_DECREF(item);
    return rc;
}

typedef int (*done_fn)(PyObject*);

static int
deferred_done(PyObject* o)
{
    return ((DeferredObject*)o)->finished;
}

static int
search_ready(PyObject* o)
{
    SearchObject* s = (SearchObject*)o;
    return s->done || PyList_GET_SIZE(s->queue) > s->head;
}

/* One hyperclient_loop() call of at most `slice_ms`. Returns the op it completed (a new reference)
 * or Py_None (nothing within the slice, or `target` is done) or NULL with an exception. */
static PyObject*
client_loop_once(ClientObject* c, int slice_ms, PyObject* target, done_fn done)
{
    if (client_usable(c)) return NULL;
    enum hyperclient_returncode st = HYPERCLIENT_SUCCESS;
    int64_t id;
    client_lock(c);
    if (!c->hc)
    {
        /* closed by another thread meanwhile */
        client_unlock(c);
        client_usable(c);
        return NULL;
    }
    if (target && done(target))
    {
        /* another thread's loop completed it while this one waited for the lock */
        client_unlock(c);
        Py_RETURN_NONE;
    }
    Py_BEGIN_ALLOW_THREADS
    id = hyperclient_loop(c->hc, slice_ms, &st);
    Py_END_ALLOW_THREADS
    client_unlock(c);
    if (id < 0)
    {
        if (st == HYPERCLIENT_TIMEOUT) Py_RETURN_NONE;
        return raise_status(st, NULL);
    }
    PyObject* key = PyLong_FromLongLong(id);
    if (!key) return NULL;
    PyObject* op = PyDict_GetItemWithError(c->pending, key);
    if (!op)
    {
        /* not ours (cannot happen: every request id is filed before its call returns) */
        Py_DECREF(key);
        if (PyErr_Occurred()) return NULL;
        Py_RETURN_NONE;
    }
    Py_INCREF(op);
    int drop = 1;
    if (PyObject_TypeCheck(op, &DeferredType))
        deferred_settle((DeferredObject*)op);
    else
    {
        SearchObject* s = (SearchObject*)op;
        if (search_event(s))
        {
            /* keep the search going; hand the error to whoever reads it next */
            PyObject* exc = NULL;
            PyObject *t, *tb;
            PyErr_Fetch(&t, &exc, &tb);
            PyErr_NormalizeException(&t, &exc, &tb);
            Py_XDECREF(t);
            Py_XDECREF(tb);
            if (exc && PyList_Append(s->queue, exc)) PyErr_Clear();
            Py_XDECREF(exc);
        }
        drop = s->done;
    }
    if (drop && PyDict_DelItem(c->pending, key)) PyErr_Clear();
    Py_DECREF(key);
    return op;
}

static double
now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs the client's loop until done(target), for at most the client's timeout. */
static int
client_wait(ClientObject* c, PyObject* target, done_fn done)
{
    double deadline = now_s() + c->timeout_s;
    while (!done(target))
    {
        double left = deadline - now_s();
        if (left <= 0)
        {
            raise_status(HYPERCLIENT_TIMEOUT, NULL);
            return -1;
        }
        int slice = left * 1000 < LOOP_SLICE_MS ? (int)(left * 1000) + 1 : LOOP_SLICE_MS;
        PyObject* op = client_loop_once(c, slice, target, done);
        if (!op) return -1;
        Py_DECREF(op);
        if (PyErr_CheckSignals()) return -1;
    }
    return 0;
}

static PyObject*
client_loop(ClientObject* self, PyObject* args)
{
    double timeout_s = self->timeout_s;
    if (!PyArg_ParseTuple(args, "|d:loop", &timeout_s) || client_usable(self)) return NULL;
    if (isnan(timeout_s))
    {
        PyErr_SetString(PyExc_ValueError, "loop(timeout): timeout is NaN");
        return NULL;
    }
    double deadline = now_s() + timeout_s;
    for (;;)
    {
        double left = deadline - now_s();
        if (left <= 0) return raise_status(HYPERCLIENT_TIMEOUT, NULL);
        int slice = left * 1000 < LOOP_SLICE_MS ? (int)(left * 1000) + 1 : LOOP_SLICE_MS;
        PyObject* op = client_loop_once(self, slice, NULL, NULL);
        if (op != Py_None) return op;
        Py_DECREF(op);
        if (PyErr_CheckSignals()) return NULL;
    }
}

/* ---- Deferred and Search ---------------------------------------------------------------------- */

static int
deferred_traverse(DeferredObject* self, visitproc visit, void* arg)
{
    Py_VISIT(self->client);
    Py_VISIT(self->result);
    Py_VISIT(self->error);
    return 0;
}

static int
deferred_clear(DeferredObject* self)
{
    Py_CLEAR(self->client);
    Py_CLEAR(self->result);
    Py_CLEAR(self->error);
    return 0;
}

static void
deferred_dealloc(DeferredObject* self)
{
    PyObject_GC_UnTrack(self);
    deferred_clear(self);
    if (self->attrs) hyperclient_destroy_attrs(self->attrs, self->attrs_sz);
    Py_TYPE(self)->tp_free((PyObject*)self);
}

static PyObject*
deferred_wait(DeferredObject* self, PyObject* Py_UNUSED(ignored))
{
    if (!self->finished)
    {
        if (!self->client) return raise_status(HYPERCLIENT_LOGICERROR, NULL);
        if (client_wait(self->client, (PyObject*)self, deferred_done)) return NULL;
    }
    if (self->result) return Py_NewRef(self->result);
    if (self->error)
    {
        /* every wait() raises the same stored exception: without this, each raise would chain the
         * new traceback onto the last, keeping every frame that called wait() (and their locals)
         * alive as long as the Deferred */
        if (PyException_SetTraceback(self->error, Py_None)) return NULL;
        PyErr_SetObject((PyObject*)Py_TYPE(self->error), self->error);
        return NULL;
    }
    return raise_status(HYPERCLIENT_LOGICERROR, NULL);
}

static PyMethodDef deferred_methods[] = {
    {"wait", (PyCFunction)deferred_wait, METH_NOARGS,
     "Waits for the operation and returns what the synchronous call returns (or raises its error)."},
    {NULL, NULL, 0, NULL},
};

static int
search_traverse(SearchObject* self, visitproc visit, void* arg)
{
    Py_VISIT(self->client);
    Py_VISIT(self->queue);
    return 0;
}

static int
search_clear(SearchObject* self)
{
    Py_CLEAR(self->client);
    Py_CLEAR(self->queue);
    return 0;
}

static void
search_dealloc(SearchObject* self)
{
    PyObject_GC_UnTrack(self);
    search_clear(self);
    if (self->attrs) hyperclient_destroy_attrs(self->attrs, self->attrs_sz);
    Py_TYPE(self)->tp_free((PyObject*)self);
}

static PyObject*
search_next(SearchObject* self)
{
    if (!self->queue) return NULL;
    if (!search_ready((PyObject*)self))
    {
        if (!self->client) return NULL;
        if (client_wait(self->client, (PyObject*)self, search_ready)) return NULL;
    }
    if (PyList_GET_SIZE(self->queue) > self->head)
    {
        PyObject* item = Py_NewRef(PyList_GET_ITEM(self->queue, self->head));
        self->head++;
        /* drop what was handed out once the queue is half consumed */
        if (self->head > 64 && self->head * 2 > PyList_GET_SIZE(self->queue))
        {
            if (PyList_SetSlice(self->queue, 0, self->head, NULL))
            {
                Py_DECREF(item);
                return NULL;
            }
            self->head = 0;
        }
        if (PyExceptionInstance_Check(item))
        {
            PyErr_SetObject((PyObject*)Py_TYPE(item), item);
            Py_DECREF(item);
            return NULL;
        }
        return item;
    }
    return NULL; /* done: StopIteration */
}

/* ---- the type objects ------------------------------------------------------------------------- */

#define DEFERRED_TYPE(var, name, base, doc)                                                           \
    static PyTypeObject var = {                                                                       \
        PyVarObject_HEAD_INIT(NULL, 0).tp_name = "hyperclient." name,                                 \
        .tp_basicsize = sizeof(DeferredObject),                                                       \
        .tp_dealloc = (destructor)deferred_dealloc,                                                   \
        .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,                    \
        .tp_doc = doc,                                                                                \
        .tp_traverse = (traverseproc)deferred_traverse,                                               \
        .tp_clear = (inquiry)deferred_clear,                                                          \
        .tp_methods = deferred_methods,                                                               \
        .tp_base = base,                                                                              \
    }

DEFERRED_TYPE(DeferredType, "Deferred", NULL, "An operation in progress; wait() returns its result.");
DEFERRED_TYPE(DeferredGetType, "DeferredGet", &DeferredType, "async_get: wait() returns a dict, or None when there is no object.");
DEFERRED_TYPE(DeferredFromAttrsType, "DeferredFromAttrs", &DeferredType,
              "An update of an existing object: wait() returns True, or False when there is no object.");
DEFERRED_TYPE(DeferredPutType, "DeferredPut", &DeferredFromAttrsType, "async_put: wait() returns True.");
DEFERRED_TYPE(DeferredInsertType, "DeferredInsert", &DeferredPutType,
              "async_put and async_put_if_not_exist: wait() returns True (False when put_if_not_exist finds an object).");
DEFERRED_TYPE(DeferredCondPutType, "DeferredCondPut", &DeferredFromAttrsType,
              "async_condput and async_cond_put: wait() returns True, or False when the condition fails or there is no object.");
DEFERRED_TYPE(DeferredDeleteType, "DeferredDelete", &DeferredType,
              "async_delete: wait() returns True, or False when there was no object.");
DEFERRED_TYPE(DeferredMapOpType, "DeferredMapOp", &DeferredFromAttrsType,
              "A map operation: wait() returns True, or False when there is no object.");
DEFERRED_TYPE(DeferredCountType, "DeferredCount", &DeferredType, "async_count: wait() returns the number of matches.");
DEFERRED_TYPE(DeferredGroupDelType, "DeferredGroupDel", &DeferredType, "async_group_del: wait() returns True.");
DEFERRED_TYPE(DeferredSpaceType, "DeferredSpace", &DeferredType, "add_space and rm_space: wait() returns None.");

#define SEARCH_TYPE(var, name, doc)                                                                   \
    static PyTypeObject var = {                                                                       \
        PyVarObject_HEAD_INIT(NULL, 0).tp_name = "hyperclient." name,                                 \
        .tp_basicsize = sizeof(SearchObject),                                                         \
        .tp_dealloc = (destructor)search_dealloc,                                                     \
        .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,                    \
        .tp_doc = doc,                                                                                \
        .tp_traverse = (traverseproc)search_traverse,                                                 \
        .tp_clear = (inquiry)search_clear,                                                            \
        .tp_iter = PyObject_SelfIter,                                                                 \
        .tp_iternext = (iternextfunc)search_next,                                                     \
    }

SEARCH_TYPE(SearchType, "Search",
            "The objects a search finds, as dicts (the key attribute included); an error met on the way is raised "
            "by next() and iteration may go on.");
SEARCH_TYPE(SortedSearchType, "SortedSearch", "The objects a sorted_search finds, in order.");

static DeferredObject*
deferred_new(ClientObject* c, PyTypeObject* type, enum rkind rkind)
{
    DeferredObject* d = PyObject_GC_New(DeferredObject, type);
    if (!d) return NULL;
    d->client = (ClientObject*)Py_NewRef(c);
    d->reqid = -1;
    d->status = HYPERCLIENT_ZERO;
    d->attrs = NULL;
    d->attrs_sz = 0;
    d->count = 0;
    d->rkind = rkind;
    d->finished = 0;
    d->result = NULL;
    d->error = NULL;
    PyObject_GC_Track(d);
    return d;
}

static SearchObject*
search_new(ClientObject* c, PyTypeObject* type)
{
    SearchObject* s = PyObject_GC_New(SearchObject, type);
    if (!s) return NULL;
    s->client = (ClientObject*)Py_NewRef(c);
    s->reqid = -1;
    s->status = HYPERCLIENT_ZERO;
    s->attrs = NULL;
    s->attrs_sz = 0;
    s->done = 0;
    s->head = 0;
    s->queue = PyList_New(0);
    PyObject_GC_Track(s);
    if (!s->queue)
    {
        Py_DECREF(s);
        return NULL;
    }
    return s;
}

/* Files a started request under its id. */
static int
file_pending(ClientObject* c, int64_t id, PyObject* op)
{
    PyObject* key = PyLong_FromLongLong(id);
    if (!key) return -1;
    int rc = PyDict_SetItem(c->pending, key, op);
    Py_DECREF(key);
    return rc;
}

/* ---- arguments -------------------------------------------------------------------------------- */

/* A NUL-terminated name (space, attribute) from a str or bytes. */
static const char*
name_of(struct scratch* s, PyObject* o, const char* what)
{
    const char* p;
    Py_ssize_t n;
    if (!PyUnicode_Check(o) && !PyBytes_Check(o))
    {
        PyErr_Format(PyExc_TypeError, "%s must be str or bytes, not %.100s", what, Py_TYPE(o)->tp_name);
        return NULL;
    }
    if (string_bytes(o, &p, &n)) return NULL;
    if ((size_t)n != strlen(p))
    {
        PyErr_Format(PyExc_ValueError, "%s contains a NUL character", what);
        return NULL;
    }
    if (scratch_keep(s, o)) return NULL;
    return p;
}

/* A key: str or bytes as its bytes, an int as 8 bytes little-endian (as HyperDex 0.4 packed an
 * integer key), a float as its 8 IEEE-754 bytes. */
static int
key_of(struct scratch* s, PyObject* o, const char** p, size_t* n)
{
    if (PyUnicode_Check(o) || PyBytes_Check(o))
    {
        Py_ssize_t sz;
        if (string_bytes(o, p, &sz) || scratch_keep(s, o)) return -1;
        *n = (size_t)sz;
        return 0;
    }
    if (PyLong_Check(o) || PyFloat_Check(o))
    {
        struct buf b = {0};
        if (put_scalar(&b, o, PyLong_Check(o) ? SC_INT : SC_FLOAT, 0, 0) || scratch_adopt(s, b.p))
        {
            PyMem_Free(b.p);
            return -1;
        }
        *p = b.p;
        *n = b.n;
        return 0;
    }
    PyErr_Format(PyExc_TypeError, "a key must be str, bytes, int or float, not %.100s", Py_TYPE(o)->tp_name);
    return -1;
}

/* One element of the C call's attribute arrays, and where it came from. */
struct entry
{
    PyObject* name_obj;
    const char* name;
    PyObject* value;   /* the Python value (or range bound, or map value) */
    PyObject* map_key; /* map operations: the key within the map */
    int mode, relevant;
    enum hyperpredicate predicate;
    int datatype;
    const char* p;
    size_t n;
    const char* kp;
    size_t kn;
};

static int
entry_encode(struct scratch* s, struct entry* e)
{
    struct buf b = {0};
    if (encode_value(e->value, e->mode, &b, &e->datatype))
    {
        PyMem_Free(b.p);
        return -1;
    }
    if (b.p && scratch_adopt(s, b.p)) return -1;
    e->p = b.p ? b.p : "";
    e->n = b.n;
    return 0;
}

struct entries
{
    struct entry* e;
    size_t n, cap;
};

static struct entry*
entries_add(struct scratch* s, struct entries* es, PyObject* name, PyObject* value)
{
    if (es->n == es->cap)
    {
        size_t cap = es->cap ? 2 * es->cap : 8;
        struct entry* e = PyMem_Realloc(es->e, cap * sizeof(*e));
        if (!e)
        {
            PyErr_NoMemory();
            return NULL;
        }
        es->e = e;
        es->cap = cap;
    }
    struct entry* e = &es->e[es->n];
    memset(e, 0, sizeof(*e));
    if (!(e->name = name_of(s, name, "an attribute name")) || scratch_keep(s, value)) return NULL;
    e->name_obj = name;
    e->value = value;
    e->predicate = HYPERPREDICATE_EQUALS;
    e->relevant = relevant_modes(value);
    es->n++;
    return e;
}

static int
require_dict(PyObject* o, const char* what)
{
    if (PyDict_Check(o)) return 0;
    PyErr_Format(PyExc_TypeError, "%s must be a dict, not %.100s", what, Py_TYPE(o)->tp_name);
    return -1;
}

/* The (name, value) pairs of a dict as a list the scratch keeps (a borrowed reference; NULL on
 * error). Encoding a value may run Python code (a list subclass's __iter__) that changes the dict:
 * walking it with PyDict_Next then could see more pairs than it counted, or names and values freed
 * under it. A copy keeps both fixed and alive. */
static PyObject*
items_of(struct scratch* s, PyObject* d)
{
    PyObject* items = PyDict_Items(d);
    if (!items) return NULL;
    int rc = scratch_keep(s, items);
    Py_DECREF(items);
    return rc ? NULL : items;
}

#define ITEM_KEY(items, i) PyTuple_GET_ITEM(PyList_GET_ITEM((items), (i)), 0)
#define ITEM_VALUE(items, i) PyTuple_GET_ITEM(PyList_GET_ITEM((items), (i)), 1)

/* attrs {name: value} -> entries, encoded. */
static int
entries_from_attrs(struct scratch* s, struct entries* es, PyObject* attrs, const char* what)
{
    PyObject* items;
    if (require_dict(attrs, what) || !(items = items_of(s, attrs))) return -1;
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(items); i++)
    {
        struct entry* e = entries_add(s, es, ITEM_KEY(items, i), ITEM_VALUE(items, i));
        if (!e || entry_encode(s, e)) return -1;
    }
    return 0;
}

static int
is_range(PyObject* v)
{
    return PyTuple_Check(v) && PyTuple_GET_SIZE(v) == 2;
}

/* A predicate {name: value or (lower, upper)} -> checks: EQUALS, or GREATER_EQUAL and LESS_THAN. */
static int
entries_from_predicate(struct scratch* s, struct entries* es, PyObject* pred, const char* what)
{
    PyObject* items;
    if (require_dict(pred, what) || !(items = items_of(s, pred))) return -1;
    for (Py_ssize_t j = 0; j < PyList_GET_SIZE(items); j++)
    {
        PyObject* k = ITEM_KEY(items, j);
        PyObject* v = ITEM_VALUE(items, j);
        if (is_range(v))
        {
            for (int i = 0; i < 2; i++)
            {
                PyObject* bound = PyTuple_GET_ITEM(v, i);
                if (scalar_kind(bound) == SC_NONE)
                {
                    PyErr_Format(PyExc_TypeError, "the bounds of a range must be str, bytes, int or float, not %.100s",
                                 Py_TYPE(bound)->tp_name);
                    return -1;
                }
                struct entry* e = entries_add(s, es, k, bound);
                if (!e) return -1;
                e->predicate = i == 0 ? HYPERPREDICATE_GREATER_EQUAL : HYPERPREDICATE_LESS_THAN;
                if (entry_encode(s, e)) return -1;
            }
        }
        else
        {
            struct entry* e = entries_add(s, es, k, v);
            if (!e || entry_encode(s, e)) return -1;
        }
    }
    return 0;
}

static struct hyperclient_attribute*
as_attributes(struct scratch* s, const struct entries* es, size_t from, size_t to)
{
    struct hyperclient_attribute* a = scratch_alloc(s, (to - from) * sizeof(*a));
    if (!a) return NULL;
    for (size_t i = from; i < to; i++)
        a[i - from] = (struct hyperclient_attribute){es->e[i].name, es->e[i].p, es->e[i].n,
                                                     (enum hyperdatatype)es->e[i].datatype};
    return a;
}

static struct hyperclient_attribute_check*
as_checks(struct scratch* s, const struct entries* es, size_t from, size_t to)
{
    struct hyperclient_attribute_check* a = scratch_alloc(s, (to - from) * sizeof(*a));
    if (!a) return NULL;
    for (size_t i = from; i < to; i++)
        a[i - from] = (struct hyperclient_attribute_check){es->e[i].name, es->e[i].p, es->e[i].n,
                                                           (enum hyperdatatype)es->e[i].datatype, es->e[i].predicate};
    return a;
}

static struct hyperclient_map_attribute*
as_map_attributes(struct scratch* s, const struct entries* es)
{
    struct hyperclient_map_attribute* a = scratch_alloc(s, es->n * sizeof(*a));
    if (!a) return NULL;
    for (size_t i = 0; i < es->n; i++)
        a[i] = (struct hyperclient_map_attribute){es->e[i].name, es->e[i].kp, es->e[i].kn, es->e[i].p, es->e[i].n,
                                                  (enum hyperdatatype)es->e[i].datatype};
    return a;
}

/* Handles a refused call: retries (returns 1) when the refusal is WRONGTYPE on an entry that has an
 * encoding not yet tried, else raises the status with the attribute's name and returns -1. */
static int
refused(struct scratch* s, struct entries* es, int64_t ret, enum hyperclient_returncode st)
{
    PyObject* attr = NULL;
    int by_attr = st == HYPERCLIENT_UNKNOWNATTR || st == HYPERCLIENT_WRONGTYPE || st == HYPERCLIENT_DUPEATTR ||
                  st == HYPERCLIENT_DONTUSEKEY;
    if (by_attr && ret <= -1 && (uint64_t)(-1 - ret) < es->n)
    {
        struct entry* e = &es->e[-1 - ret];
        attr = e->name_obj;
        int m = st == HYPERCLIENT_WRONGTYPE ? next_mode(e->mode, e->relevant) : -1;
        if (m > 0)
        {
            e->mode = m;
            return entry_encode(s, e) ? -1 : 1;
        }
    }
    raise_status(st, attr);
    return -1;
}

/* ---- the operations --------------------------------------------------------------------------- */

typedef int64_t (*attrs_fn)(struct hyperclient*, const char*, const char*, size_t, const struct hyperclient_attribute*,
                            size_t, enum hyperclient_returncode*);
typedef int64_t (*map_fn)(struct hyperclient*, const char*, const char*, size_t, const struct hyperclient_map_attribute*,
                          size_t, enum hyperclient_returncode*);

/* Every C call is made the same way: with the client's lock, the GIL released. */
#define CALL(c, ret, expr)                                                                            \
    do                                                                                                \
    {                                                                                                 \
        client_lock(c);                                                                               \
        if (!(c)->hc)                                                                                 \
        {                                                                                             \
            client_unlock(c);                                                                         \
            client_usable(c);                                                                         \
            goto fail;                                                                                \
        }                                                                                             \
        struct hyperclient* hc_ = (c)->hc;                                                            \
        Py_BEGIN_ALLOW_THREADS(ret) = (expr);                                                         \
        Py_END_ALLOW_THREADS client_unlock(c);                                                        \
    } while (0)

/* Ends an async_* method: the Deferred is filed (ret >= 0) or the call was refused. */
static PyObject*
started(ClientObject* c, PyObject* op, int64_t ret)
{
    if (file_pending(c, ret, op))
    {
        /* the request is out and libhyperclient will write its status: the op's reference is
         * deliberately kept (leaked) rather than let it be freed under the library (out of memory) */
        return NULL;
    }
    if (PyObject_TypeCheck(op, &DeferredType))
        ((DeferredObject*)op)->reqid = ret;
    else
        ((SearchObject*)op)->reqid = ret;
    return op;
}

static PyObject*
sync_of(PyObject* d)
{
    if (!d) return NULL;
    PyObject* r = deferred_wait((DeferredObject*)d, NULL);
    Py_DECREF(d);
    return r;
}

static PyObject*
op_get(ClientObject* self, PyObject* args)
{
    PyObject *space, *key;
    if (!PyArg_ParseTuple(args, "OO:get", &space, &key)) return NULL;
    struct scratch s = {0};
    DeferredObject* d = NULL;
    const char *sp, *kp;
    size_t kn;
    int64_t ret;
    enum hyperclient_returncode st;
    if (client_usable(self) || !(sp = name_of(&s, space, "space")) || key_of(&s, key, &kp, &kn)) goto fail;
    if (!(d = deferred_new(self, &DeferredGetType, R_GET))) goto fail;
    CALL(self, ret, hyperclient_get(hc_, sp, kp, kn, &d->status, &d->attrs, &d->attrs_sz));
    if (ret < 0)
    {
        st = d->status;
        raise_status(st, NULL);
        goto fail;
    }
    scratch_free(&s);
    return started(self, (PyObject*)d, ret);
fail:
    scratch_free(&s);
    Py_XDECREF(d);
    return NULL;
}

static PyObject*
op_delete(ClientObject* self, PyObject* args)
{
    PyObject *space, *key;
    if (!PyArg_ParseTuple(args, "OO:delete", &space, &key)) return NULL;
    struct scratch s = {0};
    DeferredObject* d = NULL;
    const char *sp, *kp;
    size_t kn;
    int64_t ret;
    if (client_usable(self) || !(sp = name_of(&s, space, "space")) || key_of(&s, key, &kp, &kn)) goto fail;
    if (!(d = deferred_new(self, &DeferredDeleteType, R_FOUND))) goto fail;
    CALL(self, ret, hyperclient_del(hc_, sp, kp, kn, &d->status));
    if (ret < 0)
    {
        raise_status(d->status, NULL);
        goto fail;
    }
    scratch_free(&s);
    return started(self, (PyObject*)d, ret);
fail:
    scratch_free(&s);
    Py_XDECREF(d);
    return NULL;
}

/* put, put_if_not_exist, the atomic, string, list and set operations: (space, key, attrs). */
static PyObject*
op_attrs(ClientObject* self, PyObject* args, const char* fmt, attrs_fn fn, PyTypeObject* type, enum rkind rk)
{
    PyObject *space, *key, *attrs;
    if (!PyArg_ParseTuple(args, fmt, &space, &key, &attrs)) return NULL;
    struct scratch s = {0};
    struct entries es = {0};
    DeferredObject* d = NULL;
    const char *sp, *kp;
    size_t kn;
    int64_t ret = -1;
    if (client_usable(self) || !(sp = name_of(&s, space, "space")) || key_of(&s, key, &kp, &kn) ||
        entries_from_attrs(&s, &es, attrs, "attrs"))
        goto fail;
    if (!(d = deferred_new(self, type, rk))) goto fail;
    for (;;)
    {
        struct hyperclient_attribute* a = as_attributes(&s, &es, 0, es.n);
        if (!a) goto fail;
        CALL(self, ret, fn(hc_, sp, kp, kn, a, es.n, &d->status));
        if (ret >= 0) break;
        if (refused(&s, &es, ret, d->status) < 0) goto fail;
    }
    PyMem_Free(es.e);
    scratch_free(&s);
    return started(self, (PyObject*)d, ret);
fail:
    PyMem_Free(es.e);
    scratch_free(&s);
    Py_XDECREF(d);
    return NULL;
}

/* map_remove: (space, key, {map attribute: keys}) where the keys are a dict's keys, a set, list or
 * tuple of keys, or one key. */
static PyObject*
op_map_remove(ClientObject* self, PyObject* args, const char* fmt)
{
    PyObject *space, *key, *attrs;
    if (!PyArg_ParseTuple(args, fmt, &space, &key, &attrs)) return NULL;
    struct scratch s = {0};
    struct entries es = {0};
    DeferredObject* d = NULL;
    const char *sp, *kp;
    size_t kn;
    int64_t ret = -1;
    PyObject* items;
    if (client_usable(self) || !(sp = name_of(&s, space, "space")) || key_of(&s, key, &kp, &kn) ||
        require_dict(attrs, "attrs") || !(items = items_of(&s, attrs)))
        goto fail;
    for (Py_ssize_t j = 0; j < PyList_GET_SIZE(items); j++)
    {
        PyObject* k = ITEM_KEY(items, j);
        PyObject* v = ITEM_VALUE(items, j);
        PyObject* keys;
        if (PyDict_Check(v))
            keys = PyDict_Keys(v);
        else if (PyAnySet_Check(v) || PyList_Check(v) || PyTuple_Check(v))
            keys = PySequence_List(v);
        else if ((keys = PyList_New(1)))
            PyList_SET_ITEM(keys, 0, Py_NewRef(v));
        if (!keys || scratch_keep(&s, keys))
        {
            Py_XDECREF(keys);
            goto fail;
        }
        Py_DECREF(keys); /* kept by the scratch */
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(keys); i++)
        {
            PyObject* mk = PyList_GET_ITEM(keys, i);
            if (scalar_kind(mk) == SC_NONE)
            {
                PyErr_Format(PyExc_TypeError, "a map key must be str, bytes, int or float, not %.100s",
                             Py_TYPE(mk)->tp_name);
                goto fail;
            }
            struct entry* e = entries_add(&s, &es, k, mk);
            if (!e || entry_encode(&s, e)) goto fail;
        }
    }
    if (!(d = deferred_new(self, &DeferredMapOpType, R_FOUND))) goto fail;
    for (;;)
    {
        struct hyperclient_attribute* a = as_attributes(&s, &es, 0, es.n);
        if (!a) goto fail;
        CALL(self, ret, hyperclient_map_remove(hc_, sp, kp, kn, a, es.n, &d->status));
        if (ret >= 0) break;
        if (refused(&s, &es, ret, d->status) < 0) goto fail;
    }
    PyMem_Free(es.e);
    scratch_free(&s);
    return started(self, (PyObject*)d, ret);
fail:
    PyMem_Free(es.e);
    scratch_free(&s);
    Py_XDECREF(d);
    return NULL;
}

/* map_add and map_atomic_*: (space, key, {map attribute: {map key: value}}). */
static PyObject*
op_map(ClientObject* self, PyObject* args, const char* fmt, map_fn fn)
{
    PyObject *space, *key, *attrs;
    if (!PyArg_ParseTuple(args, fmt, &space, &key, &attrs)) return NULL;
    struct scratch s = {0};
    struct entries es = {0};
    DeferredObject* d = NULL;
    const char *sp, *kp;
    size_t kn;
    int64_t ret = -1;
    PyObject* items;
    if (client_usable(self) || !(sp = name_of(&s, space, "space")) || key_of(&s, key, &kp, &kn) ||
        require_dict(attrs, "attrs") || !(items = items_of(&s, attrs)))
        goto fail;
    for (Py_ssize_t j = 0; j < PyList_GET_SIZE(items); j++)
    {
        PyObject* k = ITEM_KEY(items, j);
        PyObject* v = ITEM_VALUE(items, j);
        if (!PyDict_Check(v))
        {
            PyErr_Format(PyExc_TypeError, "the operand of map attribute %R must be a dict {map key: value}, not %.100s",
                         k, Py_TYPE(v)->tp_name);
            goto fail;
        }
        Py_ssize_t ipos = 0;
        PyObject *mk, *mv;
        while (PyDict_Next(v, &ipos, &mk, &mv))
        {
            enum scalar kk = scalar_kind(mk);
            if (kk == SC_NONE || scalar_kind(mv) == SC_NONE)
            {
                PyErr_Format(PyExc_TypeError, "map keys and values must be str, bytes, int or float, not %.100s",
                             Py_TYPE(kk == SC_NONE ? mk : mv)->tp_name);
                goto fail;
            }
            struct entry* e = entries_add(&s, &es, k, mv);
            if (!e || scratch_keep(&s, mk)) goto fail;
            e->map_key = mk;
            struct buf b = {0};
            if (put_scalar(&b, mk, kk, 0, 0))
            {
                PyMem_Free(b.p);
                goto fail;
            }
            if (b.p && scratch_adopt(&s, b.p)) goto fail;
            e->kp = b.p ? b.p : "";
            e->kn = b.n;
            if (entry_encode(&s, e)) goto fail;
        }
    }
    if (!(d = deferred_new(self, &DeferredMapOpType, R_FOUND))) goto fail;
    for (;;)
    {
        struct hyperclient_map_attribute* a = as_map_attributes(&s, &es);
        if (!a) goto fail;
        CALL(self, ret, fn(hc_, sp, kp, kn, a, es.n, &d->status));
        if (ret >= 0) break;
        if (refused(&s, &es, ret, d->status) < 0) goto fail;
    }
    PyMem_Free(es.e);
    scratch_free(&s);
    return started(self, (PyObject*)d, ret);
fail:
    PyMem_Free(es.e);
    scratch_free(&s);
    Py_XDECREF(d);
    return NULL;
}

static int
has_range(PyObject* pred)
{
    Py_ssize_t pos = 0;
    PyObject *k, *v;
    while (PyDict_Next(pred, &pos, &k, &v))
        if (is_range(v)) return 1;
    return 0;
}

/* condput (0.4: equality conditions; a range goes through cond_put) and cond_put (checks). */
static PyObject*
op_condput(ClientObject* self, PyObject* args, const char* fmt, int checks)
{
    PyObject *space, *key, *cond, *attrs;
    if (!PyArg_ParseTuple(args, fmt, &space, &key, &cond, &attrs)) return NULL;
    struct scratch s = {0};
    struct entries es = {0};
    DeferredObject* d = NULL;
    const char *sp, *kp;
    size_t kn;
    int64_t ret = -1;
    if (client_usable(self) || !(sp = name_of(&s, space, "space")) || key_of(&s, key, &kp, &kn) ||
        require_dict(cond, "condition"))
        goto fail;
    checks = checks || has_range(cond);
    if ((checks ? entries_from_predicate(&s, &es, cond, "condition") : entries_from_attrs(&s, &es, cond, "condition")))
        goto fail;
    size_t nc = es.n;
    if (entries_from_attrs(&s, &es, attrs, "attrs")) goto fail;
    if (!(d = deferred_new(self, &DeferredCondPutType, R_CMP))) goto fail;
    for (;;)
    {
        struct hyperclient_attribute* a = as_attributes(&s, &es, nc, es.n);
        if (!a) goto fail;
        if (checks)
        {
            struct hyperclient_attribute_check* c = as_checks(&s, &es, 0, nc);
            if (!c) goto fail;
            CALL(self, ret, hyperclient_cond_put(hc_, sp, kp, kn, c, nc, a, es.n - nc, &d->status));
        }
        else
        {
            struct hyperclient_attribute* c = as_attributes(&s, &es, 0, nc);
            if (!c) goto fail;
            CALL(self, ret, hyperclient_condput(hc_, sp, kp, kn, c, nc, a, es.n - nc, &d->status));
        }
        if (ret >= 0) break;
        if (refused(&s, &es, ret, d->status) < 0) goto fail;
    }
    PyMem_Free(es.e);
    scratch_free(&s);
    return started(self, (PyObject*)d, ret);
fail:
    PyMem_Free(es.e);
    scratch_free(&s);
    Py_XDECREF(d);
    return NULL;
}

/* search(space, predicate): equality on any attribute, (lower, upper) ranges on int64 attributes
 * (what hyperclient_search takes: lower <= value < upper). */
static PyObject*
op_search(ClientObject* self, PyObject* args)
{
    PyObject *space, *pred;
    if (!PyArg_ParseTuple(args, "OO:search", &space, &pred)) return NULL;
    struct scratch s = {0};
    struct entries es = {0};
    SearchObject* so = NULL;
    const char* sp;
    int64_t ret = -1;
    struct hyperclient_range_query* rn = NULL;
    size_t rn_n = 0;
    PyObject* items;
    if (client_usable(self) || !(sp = name_of(&s, space, "space")) || require_dict(pred, "predicate") ||
        !(items = items_of(&s, pred)))
        goto fail;
    /* as many ranges as pairs at most: the copy's length cannot change */
    Py_ssize_t npred = PyList_GET_SIZE(items);
    if (!(rn = scratch_alloc(&s, (size_t)npred * sizeof(*rn)))) goto fail;
    /* equalities first (eq), then the ranges (rn), as the C call numbers them */
    for (Py_ssize_t j = 0; j < npred; j++)
    {
        PyObject* k = ITEM_KEY(items, j);
        PyObject* v = ITEM_VALUE(items, j);
        if (is_range(v)) continue;
        struct entry* e = entries_add(&s, &es, k, v);
        if (!e || entry_encode(&s, e)) goto fail;
    }
    size_t neq = es.n;
    for (Py_ssize_t j = 0; j < npred; j++)
    {
        PyObject* k = ITEM_KEY(items, j);
        PyObject* v = ITEM_VALUE(items, j);
        if (!is_range(v)) continue;
        int64_t b[2];
        for (int i = 0; i < 2; i++)
        {
            PyObject* bound = PyTuple_GET_ITEM(v, i);
            if (!PyLong_Check(bound))
            {
                PyErr_Format(PyExc_TypeError,
                             "search takes (lower, upper) ranges of ints (int64 attributes), not %.100s; "
                             "count, group_del and sorted_search take ranges of any type",
                             Py_TYPE(bound)->tp_name);
                goto fail;
            }
            if (int64_of(bound, &b[i])) goto fail;
        }
        struct entry* e = entries_add(&s, &es, k, v);
        if (!e) goto fail;
        e->relevant = 0; /* nothing to re-encode: libhyperclient takes the bounds as int64 */
        rn[rn_n++] = (struct hyperclient_range_query){e->name, (uint64_t)b[0], (uint64_t)b[1]};
    }
    if (!(so = search_new(self, &SearchType))) goto fail;
    for (;;)
    {
        struct hyperclient_attribute* a = as_attributes(&s, &es, 0, neq);
        if (!a) goto fail;
        CALL(self, ret, hyperclient_search(hc_, sp, a, neq, rn, rn_n, &so->status, &so->attrs, &so->attrs_sz));
        if (ret >= 0) break;
        if (refused(&s, &es, ret, so->status) < 0) goto fail;
    }
    PyMem_Free(es.e);
    scratch_free(&s);
    return started(self, (PyObject*)so, ret);
fail:
    PyMem_Free(es.e);
    scratch_free(&s);
    Py_XDECREF(so);
    return NULL;
}

/* count and group_del: (space, predicate). */
static PyObject*
op_checks(ClientObject* self, PyObject* args, const char* fmt, int count)
{
    PyObject *space, *pred;
    if (!PyArg_ParseTuple(args, fmt, &space, &pred)) return NULL;
    struct scratch s = {0};
    struct entries es = {0};
    DeferredObject* d = NULL;
    const char* sp;
    int64_t ret = -1;
    if (client_usable(self) || !(sp = name_of(&s, space, "space")) ||
        entries_from_predicate(&s, &es, pred, "predicate"))
        goto fail;
    if (!(d = deferred_new(self, count ? &DeferredCountType : &DeferredGroupDelType, count ? R_COUNT : R_TRUE)))
        goto fail;
    for (;;)
    {
        struct hyperclient_attribute_check* c = as_checks(&s, &es, 0, es.n);
        if (!c) goto fail;
        if (count)
            CALL(self, ret, hyperclient_count(hc_, sp, c, es.n, &d->status, &d->count));
        else
            CALL(self, ret, hyperclient_group_del(hc_, sp, c, es.n, &d->status));
        if (ret >= 0) break;
        if (refused(&s, &es, ret, d->status) < 0) goto fail;
    }
    PyMem_Free(es.e);
    scratch_free(&s);
    return started(self, (PyObject*)d, ret);
fail:
    PyMem_Free(es.e);
    scratch_free(&s);
    Py_XDECREF(d);
    return NULL;
}

/* sorted_search(space, predicate, sort_by, limit, maxmin): maxmin 'max' (or 'descending', or a
 * true value) for the largest first, 'min' ('ascending', a false value) for the smallest first. */
static PyObject*
op_sorted_search(ClientObject* self, PyObject* args)
{
    PyObject *space, *pred, *sort_by, *limit_o, *maxmin_o;
    if (!PyArg_ParseTuple(args, "OOOOO:sorted_search", &space, &pred, &sort_by, &limit_o, &maxmin_o)) return NULL;
    struct scratch s = {0};
    struct entries es = {0};
    SearchObject* so = NULL;
    const char *sp, *by;
    int64_t ret = -1;
    int maxmin;
    if (!PyLong_Check(limit_o))
    {
        PyErr_Format(PyExc_TypeError, "limit must be an int, not %.100s", Py_TYPE(limit_o)->tp_name);
        return NULL;
    }
    unsigned long long limit = PyLong_AsUnsignedLongLong(limit_o);
    if (limit == (unsigned long long)-1 && PyErr_Occurred()) return NULL;
    if (PyUnicode_Check(maxmin_o))
    {
        if (PyUnicode_CompareWithASCIIString(maxmin_o, "max") == 0 ||
            PyUnicode_CompareWithASCIIString(maxmin_o, "descending") == 0)
            maxmin = 1;
        else if (PyUnicode_CompareWithASCIIString(maxmin_o, "min") == 0 ||
                 PyUnicode_CompareWithASCIIString(maxmin_o, "ascending") == 0)
            maxmin = 0;
        else
        {
            PyErr_Format(PyExc_ValueError, "maxmin must be 'max', 'min', 'descending' or 'ascending', not %R", maxmin_o);
            return NULL;
        }
    }
    else if (PyBool_Check(maxmin_o) || PyLong_Check(maxmin_o))
        maxmin = PyObject_IsTrue(maxmin_o);
    else
    {
        PyErr_Format(PyExc_TypeError, "maxmin must be 'max' or 'min' (or a bool), not %.100s", Py_TYPE(maxmin_o)->tp_name);
        return NULL;
    }
    if (client_usable(self) || !(sp = name_of(&s, space, "space")) || !(by = name_of(&s, sort_by, "sort_by")) ||
        entries_from_predicate(&s, &es, pred, "predicate"))
        goto fail;
    if (!(so = search_new(self, &SortedSearchType))) goto fail;
    for (;;)
    {
        struct hyperclient_attribute_check* c = as_checks(&s, &es, 0, es.n);
        if (!c) goto fail;
        CALL(self, ret,
             hyperclient_sorted_search(hc_, sp, c, es.n, by, (uint64_t)limit, maxmin, &so->status, &so->attrs,
                                       &so->attrs_sz));
        if (ret >= 0) break;
        /* the attribute sorted by counts after the checks (-1 - checks_sz): name it, as refused()
         * names a check's attribute */
        if (ret == -1 - (int64_t)es.n && (so->status == HYPERCLIENT_UNKNOWNATTR || so->status == HYPERCLIENT_WRONGTYPE))
        {
            raise_status(so->status, sort_by);
            goto fail;
        }
        if (refused(&s, &es, ret, so->status) < 0) goto fail;
    }
    PyMem_Free(es.e);
    scratch_free(&s);
    return started(self, (PyObject*)so, ret);
fail:
    PyMem_Free(es.e);
    scratch_free(&s);
    Py_XDECREF(so);
    return NULL;
}

/* add_space(description) and rm_space(name): return None. */
static PyObject*
op_space(ClientObject* self, PyObject* args, int add)
{
    PyObject* text;
    if (!PyArg_ParseTuple(args, add ? "O:add_space" : "O:rm_space", &text)) return NULL;
    struct scratch s = {0};
    DeferredObject* d = NULL;
    const char* t;
    int64_t ret;
    if (client_usable(self) || !(t = name_of(&s, text, add ? "the space description" : "space"))) goto fail;
    if (!(d = deferred_new(self, &DeferredSpaceType, R_NONE))) goto fail;
    if (add)
        CALL(self, ret, hyperclient_add_space(hc_, t, &d->status));
    else
        CALL(self, ret, hyperclient_rm_space(hc_, t, &d->status));
    if (ret < 0)
    {
        raise_status(d->status, NULL);
        goto fail;
    }
    scratch_free(&s);
    return sync_of(started(self, (PyObject*)d, ret));
fail:
    scratch_free(&s);
    Py_XDECREF(d);
    return NULL;
}

static PyObject*
m_add_space(ClientObject* self, PyObject* args)
{
    return op_space(self, args, 1);
}

static PyObject*
m_rm_space(ClientObject* self, PyObject* args)
{
    return op_space(self, args, 0);
}

/* ---- the method table ------------------------------------------------------------------------- */

static PyObject*
m_get(ClientObject* self, PyObject* args)
{
    return sync_of(op_get(self, args));
}

static PyObject*
m_delete(ClientObject* self, PyObject* args)
{
    return sync_of(op_delete(self, args));
}

static PyObject*
m_condput(ClientObject* self, PyObject* args)
{
    return sync_of(op_condput(self, args, "OOOO:condput", 0));
}

static PyObject*
m_async_condput(ClientObject* self, PyObject* args)
{
    return op_condput(self, args, "OOOO:async_condput", 0);
}

static PyObject*
m_cond_put(ClientObject* self, PyObject* args)
{
    return sync_of(op_condput(self, args, "OOOO:cond_put", 1));
}

static PyObject*
m_async_cond_put(ClientObject* self, PyObject* args)
{
    return op_condput(self, args, "OOOO:async_cond_put", 1);
}

static PyObject*
m_count(ClientObject* self, PyObject* args)
{
    return sync_of(op_checks(self, args, "OO:count", 1));
}

static PyObject*
m_async_count(ClientObject* self, PyObject* args)
{
    return op_checks(self, args, "OO:async_count", 1);
}

static PyObject*
m_group_del(ClientObject* self, PyObject* args)
{
    return sync_of(op_checks(self, args, "OO:group_del", 0));
}

static PyObject*
m_async_group_del(ClientObject* self, PyObject* args)
{
    return op_checks(self, args, "OO:async_group_del", 0);
}

/* The (space, key, attrs) operations: one line each makes the sync and async methods. */
#define ATTRS_OPS(X)                                                                                  \
    X(put, hyperclient_put, DeferredInsertType, R_TRUE)                                               \
    X(put_if_not_exist, hyperclient_put_if_not_exist, DeferredInsertType, R_INSERT)                   \
    X(atomic_add, hyperclient_atomic_add, DeferredFromAttrsType, R_FOUND)                             \
    X(atomic_sub, hyperclient_atomic_sub, DeferredFromAttrsType, R_FOUND)                             \
    X(atomic_mul, hyperclient_atomic_mul, DeferredFromAttrsType, R_FOUND)                             \
    X(atomic_div, hyperclient_atomic_div, DeferredFromAttrsType, R_FOUND)                             \
    X(atomic_mod, hyperclient_atomic_mod, DeferredFromAttrsType, R_FOUND)                             \
    X(atomic_and, hyperclient_atomic_and, DeferredFromAttrsType, R_FOUND)                             \
    X(atomic_or, hyperclient_atomic_or, DeferredFromAttrsType, R_FOUND)                               \
    X(atomic_xor, hyperclient_atomic_xor, DeferredFromAttrsType, R_FOUND)                             \
    X(string_prepend, hyperclient_string_prepend, DeferredFromAttrsType, R_FOUND)                     \
    X(string_append, hyperclient_string_append, DeferredFromAttrsType, R_FOUND)                       \
    X(list_lpush, hyperclient_list_lpush, DeferredFromAttrsType, R_FOUND)                             \
    X(list_rpush, hyperclient_list_rpush, DeferredFromAttrsType, R_FOUND)                             \
    X(set_add, hyperclient_set_add, DeferredFromAttrsType, R_FOUND)                                   \
    X(set_remove, hyperclient_set_remove, DeferredFromAttrsType, R_FOUND)                             \
    X(set_intersect, hyperclient_set_intersect, DeferredFromAttrsType, R_FOUND)                       \
    X(set_union, hyperclient_set_union, DeferredFromAttrsType, R_FOUND)

#define MAP_OPS(X)                                                                                    \
    X(map_add, hyperclient_map_add)                                                                   \
    X(map_atomic_add, hyperclient_map_atomic_add)                                                     \
    X(map_atomic_sub, hyperclient_map_atomic_sub)                                                     \
    X(map_atomic_mul, hyperclient_map_atomic_mul)                                                     \
    X(map_atomic_div, hyperclient_map_atomic_div)                                                     \
    X(map_atomic_mod, hyperclient_map_atomic_mod)                                                     \
    X(map_atomic_and, hyperclient_map_atomic_and)                                                     \
    X(map_atomic_or, hyperclient_map_atomic_or)                                                       \
    X(map_atomic_xor, hyperclient_map_atomic_xor)                                                     \
    X(map_string_prepend, hyperclient_map_string_prepend)                                             \
    X(map_string_append, hyperclient_map_string_append)

#define DEFINE_ATTRS_OP(name, fn, type, rk)                                                           \
    static PyObject* m_async_##name(ClientObject* self, PyObject* args)                               \
    {                                                                                                 \
        return op_attrs(self, args, "OOO:async_" #name, fn, &type, rk);                               \
    }                                                                                                 \
    static PyObject* m_##name(ClientObject* self, PyObject* args)                                     \
    {                                                                                                 \
        return sync_of(op_attrs(self, args, "OOO:" #name, fn, &type, rk));                            \
    }
ATTRS_OPS(DEFINE_ATTRS_OP)

#define DEFINE_MAP_OP(name, fn)                                                                       \
    static PyObject* m_async_##name(ClientObject* self, PyObject* args)                               \
    {                                                                                                 \
        return op_map(self, args, "OOO:async_" #name, fn);                                            \
    }                                                                                                 \
    static PyObject* m_##name(ClientObject* self, PyObject* args)                                     \
    {                                                                                                 \
        return sync_of(op_map(self, args, "OOO:" #name, fn));                                         \
    }
MAP_OPS(DEFINE_MAP_OP)

static PyObject*
m_map_remove(ClientObject* self, PyObject* args)
{
    return sync_of(op_map_remove(self, args, "OOO:map_remove"));
}

static PyObject*
m_async_map_remove(ClientObject* self, PyObject* args)
{
    return op_map_remove(self, args, "OOO:async_map_remove");
}

#define METHOD_ENTRY(name, doc) {#name, (PyCFunction)m_##name, METH_VARARGS, doc},
#define ATTRS_ENTRY(name, fn, type, rk)                                                               \
    METHOD_ENTRY(name, #name "(space, key, attrs)") METHOD_ENTRY(async_##name, "async_" #name "(space, key, attrs) -> Deferred")
#define MAP_ENTRY(name, fn)                                                                           \
    METHOD_ENTRY(name, #name "(space, key, {map: {map key: value}})")                                 \
    METHOD_ENTRY(async_##name, "async_" #name "(space, key, {map: {map key: value}}) -> DeferredMapOp")

static PyMethodDef client_methods[] = {
    {"get", (PyCFunction)m_get, METH_VARARGS, "get(space, key) -> dict of the object's attributes, or None"},
    {"async_get", (PyCFunction)op_get, METH_VARARGS, "async_get(space, key) -> DeferredGet"},
    {"delete", (PyCFunction)m_delete, METH_VARARGS, "delete(space, key) -> True, or False when there was no object"},
    {"async_delete", (PyCFunction)op_delete, METH_VARARGS, "async_delete(space, key) -> DeferredDelete"},
    METHOD_ENTRY(condput, "condput(space, key, condition, attrs) -> True, or False when the condition fails")
    METHOD_ENTRY(async_condput, "async_condput(space, key, condition, attrs) -> DeferredCondPut")
    METHOD_ENTRY(cond_put, "cond_put(space, key, predicate, attrs) -> True, or False when the predicate fails")
    METHOD_ENTRY(async_cond_put, "async_cond_put(space, key, predicate, attrs) -> DeferredCondPut")
    ATTRS_OPS(ATTRS_ENTRY)
    MAP_OPS(MAP_ENTRY)
    METHOD_ENTRY(map_remove, "map_remove(space, key, {map: keys}) -> True, or False when there is no object")
    METHOD_ENTRY(async_map_remove, "async_map_remove(space, key, {map: keys}) -> DeferredMapOp")
    {"search", (PyCFunction)op_search, METH_VARARGS, "search(space, predicate) -> Search, an iterator of dicts"},
    METHOD_ENTRY(count, "count(space, predicate) -> the number of matching objects")
    METHOD_ENTRY(async_count, "async_count(space, predicate) -> DeferredCount")
    METHOD_ENTRY(group_del, "group_del(space, predicate) -> True, once every match is deleted")
    METHOD_ENTRY(async_group_del, "async_group_del(space, predicate) -> DeferredGroupDel")
    {"sorted_search", (PyCFunction)op_sorted_search, METH_VARARGS,
     "sorted_search(space, predicate, sort_by, limit, maxmin) -> SortedSearch ('max': largest first)"},
    METHOD_ENTRY(add_space, "add_space(description): creates a space")
    METHOD_ENTRY(rm_space, "rm_space(name): removes a space")
    {"loop", (PyCFunction)client_loop, METH_VARARGS,
     "loop([timeout seconds]) -> the next Deferred or Search that made progress"},
    {"close", (PyCFunction)client_close, METH_NOARGS, "Closes the connections; pending operations fail."},
    {NULL, NULL, 0, NULL},
};

static PyTypeObject ClientType = {
    PyVarObject_HEAD_INIT(NULL, 0).tp_name = "hyperclient.Client",
    .tp_basicsize = sizeof(ClientObject),
    .tp_dealloc = (destructor)client_dealloc,
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_BASETYPE | Py_TPFLAGS_HAVE_GC,
    .tp_doc = "Client(address, port, timeout=30.0): a client of the HyperDex cluster whose coordinator is at "
              "address:port. timeout bounds, in seconds, each wait for a result.",
    .tp_traverse = (traverseproc)client_traverse,
    .tp_clear = (inquiry)client_clear,
    .tp_methods = client_methods,
    .tp_init = (initproc)client_init,
    .tp_new = PyType_GenericNew,
};

/* ---- the module ------------------------------------------------------------------------------- */

static struct PyModuleDef hyperclient_module = {
    PyModuleDef_HEAD_INIT,
    .m_name = "hyperclient",
    .m_doc = "The HyperDex client: hyperclient.Client(address, port).",
    .m_size = -1,
};

PyMODINIT_FUNC
PyInit_hyperclient(void)
{
    HyperClientExceptionType.tp_base = (PyTypeObject*)PyExc_Exception;
    PyTypeObject* types[] = {&HyperClientExceptionType, &ClientType, &DeferredType, &DeferredGetType,
                             &DeferredFromAttrsType, &DeferredPutType, &DeferredInsertType, &DeferredCondPutType,
                             &DeferredDeleteType, &DeferredMapOpType, &DeferredCountType, &DeferredGroupDelType,
                             &DeferredSpaceType, &SearchType, &SortedSearchType};
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
        if (PyType_Ready(types[i]) < 0) return NULL;
    PyObject* m = PyModule_Create(&hyperclient_module);
    if (!m) return NULL;
    for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
    {
        const char* dot = strrchr(types[i]->tp_name, '.');
        if (PyModule_AddObjectRef(m, dot + 1, (PyObject*)types[i]) < 0) goto fail;
    }
    /* the spelling of the manual's chapter 6 */
    if (PyModule_AddObjectRef(m, "DeferredCondput", (PyObject*)&DeferredCondPutType) < 0) goto fail;
    for (size_t i = 0; i < sizeof(STATUSES) / sizeof(STATUSES[0]); i++)
        if (PyModule_AddIntConstant(m, STATUSES[i].name, STATUSES[i].code) < 0) goto fail;
    /* The request limits, from the C header rather than copied: a map operation may name up to
     * MICRO_OPS_PER_REQUEST_MAX keys (docs/protocol.md 4.1). */
    if (PyModule_AddIntConstant(m, "MICRO_OPS_PER_REQUEST_MAX", HYPERDEX_MICRO_OPS_PER_REQUEST_MAX) < 0 ||
        PyModule_AddIntConstant(m, "ATTRIBUTES_PER_REQUEST_MAX", HYPERDEX_ATTRIBUTES_PER_REQUEST_MAX) < 0)
        goto fail;
    /* setup.py passes the project's version (package.json), the one pip knows the module by */
    if (PyModule_AddStringConstant(m, "__version__", HYPERCLIENT_PY_VERSION) < 0) goto fail;
    return m;
fail:
    Py_DECREF(m);
    return NULL;
}
