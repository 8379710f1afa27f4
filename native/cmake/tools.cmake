# Programs built over libhyperclient. Included by CMakeLists.txt.

# hyperclient-json-bridge HOST PORT [TIMEOUT_MS]: HyperDex operations as JSON lines on stdin, one
# canonical JSON result line each (docs/bridge.md); the C leg of the cross-client compatibility
# suite. Run by test/c-bridge.test.ts.
add_executable(hyperclient-json-bridge native/tools/json_bridge.c native/tools/json.c)
set_target_properties(hyperclient-json-bridge PROPERTIES
  C_STANDARD 11
  C_STANDARD_REQUIRED ON
  C_EXTENSIONS OFF)
target_include_directories(hyperclient-json-bridge PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/native/tools)
target_compile_options(hyperclient-json-bridge PRIVATE ${HYPERDEX_C_WARNINGS})
target_link_libraries(hyperclient-json-bridge PRIVATE hyperclient hyperdex_common m)
