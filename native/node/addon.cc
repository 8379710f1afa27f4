// HyperDex's C library for Node: the class `HyperClient` over libhyperclient (client_wrap.cc), and
// the C constants `returncodes`, `datatypes`, `messageTypes`, `atomicFlags`, `funcOps` and
// `checkOps` (name without its C prefix -> number), plus `frameHeaderBytes`, `frameBytesMax`,
// `attributesPerRequestMax`, `microOpsPerRequestMax`, `searchBatchObjectsMax` and
// `searchBatchBytesMax`.
//
// Everything comes from the C library's tables (native/src/constants.c); this file only copies
// them into JavaScript objects, so test/protocol-constants.test.ts compares the C side itself
// with src/common/protocol.ts and src/common/datatypes.ts.
#include <cstddef>
#include <cstring>
#include <string>

#include <napi.h>

#include "client_wrap.h"
#include "hyperdex.h"
#include "hyperdex_constants.h"

namespace {

using CountFn = size_t (*)(void);
using AtFn = int (*)(size_t, const char**, int*);

// A frozen object holding every entry of one C table, keyed by name minus `prefix`. On failure
// it leaves a JavaScript exception pending and returns an empty value.
Napi::Value Table(Napi::Env env, const char* what, CountFn count, AtFn at, const char* prefix) {
  const size_t prefix_len = std::strlen(prefix);
  Napi::Object table = Napi::Object::New(env);
  const size_t n = count();
  for (size_t i = 0; i < n; ++i) {
    const char* name = nullptr;
    int value = 0;
    if (at(i, &name, &value) != 0 || name == nullptr ||
        std::strncmp(name, prefix, prefix_len) != 0) {
      Napi::Error::New(env, std::string("hyperdex_native: bad entry ") + std::to_string(i) +
                                " in the C table of " + what)
          .ThrowAsJavaScriptException();
      return Napi::Value();
    }
    if (!table.Set(name + prefix_len, Napi::Number::New(env, value))) {
      return Napi::Value();
    }
  }
  if (!table.Freeze()) {
    return Napi::Value();
  }
  return table;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  struct {
    const char* key;
    CountFn count;
    AtFn at;
    const char* prefix;
  } const tables[] = {
      {"returncodes", hyperdex_returncode_count, hyperdex_returncode_at,
       HYPERDEX_RETURNCODE_PREFIX},
      {"datatypes", hyperdex_datatype_count, hyperdex_datatype_at, HYPERDEX_DATATYPE_PREFIX},
      {"messageTypes", hyperdex_msgtype_count, hyperdex_msgtype_at, HYPERDEX_MSGTYPE_PREFIX},
      {"atomicFlags", hyperdex_atomicflag_count, hyperdex_atomicflag_at,
       HYPERDEX_ATOMICFLAG_PREFIX},
      {"funcOps", hyperdex_funcop_count, hyperdex_funcop_at, HYPERDEX_FUNCOP_PREFIX},
      {"checkOps", hyperdex_checkop_count, hyperdex_checkop_at, HYPERDEX_CHECKOP_PREFIX},
  };
  for (const auto& t : tables) {
    Napi::Value table = Table(env, t.key, t.count, t.at, t.prefix);
    if (table.IsEmpty() || !exports.Set(t.key, table)) {
      return exports;  // the pending exception makes require() throw
    }
  }
  exports.Set("frameHeaderBytes", Napi::Number::New(env, HYPERDEX_FRAME_HEADER_BYTES));
  exports.Set("frameBytesMax", Napi::Number::New(env, HYPERDEX_FRAME_BYTES_MAX));
  exports.Set("attributesPerRequestMax", Napi::Number::New(env, HYPERDEX_ATTRIBUTES_PER_REQUEST_MAX));
  exports.Set("microOpsPerRequestMax", Napi::Number::New(env, HYPERDEX_MICRO_OPS_PER_REQUEST_MAX));
  exports.Set("searchBatchObjectsMax", Napi::Number::New(env, HYPERDEX_SEARCH_BATCH_OBJECTS_MAX));
  exports.Set("searchBatchBytesMax", Napi::Number::New(env, HYPERDEX_SEARCH_BATCH_BYTES_MAX));
  hyperdex_node::InitHyperClient(env, exports);  // on failure its exception makes require() throw
  return exports;
}

}  // namespace

NODE_API_MODULE(hyperdex_native, Init)
