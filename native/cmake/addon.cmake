# The Node addon (node-addon-api, cmake-js). Included by CMakeLists.txt.

# The Node addon: build/native/Release/hyperdex_native.node (loaded by src/common/native.ts). It
# links the real libhyperclient (static, position-independent), so JavaScript calls the C library
# in-process: addon.cc exports the constants, client_wrap.cc the HyperClient class.
add_library(hyperdex_native SHARED native/node/addon.cc native/node/client_wrap.cc ${CMAKE_JS_SRC})
set_target_properties(hyperdex_native PROPERTIES
  PREFIX ""
  SUFFIX ".node"
  CXX_STANDARD 17
  CXX_STANDARD_REQUIRED ON
  CXX_EXTENSIONS OFF
  CXX_VISIBILITY_PRESET hidden
  VISIBILITY_INLINES_HIDDEN ON)
target_include_directories(hyperdex_native PRIVATE ${CMAKE_JS_INC} ${NODE_ADDON_API_DIR})
target_compile_definitions(hyperdex_native PRIVATE
  NAPI_VERSION=8
  NODE_ADDON_API_DISABLE_CPP_EXCEPTIONS)
target_compile_options(hyperdex_native PRIVATE ${HYPERDEX_CXX_WARNINGS})
target_link_libraries(hyperdex_native PRIVATE hyperclient hyperdex_common ${CMAKE_JS_LIB})
# Node loads addons with lazy binding, so a libhyperclient function missing from the build would
# only be found missing when first called, killing the process. Binding everything at load time
# makes require() fail instead, naming the symbol. (Node-API's own symbols come from node itself.)
if(NOT MSVC AND NOT APPLE)
  target_link_options(hyperdex_native PRIVATE "LINKER:-z,now")
endif()

# Windows: cmake-js describes node.lib by a .def file; build the import library from it.
if(MSVC AND CMAKE_JS_NODELIB_DEF AND CMAKE_JS_NODELIB_TARGET)
  execute_process(COMMAND ${CMAKE_AR} /def:${CMAKE_JS_NODELIB_DEF}
                          /out:${CMAKE_JS_NODELIB_TARGET} ${CMAKE_STATIC_LINKER_FLAGS})
endif()

