# The C libraries: constants, the protocol layer and libhyperclient. Included by CMakeLists.txt.

# The C library's constants: names of return codes, attribute types and message types.
add_library(hyperdex_common STATIC native/src/constants.c)
target_include_directories(hyperdex_common PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/native/include)
set_target_properties(hyperdex_common PROPERTIES
  C_STANDARD 11
  C_STANDARD_REQUIRED ON
  C_EXTENSIONS OFF
  # linked into the shared addon
  POSITION_INDEPENDENT_CODE ON)
target_compile_options(hyperdex_common PRIVATE ${HYPERDEX_C_WARNINGS})

# The protocol layer of libhyperclient (internal, C11): the msgpack subset, frames
# (native/src/wire.c) and the geometry: value bytes, coordinates, partitions, the planner's axis
# intervals (native/src/coordinate.c). Static and position-independent, for the libraries to come.
option(HYPERDEX_SANITIZE "Build the protocol layer and its vector test with AddressSanitizer and UBSan" OFF)
set(HYPERDEX_SANITIZE_FLAGS "")
if(HYPERDEX_SANITIZE AND NOT MSVC)
  set(HYPERDEX_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
endif()

add_library(hyperclient_protocol STATIC native/src/wire.c native/src/coordinate.c)
target_include_directories(hyperclient_protocol
  PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/native/include ${CMAKE_CURRENT_SOURCE_DIR}/native/src)
set_target_properties(hyperclient_protocol PROPERTIES
  C_STANDARD 11
  C_STANDARD_REQUIRED ON
  C_EXTENSIONS OFF
  POSITION_INDEPENDENT_CODE ON)
target_compile_options(hyperclient_protocol PRIVATE ${HYPERDEX_C_WARNINGS} ${HYPERDEX_SANITIZE_FLAGS})
target_link_options(hyperclient_protocol INTERFACE ${HYPERDEX_SANITIZE_FLAGS})

# libhyperclient (the manual's chapter 7): static and position-independent, C11. So far: create,
# destroy, get, put, put_if_not_exist, condput, cond_put, del, loop, destroy_attrs.
# The library's sources. native/src/client*.c may be split further; this list names them all.
set(HYPERCLIENT_SOURCES
  native/src/client.c
  native/src/wire.c
  native/src/coordinate.c)
add_library(hyperclient STATIC ${HYPERCLIENT_SOURCES})
target_include_directories(hyperclient
  PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/native/include
  PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/native/src)
set_target_properties(hyperclient PROPERTIES
  C_STANDARD 11
  C_STANDARD_REQUIRED ON
  C_EXTENSIONS OFF
  POSITION_INDEPENDENT_CODE ON)
target_compile_options(hyperclient PRIVATE ${HYPERDEX_C_WARNINGS} ${HYPERDEX_SANITIZE_FLAGS})
target_link_options(hyperclient INTERFACE ${HYPERDEX_SANITIZE_FLAGS})

