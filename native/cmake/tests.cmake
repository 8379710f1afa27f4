# The C tests. Included by CMakeLists.txt; ctest runs those that need no cluster.
#
# Sanitizers and valgrind cover every test here without per-test flags: `npm run test:asan`
# configures build/asan with -DHYPERDEX_SANITIZE=ON, which native/cmake/library.cmake turns into
# directory-wide compile and link options; `npm run test:valgrind` configures build/valgrind with
# valgrind as CMAKE_CROSSCOMPILING_EMULATOR, which add_test() puts in front of a test whose COMMAND
# names an executable target (so name the target, not a path or $<TARGET_FILE:...>).

# C test of the constants; run by `ctest` (scripts/build-native.sh does).
add_executable(test_constants test/c/test_constants.c)
set_target_properties(test_constants PROPERTIES
  C_STANDARD 11
  C_STANDARD_REQUIRED ON
  C_EXTENSIONS OFF)
target_compile_options(test_constants PRIVATE ${HYPERDEX_C_WARNINGS})
target_link_libraries(test_constants PRIVATE hyperdex_common)
add_test(NAME test_constants COMMAND test_constants)

# The byte vectors of test/vectors/ against the protocol layer; run by `ctest`.
# json.c is the JSON reader shared with the bridge (native/tools).
add_executable(test_vectors test/c/test_vectors.c native/tools/json.c)
target_include_directories(test_vectors PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/native/tools)
set_target_properties(test_vectors PROPERTIES
  C_STANDARD 11
  C_STANDARD_REQUIRED ON
  C_EXTENSIONS OFF)
target_compile_options(test_vectors PRIVATE ${HYPERDEX_C_WARNINGS} ${HYPERDEX_SANITIZE_FLAGS})
target_link_libraries(test_vectors PRIVATE hyperclient_protocol)
add_test(NAME test_vectors COMMAND test_vectors ${CMAKE_SOURCE_DIR}/test/vectors)

# Compile-time contract check of native/include/hyperclient.h (the manual's chapter 7): compiled,
# never linked or run, so a header that breaks the contract breaks the build.
add_library(test_contract OBJECT test/c/test_contract.c)
target_include_directories(test_contract PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/native/include)
set_target_properties(test_contract PROPERTIES
  C_STANDARD 11
  C_STANDARD_REQUIRED ON
  C_EXTENSIONS OFF)
target_compile_options(test_contract PRIVATE ${HYPERDEX_C_WARNINGS})

# The same check compiled as C++ (the header must serve C++ programs, and C++ tells an enum
# parameter from an unsigned int one). A .cc copy: a source file has one language per directory.
configure_file(test/c/test_contract.c ${CMAKE_CURRENT_BINARY_DIR}/test_contract.cc COPYONLY)
add_library(test_contract_cxx OBJECT ${CMAKE_CURRENT_BINARY_DIR}/test_contract.cc)
target_include_directories(test_contract_cxx PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/native/include)
set_target_properties(test_contract_cxx PROPERTIES
  CXX_STANDARD 17
  CXX_STANDARD_REQUIRED ON
  CXX_EXTENSIONS OFF)
target_compile_options(test_contract_cxx PRIVATE ${HYPERDEX_CXX_WARNINGS})

# The id map of libhyperclient's outstanding operations, against a plain model; run by ctest.
add_executable(test_idmap test/c/test_idmap.c native/src/idmap.c)
target_include_directories(test_idmap PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/native/src)
set_target_properties(test_idmap PROPERTIES
  C_STANDARD 11
  C_STANDARD_REQUIRED ON
  C_EXTENSIONS OFF)
target_compile_options(test_idmap PRIVATE ${HYPERDEX_C_WARNINGS})
add_test(NAME test_idmap COMMAND test_idmap)

# The C programs that run against a live cluster, `PROGRAM HOST PORT`: ctest does not run them; ava
# tests start the cluster (or fakes) and run them (test/c-client.test.ts, c-moves.test.ts,
# c-programs.test.ts, ride-through.test.ts):
#   test_client       the manual's phonebook session
#   test_ops          every function and status of hyperclient.h
#   test_outstanding  10,000 operations outstanding
#   test_faults       a daemon stopped and killed mid-operation
#   test_coordinator  the coordinator killed
#   test_moves        64 operations in flight while daemons join and regions move
#   test_map_ops      map operations on up to HYPERDEX_MICRO_OPS_PER_REQUEST_MAX keys, floored division
#   test_idle_close   a connection the daemon closed while the program was away from loop
foreach(prog test_client test_ops test_outstanding test_faults test_coordinator test_moves test_map_ops test_idle_close)
  add_executable(${prog} test/c/${prog}.c)
  set_target_properties(${prog} PROPERTIES
    C_STANDARD 11
    C_STANDARD_REQUIRED ON
    C_EXTENSIONS OFF)
  target_compile_options(${prog} PRIVATE ${HYPERDEX_C_WARNINGS})
  target_link_libraries(${prog} PRIVATE hyperclient)
endforeach()
