// `HyperClient`: one JavaScript method per function of native/include/hyperclient.h, calling
// libhyperclient in-process. It converts arguments and results and keeps the storage the C API
// writes into alive; the semantics (validation, routing, statuses) are the C library's alone.
//
// Arguments cross as the C API has them: names as strings, keys and values as Uint8Arrays
// (Buffers) holding the C encoding, datatypes and predicates as numbers, range bounds as bigints.
// Each operation returns `{ id, status }`: the C return value and what `*status` held when the
// call returned (0 when the call wrote nothing there). `loop(timeoutMs)` returns `{ id,
// loopStatus }` plus, when the id is one of ours, `opStatus`, `done` (false only for a search
// result with more to come) and, on SUCCESS, `attrs` (get, search, sorted_search) or `count`.
#include "client_wrap.h"

#include <climits>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <deque>
#include <memory>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "hyperclient.h"

namespace hyperdex_node {
namespace {

// What an operation hands back through hyperclient_loop besides its status.
enum class Kind {
  kStatus,  // put, del, the atomic ops, ...: the status only
  kObject,  // get: one object on SUCCESS
  kStream,  // search, sorted_search: one object per loop return, errors perhaps, then SEARCHDONE
  kCount,   // count: a number on SUCCESS
};

// The caller-owned memory an operation's completion is written into. The C library keeps
// pointers to it from the call until hyperclient_loop returns the id for the last time, so it is
// heap-allocated per call and owned by the client's pending table until then.
struct Pending {
  explicit Pending(Kind k) : kind(k) {}
  Pending(const Pending&) = delete;
  Pending& operator=(const Pending&) = delete;
  ~Pending() { ReleaseAttrs(); }

  // Releases an object the C library handed over and nobody took (e.g. closed before loop).
  void ReleaseAttrs() {
    if (attrs != nullptr) hyperclient_destroy_attrs(attrs, attrs_sz);
    attrs = nullptr;
    attrs_sz = 0;
  }

  const Kind kind;
  // 0 is no hyperclient_returncode: it tells "not written yet" apart from every real status.
  enum hyperclient_returncode status = static_cast<enum hyperclient_returncode>(0);
  struct hyperclient_attribute* attrs = nullptr;
  size_t attrs_sz = 0;
  uint64_t count = 0;
};

// Points at empty values: a zero-length Uint8Array may have no data pointer at all.
const char kEmpty[1] = {'\0'};

// Strings copied out of JavaScript for the duration of one call. A deque, so that pointers to
// earlier strings stay valid as more are added.
class CallStrings {
 public:
  const char* Keep(std::string s) {
    strings_.push_back(std::move(s));
    return strings_.back().c_str();
  }

 private:
  std::deque<std::string> strings_;
};

bool ThrowType(Napi::Env env, const std::string& message) {
  Napi::TypeError::New(env, message).ThrowAsJavaScriptException();
  return false;
}

bool ThrowRange(Napi::Env env, const std::string& message) {
  Napi::RangeError::New(env, message).ThrowAsJavaScriptException();
  return false;
}

// A NUL-terminated copy of a JavaScript string; a string with a NUL inside would be cut short by
// C, so it is refused.
bool ReadName(Napi::Env env, Napi::Value v, const std::string& what, CallStrings& keep,
              const char** out) {
  if (v.IsEmpty()) return false;  // a getter threw: its exception is pending
  if (!v.IsString()) return ThrowType(env, what + " must be a string");
  std::string s = v.As<Napi::String>().Utf8Value();
  if (std::memchr(s.data(), '\0', s.size()) != nullptr) {
    return ThrowType(env, what + " must not contain a NUL character");
  }
  *out = keep.Keep(std::move(s));
  return true;
}

// The bytes of a Uint8Array (a Buffer is one), valid while the JavaScript value lives, which is
// at least until the call returns.
bool ReadBytes(Napi::Env env, Napi::Value v, const std::string& what, const char** data,
               size_t* size) {
  if (v.IsEmpty()) return false;
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    return ThrowType(env, what + " must be a Buffer or Uint8Array");
  }
  Napi::Uint8Array a = v.As<Napi::Uint8Array>();
  *size = a.ElementLength();
  *data = *size > 0 ? reinterpret_cast<const char*>(a.Data()) : kEmpty;
  return true;
}

// An integer-valued Number within [lo, hi].
bool ReadInt(Napi::Env env, Napi::Value v, const std::string& what, int64_t lo, int64_t hi,
             int64_t* out) {
  if (v.IsEmpty()) return false;
  if (!v.IsNumber()) return ThrowType(env, what + " must be a number");
  const double d = v.As<Napi::Number>().DoubleValue();
  if (!std::isfinite(d) || std::trunc(d) != d || d < static_cast<double>(lo) ||
      d > static_cast<double>(hi)) {
    return ThrowRange(env, what + " must be an integer from " + std::to_string(lo) + " to " +
                               std::to_string(hi));
  }
  *out = static_cast<int64_t>(d);
  return true;
}

bool ReadEnum(Napi::Env env, Napi::Value v, const std::string& what, int* out) {
  int64_t n = 0;
  if (!ReadInt(env, v, what, INT_MIN, INT_MAX, &n)) return false;
  *out = static_cast<int>(n);
  return true;
}

// 64 bits from a bigint in [-2^63, 2^64) (negative ones as two's complement, as
// hyperclient_range_query carries int64 bounds) or from a safe-integer Number.
bool ReadBits64(Napi::Env env, Napi::Value v, const std::string& what, uint64_t* out) {
  if (v.IsEmpty()) return false;
  if (v.IsBigInt()) {
    bool lossless = false;
    const int64_t i = v.As<Napi::BigInt>().Int64Value(&lossless);
    if (lossless) {
      *out = static_cast<uint64_t>(i);
      return true;
    }
    const uint64_t u = v.As<Napi::BigInt>().Uint64Value(&lossless);
    if (lossless) {
      *out = u;
      return true;
    }
    return ThrowRange(env, what + " must fit in 64 bits");
  }
  int64_t n = 0;
  const int64_t safe = (int64_t{1} << 53) - 1;
  if (!ReadInt(env, v, what, -safe, safe, &n)) return false;
  *out = static_cast<uint64_t>(n);
  return true;
}

bool ReadArray(Napi::Env env, Napi::Value v, const std::string& what, Napi::Array* out) {
  if (v.IsEmpty()) return false;
  if (!v.IsArray()) return ThrowType(env, what + " must be an array");
  *out = v.As<Napi::Array>();
  return true;
}

// The i-th element of an array of objects.
bool ReadElement(Napi::Env env, const Napi::Array& a, uint32_t i, const std::string& what,
                 Napi::Object* out) {
  Napi::Value e = a.Get(i);
  if (e.IsEmpty()) return false;
  if (!e.IsObject()) return ThrowType(env, what + " must be an object");
  *out = e.As<Napi::Object>();
  return true;
}

// [{ attr, value, datatype }] -> struct hyperclient_attribute[]
bool ReadAttrs(Napi::Env env, Napi::Value v, const std::string& what, CallStrings& keep,
               std::vector<hyperclient_attribute>* out) {
  Napi::Array a;
  if (!ReadArray(env, v, what, &a)) return false;
  out->resize(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) {
    const std::string at = what + "[" + std::to_string(i) + "]";
    Napi::Object o;
    hyperclient_attribute& x = (*out)[i];
    int datatype = 0;
    if (!ReadElement(env, a, i, at, &o) || !ReadName(env, o.Get("attr"), at + ".attr", keep, &x.attr) ||
        !ReadBytes(env, o.Get("value"), at + ".value", &x.value, &x.value_sz) ||
        !ReadEnum(env, o.Get("datatype"), at + ".datatype", &datatype)) {
      return false;
    }
    x.datatype = static_cast<enum hyperdatatype>(datatype);
  }
  return true;
}

// [{ attr, mapKey, value, datatype }] -> struct hyperclient_map_attribute[]
bool ReadMapAttrs(Napi::Env env, Napi::Value v, const std::string& what, CallStrings& keep,
                  std::vector<hyperclient_map_attribute>* out) {
  Napi::Array a;
  if (!ReadArray(env, v, what, &a)) return false;
  out->resize(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) {
    const std::string at = what + "[" + std::to_string(i) + "]";
    Napi::Object o;
    hyperclient_map_attribute& x = (*out)[i];
    int datatype = 0;
    if (!ReadElement(env, a, i, at, &o) || !ReadName(env, o.Get("attr"), at + ".attr", keep, &x.attr) ||
        !ReadBytes(env, o.Get("mapKey"), at + ".mapKey", &x.map_key, &x.map_key_sz) ||
        !ReadBytes(env, o.Get("value"), at + ".value", &x.value, &x.value_sz) ||
        !ReadEnum(env, o.Get("datatype"), at + ".datatype", &datatype)) {
      return false;
    }
    x.datatype = static_cast<enum hyperdatatype>(datatype);
  }
  return true;
}

// [{ attr, value, datatype, predicate }] -> struct hyperclient_attribute_check[]
bool ReadChecks(Napi::Env env, Napi::Value v, const std::string& what, CallStrings& keep,
                std::vector<hyperclient_attribute_check>* out) {
  Napi::Array a;
  if (!ReadArray(env, v, what, &a)) return false;
  out->resize(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) {
    const std::string at = what + "[" + std::to_string(i) + "]";
    Napi::Object o;
    hyperclient_attribute_check& x = (*out)[i];
    int datatype = 0;
    int predicate = 0;
    if (!ReadElement(env, a, i, at, &o) || !ReadName(env, o.Get("attr"), at + ".attr", keep, &x.attr) ||
        !ReadBytes(env, o.Get("value"), at + ".value", &x.value, &x.value_sz) ||
        !ReadEnum(env, o.Get("datatype"), at + ".datatype", &datatype) ||
        !ReadEnum(env, o.Get("predicate"), at + ".predicate", &predicate)) {
      return false;
    }
    x.datatype = static_cast<enum hyperdatatype>(datatype);
    x.predicate = static_cast<enum hyperpredicate>(predicate);
  }
  return true;
}

// [{ attr, lower, upper }] -> struct hyperclient_range_query[]
bool ReadRanges(Napi::Env env, Napi::Value v, const std::string& what, CallStrings& keep,
                std::vector<hyperclient_range_query>* out) {
  Napi::Array a;
  if (!ReadArray(env, v, what, &a)) return false;
  out->resize(a.Length());
  for (uint32_t i = 0; i < a.Length(); ++i) {
    const std::string at = what + "[" + std::to_string(i) + "]";
    Napi::Object o;
    hyperclient_range_query& x = (*out)[i];
    if (!ReadElement(env, a, i, at, &o) || !ReadName(env, o.Get("attr"), at + ".attr", keep, &x.attr) ||
        !ReadBits64(env, o.Get("lower"), at + ".lower", &x.lower) ||
        !ReadBits64(env, o.Get("upper"), at + ".upper", &x.upper)) {
      return false;
    }
  }
  return true;
}

// Copies an object the C library handed over into [{ attr, value, datatype }] and releases it
// (exactly once: the pointer is cleared whatever happens).
Napi::Value TakeAttrs(Napi::Env env, Pending& p) {
  Napi::Array out = Napi::Array::New(env, p.attrs_sz);
  bool ok = true;
  for (size_t i = 0; ok && i < p.attrs_sz; ++i) {
    const hyperclient_attribute& a = p.attrs[i];
    Napi::Object o = Napi::Object::New(env);
    ok = o.Set("attr", Napi::String::New(env, a.attr)) &&
         o.Set("value", Napi::Buffer<char>::Copy(env, a.value_sz > 0 ? a.value : kEmpty, a.value_sz)) &&
         o.Set("datatype", Napi::Number::New(env, a.datatype)) && out.Set(static_cast<uint32_t>(i), o);
  }
  p.ReleaseAttrs();
  return ok ? Napi::Value(out) : Napi::Value();
}

using AttrsFn = int64_t (*)(struct hyperclient*, const char*, const char*, size_t,
                            const struct hyperclient_attribute*, size_t,
                            enum hyperclient_returncode*);
using MapAttrsFn = int64_t (*)(struct hyperclient*, const char*, const char*, size_t,
                               const struct hyperclient_map_attribute*, size_t,
                               enum hyperclient_returncode*);
using ChecksFn = int64_t (*)(struct hyperclient*, const char*,
                             const struct hyperclient_attribute_check*, size_t,
                             enum hyperclient_returncode*);
using NameFn = int64_t (*)(struct hyperclient*, const char*, enum hyperclient_returncode*);

class HyperClient : public Napi::ObjectWrap<HyperClient> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(
        env, "HyperClient",
        {
            InstanceMethod<&HyperClient::Close>("close"),
            InstanceMethod<&HyperClient::PendingCount>("pendingCount"),
            InstanceMethod<&HyperClient::Loop>("loop"),
            InstanceMethod<&HyperClient::Get>("get"),
            InstanceMethod<&HyperClient::Del>("del"),
            InstanceMethod<&HyperClient::Condput>("condput"),
            InstanceMethod<&HyperClient::CondPut>("cond_put"),
            InstanceMethod<&HyperClient::Search>("search"),
            InstanceMethod<&HyperClient::Count>("count"),
            InstanceMethod<&HyperClient::SortedSearch>("sorted_search"),
            InstanceMethod<&HyperClient::ChecksOp<hyperclient_group_del>>("group_del"),
            InstanceMethod<&HyperClient::NameOp<hyperclient_add_space>>("add_space"),
            InstanceMethod<&HyperClient::NameOp<hyperclient_rm_space>>("rm_space"),
            InstanceMethod<&HyperClient::AttrsOp<hyperclient_put>>("put"),
            InstanceMethod<&HyperClient::AttrsOp<hyperclient_put_if_not_exist>>("put_if_not_exist"),
            InstanceMethod<&HyperClient::AttrsOp<hyperclient_atomic_add>>("atomic_add"),
            InstanceMethod<&HyperClient::AttrsOp<hyperclient_atomic_sub>>("atomic_sub"),
            InstanceMethod<&HyperClient::AttrsOp<hyperclient_atomic_mul>>("atomic_mul"),
            InstanceMethod<&HyperClient::AttrsOp<hyperclient_atomic_div>>("atomic_div"),
            InstanceMethod<&HyperClient::AttrsOp<hyperclient_atomic_mod>>("atomic_mod"),
            InstanceMethod<&HyperClient::AttrsOp<hyperclient_atomic_and>>("atomic_and"),
            InstanceMethod<&HyperClient::AttrsOp<hyperclient_atomic_or>>("atomic_or"),
            InstanceMethod<&HyperClient::AttrsOp<hyperclient_atomic_xor>>("atomic_xor"),
            InstanceMethod<&HyperClient::AttrsOp<hyperclient_string_prepend>>("string_prepend"),
            InstanceMethod<&HyperClient::AttrsOp<hyperclient_string_append>>("string_append"),
            InstanceMethod<&HyperClient::AttrsOp<hyperclient_list_lpush>>("list_lpush"),
            InstanceMethod<&HyperClient::AttrsOp<hyperclient_list_rpush>>("list_rpush"),
            InstanceMethod<&HyperClient::AttrsOp<hyperclient_set_add>>("set_add"),
            InstanceMethod<&HyperClient::AttrsOp<hyperclient_set_remove>>("set_remove"),
            InstanceMethod<&HyperClient::AttrsOp<hyperclient_set_intersect>>("set_intersect"),
            InstanceMethod<&HyperClient::AttrsOp<hyperclient_set_union>>("set_union"),
            InstanceMethod<&HyperClient::AttrsOp<hyperclient_map_remove>>("map_remove"),
            InstanceMethod<&HyperClient::MapAttrsOp<hyperclient_map_add>>("map_add"),
            InstanceMethod<&HyperClient::MapAttrsOp<hyperclient_map_atomic_add>>("map_atomic_add"),
            InstanceMethod<&HyperClient::MapAttrsOp<hyperclient_map_atomic_sub>>("map_atomic_sub"),
            InstanceMethod<&HyperClient::MapAttrsOp<hyperclient_map_atomic_mul>>("map_atomic_mul"),
            InstanceMethod<&HyperClient::MapAttrsOp<hyperclient_map_atomic_div>>("map_atomic_div"),
            InstanceMethod<&HyperClient::MapAttrsOp<hyperclient_map_atomic_mod>>("map_atomic_mod"),
            InstanceMethod<&HyperClient::MapAttrsOp<hyperclient_map_atomic_and>>("map_atomic_and"),
            InstanceMethod<&HyperClient::MapAttrsOp<hyperclient_map_atomic_or>>("map_atomic_or"),
            InstanceMethod<&HyperClient::MapAttrsOp<hyperclient_map_atomic_xor>>("map_atomic_xor"),
            InstanceMethod<&HyperClient::MapAttrsOp<hyperclient_map_string_prepend>>("map_string_prepend"),
            InstanceMethod<&HyperClient::MapAttrsOp<hyperclient_map_string_append>>("map_string_append"),
        });
  }

  // new HyperClient(host, port): hyperclient_create, or an Error when it returns NULL.
  explicit HyperClient(const Napi::CallbackInfo& info) : Napi::ObjectWrap<HyperClient>(info) {
    Napi::Env env = info.Env();
    CallStrings keep;
    const char* host = nullptr;
    int64_t port = 0;
    if (!ReadName(env, info[0], "host", keep, &host) || !ReadInt(env, info[1], "port", 0, 65535, &port)) {
      return;
    }
    client_ = hyperclient_create(host, static_cast<in_port_t>(port));
    if (client_ == nullptr) {
      Napi::Error::New(env, std::string("hyperclient_create(\"") + host + "\", " + std::to_string(port) +
                                ") returned NULL: no coordinator answered there with a configuration")
          .ThrowAsJavaScriptException();
    }
  }

  // The finalizer: the client and its pending storage go once, whether or not close() ran.
  ~HyperClient() override { Release(); }

 private:
  // Destroys the client first, so that nothing can write into the storage freed after it.
  void Release() {
    if (client_ != nullptr) hyperclient_destroy(client_);
    client_ = nullptr;
    pending_.clear();
    orphans_.clear();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Release();
    return info.Env().Undefined();
  }

  // How many operations hold storage here: started and not yet returned by loop for the last
  // time. Lets tests see that storage is released.
  Napi::Value PendingCount(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(pending_.size() + orphans_.size()));
  }

  bool Open(Napi::Env env) {
    if (client_ != nullptr) return true;
    Napi::Error::New(env, "HyperClient is closed").ThrowAsJavaScriptException();
    return false;
  }

  // The storage for an operation about to be made. Checks again that the client is open: reading
  // the arguments may have run JavaScript (getters) that closed it.
  std::unique_ptr<Pending> Begin(Napi::Env env, Kind kind) {
    if (!Open(env)) return nullptr;
    return std::make_unique<Pending>(kind);
  }

  // Records a call's outcome: a positive id keeps its storage until loop hands it back for the
  // last time; a negative one means the C library kept no pointer, so the storage goes now.
  Napi::Value Started(Napi::Env env, int64_t id, std::unique_ptr<Pending> p) {
    Napi::Object r = Napi::Object::New(env);
    r.Set("id", Napi::Number::New(env, static_cast<double>(id)));
    r.Set("status", Napi::Number::New(env, p->status));
    if (id >= 0) {
      auto [it, inserted] = pending_.try_emplace(id, nullptr);
      if (!inserted) {
        // Two live operations under one id is a bug of the C library: keep both storages (the
        // library may write into either) until close, and say so.
        orphans_.push_back(std::move(it->second));
        it->second = std::move(p);
        Napi::Error::New(env, "libhyperclient returned id " + std::to_string(id) +
                                  " while an operation with that id was pending")
            .ThrowAsJavaScriptException();
        return Napi::Value();
      }
      it->second = std::move(p);
    }
    return r;
  }

  // loop(timeoutMs): hyperclient_loop, then the completed operation's results.
  Napi::Value Loop(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    int64_t timeout_ms = 0;
    if (!Open(env) || !ReadInt(env, info[0], "timeoutMs", -1, INT_MAX, &timeout_ms)) return Napi::Value();
    enum hyperclient_returncode loop_status = static_cast<enum hyperclient_returncode>(0);
    const int64_t id = hyperclient_loop(client_, static_cast<int>(timeout_ms), &loop_status);
    Napi::Object r = Napi::Object::New(env);
    r.Set("id", Napi::Number::New(env, static_cast<double>(id)));
    r.Set("loopStatus", Napi::Number::New(env, loop_status));
    if (id < 0) return r;
    auto it = pending_.find(id);
    if (it == pending_.end()) return r;  // not an id this object handed out: nothing to convert
    Pending& p = *it->second;
    r.Set("opStatus", Napi::Number::New(env, p.status));
    bool last = true;
    Napi::Value extra;
    const bool success = p.status == HYPERCLIENT_SUCCESS;
    switch (p.kind) {
      case Kind::kStatus:
        break;
      case Kind::kObject:
        if (success) extra = TakeAttrs(env, p);
        break;
      case Kind::kStream:
        // SUCCESS carries one object; an error from one daemon may come before the end, which is
        // always SEARCHDONE (the manual's hyperclient_search)
        last = p.status == HYPERCLIENT_SEARCHDONE;
        if (success) extra = TakeAttrs(env, p);
        break;
      case Kind::kCount:
        if (success) r.Set("count", Napi::BigInt::New(env, p.count));
        break;
    }
    r.Set("done", Napi::Boolean::New(env, last));
    const bool has_attrs = success && (p.kind == Kind::kObject || p.kind == Kind::kStream);
    if (last) pending_.erase(it);  // `p` is gone from here on
    if (has_attrs) {
      if (extra.IsEmpty()) return Napi::Value();  // the copy failed: its exception is pending
      r.Set("attrs", extra);
    }
    return r;
  }

  // get(space, key)
  Napi::Value Get(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CallStrings keep;
    const char* space = nullptr;
    const char* key = nullptr;
    size_t key_sz = 0;
    if (!Open(env) || !ReadName(env, info[0], "space", keep, &space) ||
        !ReadBytes(env, info[1], "key", &key, &key_sz)) {
      return Napi::Value();
    }
    auto p = Begin(env, Kind::kObject);
    if (!p) return Napi::Value();
    const int64_t id = hyperclient_get(client_, space, key, key_sz, &p->status, &p->attrs, &p->attrs_sz);
    return Started(env, id, std::move(p));
  }

  // del(space, key)
  Napi::Value Del(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CallStrings keep;
    const char* space = nullptr;
    const char* key = nullptr;
    size_t key_sz = 0;
    if (!Open(env) || !ReadName(env, info[0], "space", keep, &space) ||
        !ReadBytes(env, info[1], "key", &key, &key_sz)) {
      return Napi::Value();
    }
    auto p = Begin(env, Kind::kStatus);
    if (!p) return Napi::Value();
    const int64_t id = hyperclient_del(client_, space, key, key_sz, &p->status);
    return Started(env, id, std::move(p));
  }

  // put, put_if_not_exist, atomic_*, string_*, list_*, set_*, map_remove: (space, key, attrs)
  template <AttrsFn F>
  Napi::Value AttrsOp(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CallStrings keep;
    const char* space = nullptr;
    const char* key = nullptr;
    size_t key_sz = 0;
    std::vector<hyperclient_attribute> attrs;
    if (!Open(env) || !ReadName(env, info[0], "space", keep, &space) ||
        !ReadBytes(env, info[1], "key", &key, &key_sz) || !ReadAttrs(env, info[2], "attrs", keep, &attrs)) {
      return Napi::Value();
    }
    auto p = Begin(env, Kind::kStatus);
    if (!p) return Napi::Value();
    const int64_t id = F(client_, space, key, key_sz, attrs.data(), attrs.size(), &p->status);
    return Started(env, id, std::move(p));
  }

  // map_add, map_atomic_*, map_string_*: (space, key, mapAttrs)
  template <MapAttrsFn F>
  Napi::Value MapAttrsOp(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CallStrings keep;
    const char* space = nullptr;
    const char* key = nullptr;
    size_t key_sz = 0;
    std::vector<hyperclient_map_attribute> attrs;
    if (!Open(env) || !ReadName(env, info[0], "space", keep, &space) ||
        !ReadBytes(env, info[1], "key", &key, &key_sz) ||
        !ReadMapAttrs(env, info[2], "attrs", keep, &attrs)) {
      return Napi::Value();
    }
    auto p = Begin(env, Kind::kStatus);
    if (!p) return Napi::Value();
    const int64_t id = F(client_, space, key, key_sz, attrs.data(), attrs.size(), &p->status);
    return Started(env, id, std::move(p));
  }

  // condput(space, key, condattrs, attrs)
  Napi::Value Condput(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CallStrings keep;
    const char* space = nullptr;
    const char* key = nullptr;
    size_t key_sz = 0;
    std::vector<hyperclient_attribute> cond;
    std::vector<hyperclient_attribute> attrs;
    if (!Open(env) || !ReadName(env, info[0], "space", keep, &space) ||
        !ReadBytes(env, info[1], "key", &key, &key_sz) || !ReadAttrs(env, info[2], "condattrs", keep, &cond) ||
        !ReadAttrs(env, info[3], "attrs", keep, &attrs)) {
      return Napi::Value();
    }
    auto p = Begin(env, Kind::kStatus);
    if (!p) return Napi::Value();
    const int64_t id = hyperclient_condput(client_, space, key, key_sz, cond.data(), cond.size(), attrs.data(),
                                           attrs.size(), &p->status);
    return Started(env, id, std::move(p));
  }

  // cond_put(space, key, checks, attrs)
  Napi::Value CondPut(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CallStrings keep;
    const char* space = nullptr;
    const char* key = nullptr;
    size_t key_sz = 0;
    std::vector<hyperclient_attribute_check> checks;
    std::vector<hyperclient_attribute> attrs;
    if (!Open(env) || !ReadName(env, info[0], "space", keep, &space) ||
        !ReadBytes(env, info[1], "key", &key, &key_sz) || !ReadChecks(env, info[2], "checks", keep, &checks) ||
        !ReadAttrs(env, info[3], "attrs", keep, &attrs)) {
      return Napi::Value();
    }
    auto p = Begin(env, Kind::kStatus);
    if (!p) return Napi::Value();
    const int64_t id = hyperclient_cond_put(client_, space, key, key_sz, checks.data(), checks.size(),
                                            attrs.data(), attrs.size(), &p->status);
    return Started(env, id, std::move(p));
  }

  // search(space, eq, rn)
  Napi::Value Search(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CallStrings keep;
    const char* space = nullptr;
    std::vector<hyperclient_attribute> eq;
    std::vector<hyperclient_range_query> rn;
    if (!Open(env) || !ReadName(env, info[0], "space", keep, &space) || !ReadAttrs(env, info[1], "eq", keep, &eq) ||
        !ReadRanges(env, info[2], "rn", keep, &rn)) {
      return Napi::Value();
    }
    auto p = Begin(env, Kind::kStream);
    if (!p) return Napi::Value();
    const int64_t id = hyperclient_search(client_, space, eq.data(), eq.size(), rn.data(), rn.size(), &p->status,
                                          &p->attrs, &p->attrs_sz);
    return Started(env, id, std::move(p));
  }

  // count(space, checks)
  Napi::Value Count(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CallStrings keep;
    const char* space = nullptr;
    std::vector<hyperclient_attribute_check> checks;
    if (!Open(env) || !ReadName(env, info[0], "space", keep, &space) ||
        !ReadChecks(env, info[1], "checks", keep, &checks)) {
      return Napi::Value();
    }
    auto p = Begin(env, Kind::kCount);
    if (!p) return Napi::Value();
    const int64_t id = hyperclient_count(client_, space, checks.data(), checks.size(), &p->status, &p->count);
    return Started(env, id, std::move(p));
  }

  // sorted_search(space, checks, sortBy, limit, maxmin)
  Napi::Value SortedSearch(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CallStrings keep;
    const char* space = nullptr;
    const char* sort_by = nullptr;
    uint64_t limit = 0;
    std::vector<hyperclient_attribute_check> checks;
    if (!Open(env) || !ReadName(env, info[0], "space", keep, &space) ||
        !ReadChecks(env, info[1], "checks", keep, &checks) || !ReadName(env, info[2], "sortBy", keep, &sort_by) ||
        !ReadBits64(env, info[3], "limit", &limit)) {
      return Napi::Value();
    }
    if (info[4].IsEmpty() || !info[4].IsBoolean()) {
      ThrowType(env, "maxmin must be a boolean (true: largest first)");
      return Napi::Value();
    }
    const int maxmin = info[4].As<Napi::Boolean>().Value() ? 1 : 0;
    auto p = Begin(env, Kind::kStream);
    if (!p) return Napi::Value();
    const int64_t id = hyperclient_sorted_search(client_, space, checks.data(), checks.size(), sort_by, limit, maxmin,
                                                 &p->status, &p->attrs, &p->attrs_sz);
    return Started(env, id, std::move(p));
  }

  // group_del(space, checks)
  template <ChecksFn F>
  Napi::Value ChecksOp(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CallStrings keep;
    const char* space = nullptr;
    std::vector<hyperclient_attribute_check> checks;
    if (!Open(env) || !ReadName(env, info[0], "space", keep, &space) ||
        !ReadChecks(env, info[1], "checks", keep, &checks)) {
      return Napi::Value();
    }
    auto p = Begin(env, Kind::kStatus);
    if (!p) return Napi::Value();
    const int64_t id = F(client_, space, checks.data(), checks.size(), &p->status);
    return Started(env, id, std::move(p));
  }

  // add_space(description), rm_space(name)
  template <NameFn F>
  Napi::Value NameOp(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    CallStrings keep;
    const char* name = nullptr;
    if (!Open(env) || !ReadName(env, info[0], "argument", keep, &name)) return Napi::Value();
    auto p = Begin(env, Kind::kStatus);
    if (!p) return Napi::Value();
    const int64_t id = F(client_, name, &p->status);
    return Started(env, id, std::move(p));
  }

  struct hyperclient* client_ = nullptr;
  std::unordered_map<int64_t, std::unique_ptr<Pending>> pending_;
  std::vector<std::unique_ptr<Pending>> orphans_;
};

}  // namespace

bool InitHyperClient(Napi::Env env, Napi::Object exports) {
  // enum hyperpredicate has no table in constants.c: it exists only in hyperclient.h, read here.
  struct {
    const char* name;
    enum hyperpredicate value;
  } const predicates[] = {
      {"FAIL", HYPERPREDICATE_FAIL},
      {"EQUALS", HYPERPREDICATE_EQUALS},
      {"LESS_THAN", HYPERPREDICATE_LESS_THAN},
      {"LESS_EQUAL", HYPERPREDICATE_LESS_EQUAL},
      {"GREATER_EQUAL", HYPERPREDICATE_GREATER_EQUAL},
      {"GREATER_THAN", HYPERPREDICATE_GREATER_THAN},
  };
  Napi::Object table = Napi::Object::New(env);
  for (const auto& p : predicates) {
    if (!table.Set(p.name, Napi::Number::New(env, p.value))) return false;
  }
  if (!table.Freeze() || !exports.Set("predicates", table)) return false;
  Napi::Function ctor = HyperClient::Define(env);
  if (ctor.IsEmpty()) return false;
  return exports.Set("HyperClient", ctor);
}

}  // namespace hyperdex_node
