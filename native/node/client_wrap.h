// The `HyperClient` class of the Node addon: libhyperclient (native/include/hyperclient.h) called
// in-process, arguments and results converted and nothing else.
#ifndef HYPERDEX_NODE_CLIENT_WRAP_H
#define HYPERDEX_NODE_CLIENT_WRAP_H

#include <napi.h>

namespace hyperdex_node {

// Adds `HyperClient` to the addon's exports. Leaves a JavaScript exception pending and returns
// false on failure.
bool InitHyperClient(Napi::Env env, Napi::Object exports);

}  // namespace hyperdex_node

#endif  // HYPERDEX_NODE_CLIENT_WRAP_H
