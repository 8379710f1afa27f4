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

# The client against a live cluster: `test_client HOST PORT`. Needs a coordinator, a daemon and
# the phonebook space, so ctest does not run it; test/c-client.test.ts (ava) does.
add_executable(test_client test/c/test_client.c)
set_target_properties(test_client PROPERTIES
  C_STANDARD 11
  C_STANDARD_REQUIRED ON
  C_EXTENSIONS OFF)
target_compile_options(test_client PRIVATE ${HYPERDEX_C_WARNINGS} ${HYPERDEX_SANITIZE_FLAGS})
target_link_libraries(test_client PRIVATE hyperclient)

# The id map of libhyperclient's outstanding operations, against a plain model; run by ctest.
add_executable(test_idmap test/c/test_idmap.c native/src/idmap.c)
target_include_directories(test_idmap PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/native/src)
set_target_properties(test_idmap PROPERTIES
  C_STANDARD 11
  C_STANDARD_REQUIRED ON
  C_EXTENSIONS OFF)
target_compile_options(test_idmap PRIVATE ${HYPERDEX_C_WARNINGS})
add_test(NAME test_idmap COMMAND test_idmap)

# libhyperclient while regions move to joining daemons: `test_moves HOST PORT`, run by
# test/c-moves.test.ts (ava), which starts the cluster and the daemons.
add_executable(test_moves test/c/test_moves.c)
set_target_properties(test_moves PROPERTIES
  C_STANDARD 11
  C_STANDARD_REQUIRED ON
  C_EXTENSIONS OFF)
target_compile_options(test_moves PRIVATE ${HYPERDEX_C_WARNINGS})
target_link_libraries(test_moves PRIVATE hyperclient)

# Every function and status of hyperclient.h against a live cluster (test_ops), 10,000 operations
# outstanding (test_outstanding), and a daemon stopped and killed mid-operation (test_faults):
# `PROGRAM HOST PORT`, run by test/c-programs.test.ts (ava), which starts the cluster.
foreach(prog test_ops test_outstanding test_faults)
  add_executable(${prog} test/c/${prog}.c)
  set_target_properties(${prog} PROPERTIES
    C_STANDARD 11
    C_STANDARD_REQUIRED ON
    C_EXTENSIONS OFF)
  target_compile_options(${prog} PRIVATE ${HYPERDEX_C_WARNINGS})
  target_link_libraries(${prog} PRIVATE hyperclient)
endforeach()

# libhyperclient without its coordinator: `test_coordinator HOST PORT`, run by test/c-programs.test.ts.
add_executable(test_coordinator test/c/test_coordinator.c)
set_target_properties(test_coordinator PROPERTIES
  C_STANDARD 11
  C_STANDARD_REQUIRED ON
  C_EXTENSIONS OFF)
target_compile_options(test_coordinator PRIVATE ${HYPERDEX_C_WARNINGS})
target_link_libraries(test_coordinator PRIVATE hyperclient)
