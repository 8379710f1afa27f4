#!/usr/bin/env python3
"""The Python JSON bridge: python3 test/compat/bridge.py HOST PORT [TIMEOUT_MS] < scenario.jsonl

Runs HyperDex operations given as JSON lines through the Python ``hyperclient`` module and prints
one canonical result line per operation, in docs/bridge.md's format, so that its output can be
compared byte for byte with the C bridge's (native/tools/json_bridge.c) and the TypeScript bridge's
(test/compat/bridge.ts). Where the Python API answers differently from the C API (docs/bridge.md,
"Differences between the bridges") this bridge prints what the Python module does.
"""

import decimal
import json
import math
import re
import struct
import sys

import hyperclient

LINE_BYTES_MAX = 16 * 1024 * 1024
SAFE = 2**53 - 1
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1

STATUS_NAMES = {getattr(hyperclient, n): n[len("HYPERCLIENT_"):] for n in dir(hyperclient) if n.startswith("HYPERCLIENT_")}
STATUS_ATTR = {"UNKNOWNATTR", "WRONGTYPE", "DUPEATTR"}


class LineError(Exception):
    """A line that is not run: one of the format's error codes, and the reason for stderr."""

    def __init__(self, code, reason):
        super().__init__(reason)
        self.code = code


def bad_arg(why):
    return LineError("BADARG", why)


# ---- JSON, keeping numbers as text and members as pairs -----------------------------------------
# Numbers stay text so that 1.5 and 1e3 in an int64's place are refused (as the C bridge does), and
# members stay pairs so that a name given twice is seen.


class Num:
    __slots__ = ("text",)

    def __init__(self, text):
        self.text = text


def parse_json(line):
    try:
        return json.loads(
            line,
            object_pairs_hook=lambda pairs: ("obj", pairs),
            parse_int=Num,
            parse_float=Num,
            parse_constant=lambda c: (_ for _ in ()).throw(ValueError("not JSON: " + c)),
        )
    except (ValueError, RecursionError) as e:
        raise LineError("BADJSON", str(e))


def is_obj(j):
    return isinstance(j, tuple) and len(j) == 2 and j[0] == "obj"


def member(r, name):
    for k, v in r[1]:
        if k == name:
            return v
    return None


# ---- request values -> Python values ---------------------------------------------------------------


def parse_int64(text):
    if not re.fullmatch(r"-?[0-9]+", text):
        raise bad_arg(text + ' is not an int64 (write floats as {"float": ...})')
    n = int(text)
    if n < INT64_MIN or n > INT64_MAX:
        raise bad_arg(text + " does not fit in an int64")
    return n


def parse_float_text(text):
    if text == "Infinity":
        return math.inf
    if text == "-Infinity":
        return -math.inf
    if text == "NaN":
        return math.nan
    m = re.fullmatch(r"NaN:0x([0-9a-fA-F]{16})", text)
    if m:
        d = struct.unpack(">d", bytes.fromhex(m.group(1)))[0]
        if not math.isnan(d):
            raise bad_arg("bad float " + text)
        return d
    if not re.fullmatch(r"-?[0-9][0-9.eE+-]*", text):
        raise bad_arg("bad float " + text)
    try:
        return float(text)
    except ValueError:
        raise bad_arg("bad float " + text)


def scalar(j):
    """(type, value): a str (text), bytes, int or float."""
    if isinstance(j, str):
        return "string", j
    if isinstance(j, Num):
        return "int64", parse_int64(j.text)
    if is_obj(j) and len(j[1]) == 1:
        tag, x = j[1][0]
        text = x if isinstance(x, str) else x.text if isinstance(x, Num) else None
        if tag == "int" and text is not None:
            return "int64", parse_int64(text)
        if tag == "float" and text is not None:
            return "float", parse_float_text(text)
        if tag == "bytes" and isinstance(x, str) and re.fullmatch(r"(?:[0-9a-fA-F]{2})*", x):
            return "string", bytes.fromhex(x)
    raise bad_arg("not a scalar value")


def element_id(t, v):
    """What identifies a map key: its bytes (-0 is 0, as in a map)."""
    if t == "string":
        return v.encode("utf-8", "surrogatepass") if isinstance(v, str) else bytes(v)
    if t == "int64":
        return struct.pack("<q", v)
    return struct.pack("<d", 0.0 if v == 0 else v)


TYPE_NAMES = ("string", "int64", "float")


def value(j, keys_only=False):
    """A scalar, or {"list"|"set"|"map": [...], "of"?} as list, set or dict. "of" is checked and not
    needed: the module tries its encodings until libhyperclient takes one."""
    shape = j[1][0][0] if is_obj(j) and j[1] else ""
    if shape not in ("list", "set", "map"):
        return scalar(j)[1]
    of = member(j, "of")
    if len(j[1]) != (2 if of is not None else 1):
        raise bad_arg("unexpected member in a %s value" % shape)
    if of is not None:
        if shape == "map":
            ok = isinstance(of, list) and len(of) == 2 and all(isinstance(x, str) and x in TYPE_NAMES for x in of)
        else:
            ok = isinstance(of, str) and of in TYPE_NAMES
        if not ok:
            raise bad_arg('bad "of"')
    items = j[1][0][1]
    if not isinstance(items, list):
        raise bad_arg("a container's elements must be an array")
    if shape == "map":
        out = {}
        seen = set()
        kt = vt = None
        for p in items:
            if not isinstance(p, list) or len(p) != 2:
                raise bad_arg("a map's entries are [key, value] pairs")
            k = scalar(p[0])
            v = ("int64", 0) if keys_only else scalar(p[1])
            if (kt or k[0]) != k[0] or (vt or v[0]) != v[0]:
                raise bad_arg("a map's keys (and values) must all have one type")
            kt, vt = k[0], v[0]
            ident = element_id(*k)
            if ident in seen:
                raise bad_arg("a map names one key twice")
            seen.add(ident)
            out[k[1]] = v[1]
        return out
    elems = [scalar(e) for e in items]
    if any(e[0] != elems[0][0] for e in elems):
        raise bad_arg("a container's elements must all have one type")
    vals = [e[1] for e in elems]
    return set(vals) if shape == "set" else vals


def is_range(j):
    return is_obj(j) and len(j[1]) == 1 and j[1][0][0] == "range"


def attrs(j, keys_only=False):
    """{"attr": value, ...} as a dict. A dict cannot name an attribute twice, so such a request is
    one the Python API cannot express."""
    out = {}
    for k, x in j[1]:
        if k in out:
            raise LineError("UNSUPPORTED", 'a dict cannot name "%s" twice' % k)
        out[k] = value(x, keys_only)
    return out


def predicate(j):
    out = {}
    for k, x in j[1]:
        if k in out:
            raise LineError("UNSUPPORTED", 'a dict cannot name "%s" twice' % k)
        if is_range(x):
            b = x[1][0][1]
            if not isinstance(b, list) or len(b) != 2:
                raise bad_arg('a range is {"range": [lower, upper]}')
            out[k] = (scalar(b[0])[1], scalar(b[1])[1])
        else:
            out[k] = value(x)
    return out


# ---- Python values -> canonical JSON ----------------------------------------------------------------


def print_string(v):
    if isinstance(v, str):
        try:
            v.encode("utf-8")
        except UnicodeEncodeError:
            v = v.encode("utf-8", "surrogateescape")
    if isinstance(v, (bytes, bytearray)):
        try:
            v = bytes(v).decode("utf-8")
        except UnicodeDecodeError:
            return '{"bytes":"%s"}' % bytes(v).hex()
    return json.dumps(v, ensure_ascii=False)


def es_number(x):
    """ECMAScript's Number::toString for a finite, positive double: Python's repr gives the same
    shortest digits; they are laid out by the ECMAScript rules here."""
    digits, exp = decimal.Decimal(repr(x)).normalize().as_tuple()[1:]
    ds = "".join(map(str, digits))
    k = len(ds)
    n = exp + k
    if k <= n <= 21:
        return ds + "0" * (n - k)
    if 0 < n <= 21:
        return ds[:n] + "." + ds[n:]
    if -6 < n <= 0:
        return "0." + "0" * (-n) + ds
    e = n - 1
    sign = "+" if e >= 0 else "-"
    if k == 1:
        return "%se%s%d" % (ds, sign, abs(e))
    return "%s.%se%s%d" % (ds[0], ds[1:], sign, abs(e))


def float_bits(d):
    return struct.unpack("<Q", struct.pack("<d", d))[0]


def print_float(d):
    if math.isnan(d):
        bits = float_bits(d)
        t = "NaN" if bits == 0x7FF8000000000000 else "NaN:0x%016x" % bits
    elif math.isinf(d):
        t = "Infinity" if d > 0 else "-Infinity"
    elif d == 0:
        t = "-0" if math.copysign(1.0, d) < 0 else "0"
    else:
        t = ("-" if d < 0 else "") + es_number(abs(d))
    return '{"float":"%s"}' % t


def print_scalar(v):
    if isinstance(v, bool):
        raise TypeError("a bool is no HyperDex value")
    if isinstance(v, int):
        return '{"int":"%d"}' % v if abs(v) > SAFE else str(v)
    if isinstance(v, float):
        return print_float(v)
    return print_string(v)


def element_key(v):
    """The element order of docs/protocol.md section 7: strings bytewise, numbers numerically, NaN last."""
    if isinstance(v, float):
        return (1, 0.0, float_bits(v)) if math.isnan(v) else (0, v, 0)
    if isinstance(v, int):
        return (0, v, 0)
    return (0, v.encode("utf-8", "surrogateescape") if isinstance(v, str) else bytes(v), 0)


def print_value(v):
    if isinstance(v, list):
        return '{"list":[%s]}' % ",".join(print_scalar(e) for e in v)
    if isinstance(v, (set, frozenset)):
        return '{"set":[%s]}' % ",".join(print_scalar(e) for e in sorted(v, key=element_key))
    if isinstance(v, dict):
        pairs = sorted(v.items(), key=lambda kv: element_key(kv[0]))
        return '{"map":[%s]}' % ",".join("[%s,%s]" % (print_scalar(k), print_scalar(x)) for k, x in pairs)
    return print_scalar(v)


def utf8(s):
    return s.encode("utf-8", "surrogateescape")


def print_object(o):
    names = sorted(o, key=utf8)
    return "{%s}" % ",".join("%s:%s" % (json.dumps(n, ensure_ascii=False), print_value(o[n])) for n in names)


# ---- operations --------------------------------------------------------------------------------------

KEYED = ("space", "key", "attrs")
SHAPES = {
    "get": ("space", "key"),
    "delete": ("space", "key"),
    "del": ("space", "key"),
    "put": KEYED,
    "put_if_not_exist": KEYED,
    "condput": ("space", "key", "condition", "attrs"),
    "cond_put": ("space", "key", "condition", "attrs"),
    "search": ("space", "predicate"),
    "count": ("space", "predicate"),
    "group_del": ("space", "predicate"),
    "sorted_search": ("space", "predicate", "sort_by", "limit", "order"),
    "add_space": ("description",),
    "rm_space": ("space",),
}
ATOMIC = (
    "atomic_add atomic_sub atomic_mul atomic_div atomic_mod atomic_and atomic_or atomic_xor "
    "string_prepend string_append list_lpush list_rpush set_add set_remove set_intersect set_union "
    "map_add map_remove map_atomic_add map_atomic_sub map_atomic_mul map_atomic_div map_atomic_mod "
    "map_atomic_and map_atomic_or map_atomic_xor map_string_prepend map_string_append"
).split()
for _a in ATOMIC:
    SHAPES[_a] = KEYED


def need(r, name, kind):
    j = member(r, name)
    ok = {
        "str": isinstance(j, str),
        "obj": is_obj(j),
        "num": isinstance(j, Num),
    }[kind]
    if not ok:
        raise bad_arg('"%s" must be %s' % (name, kind))
    return j


def ok(text):
    return '{"ok":%s}' % text


def run(c, r):
    op = member(r, "op")
    allowed = SHAPES.get(op) if isinstance(op, str) else None
    if allowed is None:
        raise LineError("BADOP", 'unknown or missing "op": %s' % (op if isinstance(op, str) else "(none)"))
    for k, _ in r[1]:
        if k != "op" and k not in allowed:
            raise bad_arg('unexpected member "%s"' % k)
    if op == "add_space":
        c.add_space(need(r, "description", "str"))
        return ok("true")
    space = need(r, "space", "str")
    if op == "rm_space":
        c.rm_space(space)
        return ok("true")
    key = None
    if "key" in allowed:
        k = member(r, "key")
        if k is None:
            raise bad_arg('"key" is missing')
        key = scalar(k)[1]
    b = lambda x: ok("true" if x else "false")
    if op == "get":
        o = c.get(space, key)
        return ok("null") if o is None else ok(print_object(o))
    if op in ("delete", "del"):
        return b(c.delete(space, key))
    if op == "put":
        return b(c.put(space, key, attrs(need(r, "attrs", "obj"))))
    if op == "put_if_not_exist":
        return b(c.put_if_not_exist(space, key, attrs(need(r, "attrs", "obj"))))
    if op == "condput":
        cond = need(r, "condition", "obj")
        if any(is_range(x) for _, x in cond[1]):
            raise LineError("UNSUPPORTED", "condput compares equality only; use cond_put for ranges")
        condition = attrs(cond)
        return b(c.condput(space, key, condition, attrs(need(r, "attrs", "obj"))))
    if op == "cond_put":
        condition = predicate(need(r, "condition", "obj"))
        return b(c.cond_put(space, key, condition, attrs(need(r, "attrs", "obj"))))
    if op == "search":
        pred = predicate(need(r, "predicate", "obj"))
        if any(isinstance(v, tuple) and not all(type(x) is int for x in v) for v in pred.values()):
            # the module raises TypeError too; said here so that the line reads as the format's code
            raise LineError("UNSUPPORTED", "search takes int64 range bounds only")
        texts = sorted((print_object(o) for o in c.search(space, pred)), key=utf8)
        return ok("[%s]" % ",".join(texts))
    if op == "count":
        return ok(str(c.count(space, predicate(need(r, "predicate", "obj")))))
    if op == "group_del":
        c.group_del(space, predicate(need(r, "predicate", "obj")))
        return ok("true")
    if op == "sorted_search":
        pred = predicate(need(r, "predicate", "obj"))
        sort_by = need(r, "sort_by", "str")
        lim = need(r, "limit", "num")
        if not re.fullmatch(r"[0-9]+", lim.text):
            raise bad_arg('"limit" must be a nonnegative integer')
        order = member(r, "order")
        maxmin = "min"
        if order is not None:
            if order in ("descending", "max"):
                maxmin = "max"
            elif order not in ("ascending", "min"):
                raise bad_arg('"order" is "ascending" or "descending"')
        rows = [(print_object(o), print_value(o[sort_by]) if sort_by in o else "") for o in
                c.sorted_search(space, pred, sort_by, int(lim.text), maxmin)]
        # runs of equal sort values in text order, as every bridge prints them
        out = []
        i = 0
        while i < len(rows):
            j = i + 1
            while j < len(rows) and rows[j][1] == rows[i][1]:
                j += 1
            out.extend(sorted((t for t, _ in rows[i:j]), key=utf8))
            i = j
        return ok("[%s]" % ",".join(out))
    # the atomic, string, list, set and map operations
    a = attrs(need(r, "attrs", "obj"), op == "map_remove")
    if op.startswith("map_"):
        for v in a.values():
            if not isinstance(v, dict):
                raise bad_arg('map operations take {"ATTR": {"map": [[key, value], ...]}}')
        if op == "map_remove":
            a = {name: list(m.keys()) for name, m in a.items()}
    return b(getattr(c, op)(space, key, a))


def run_line(c, line, lineno):
    try:
        j = parse_json(line)
        if not is_obj(j):
            raise LineError("BADJSON", "a request is a JSON object")
        return run(c, j)
    except LineError as e:
        sys.stderr.write("py-json-bridge: line %d: %s: %s\n" % (lineno, e.code, e))
        return '{"error":"%s"}' % e.code
    except hyperclient.HyperClientException as e:
        name = STATUS_NAMES.get(e.status(), "UNKNOWN")
        attr = e.attr() if hasattr(e, "attr") else None
        if attr is not None and name in STATUS_ATTR:
            if isinstance(attr, bytes):
                attr = attr.decode("utf-8", "surrogateescape")
            return '{"status":"%s","attr":%s}' % (name, json.dumps(attr, ensure_ascii=False))
        return '{"status":"%s"}' % name
    except Exception as e:  # noqa: BLE001 - the client failing in a way no status describes: shown, never hidden
        sys.stderr.write("py-json-bridge: line %d: CLIENTERROR: %s: %s\n" % (lineno, type(e).__name__, e))
        return '{"error":"CLIENTERROR"}'


def main(argv):
    if len(argv) not in (3, 4):
        sys.stderr.write("usage: bridge.py HOST PORT [TIMEOUT_MS]\n"
                         "Runs HyperDex operations given as JSON lines on stdin, one result line each (docs/bridge.md).\n")
        return 2
    try:
        port = int(argv[2])
        timeout_ms = int(argv[3]) if len(argv) == 4 else 30000
        if not 0 < port <= 65535 or timeout_ms <= 0:
            raise ValueError
    except ValueError:
        sys.stderr.write("py-json-bridge: bad port or timeout\n")
        return 2
    try:
        c = hyperclient.Client(argv[1], port, timeout=timeout_ms / 1000.0)
    except Exception as e:  # noqa: BLE001
        sys.stderr.write("py-json-bridge: cannot connect to the coordinator at %s:%d: %s\n" % (argv[1], port, e))
        return 1
    out = sys.stdout.buffer
    lineno = 0
    stdin = sys.stdin.buffer
    while True:
        raw = stdin.readline(LINE_BYTES_MAX + 1)
        if not raw:
            break
        lineno += 1
        if len(raw) > LINE_BYTES_MAX and not raw.endswith(b"\n") or len(raw) > LINE_BYTES_MAX + 1:
            # skip the rest of the over-long line, bounded by the input itself
            while raw and not raw.endswith(b"\n"):
                raw = stdin.readline(LINE_BYTES_MAX)
            sys.stderr.write("py-json-bridge: line %d: TOOLONG: a line is longer than %d bytes\n" % (lineno, LINE_BYTES_MAX))
            out.write(b'{"error":"TOOLONG"}\n')
            out.flush()
            continue
        if raw.endswith(b"\n"):
            raw = raw[:-1]
        if raw.endswith(b"\r"):
            raw = raw[:-1]
        line = raw.decode("utf-8", "surrogateescape")
        if re.fullmatch(r"[ \t]*(#.*)?", line, re.S):
            continue
        out.write(run_line(c, line, lineno).encode("utf-8", "surrogateescape") + b"\n")
        out.flush()
    c.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
