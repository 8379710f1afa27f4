# The C libraries: constants, the protocol layer and libhyperclient (static and shared), and how
# `cmake --install` installs libhyperclient. Included by CMakeLists.txt.

include(GNUInstallDirs)

# AddressSanitizer and UBSan for the whole C build (-DHYPERDEX_SANITIZE=ON; scripts/test-asan.sh
# builds build/asan so). Set as directory options here, before any target exists, so that every
# library and every C test, also those added later in tests.cmake, is instrumented without each
# having to ask. -fno-sanitize-recover: a UBSan report ends the program, so it cannot go unseen.
# HYPERDEX_SANITIZE_FLAGS stays defined for the targets that still name it.
option(HYPERDEX_SANITIZE "Build all C code with AddressSanitizer and UBSan" OFF)
set(HYPERDEX_SANITIZE_FLAGS "")
if(HYPERDEX_SANITIZE AND NOT MSVC)
  set(HYPERDEX_SANITIZE_FLAGS -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
  add_compile_options(${HYPERDEX_SANITIZE_FLAGS})
  add_link_options(${HYPERDEX_SANITIZE_FLAGS})
endif()

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
# intervals (native/src/coordinate.c). Static, for the C tests that exercise it directly.
add_library(hyperclient_protocol STATIC native/src/wire.c native/src/coordinate.c)
target_include_directories(hyperclient_protocol
  PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/native/include ${CMAKE_CURRENT_SOURCE_DIR}/native/src)
set_target_properties(hyperclient_protocol PROPERTIES
  C_STANDARD 11
  C_STANDARD_REQUIRED ON
  C_EXTENSIONS OFF
  POSITION_INDEPENDENT_CODE ON)
target_compile_options(hyperclient_protocol PRIVATE ${HYPERDEX_C_WARNINGS})

# libhyperclient (the manual's chapter 7), C11, plain C: it needs no C++ runtime.
# The library's sources. native/src/client*.c may be split further; this list names them all.
set(HYPERCLIENT_SOURCES
  native/src/client_config.c
  native/src/client_keyops.c
  native/src/client_net.c
  native/src/client_ops.c
  native/src/client_search.c
  native/src/client_values.c
  native/src/idmap.c
  native/src/wire.c
  native/src/coordinate.c)

# The library's version: 0.4 for the manual whose API it implements; the SONAME carries the major
# number only (libhyperclient.so.0), so compatible releases replace the file under it.
set(HYPERCLIENT_VERSION 0.4.0)
set(HYPERCLIENT_SOVERSION 0)

# The sources are compiled once, position-independent, for both libraries.
add_library(hyperclient_objects OBJECT ${HYPERCLIENT_SOURCES})
target_include_directories(hyperclient_objects
  PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/native/include ${CMAKE_CURRENT_SOURCE_DIR}/native/src)
set_target_properties(hyperclient_objects PROPERTIES
  C_STANDARD 11
  C_STANDARD_REQUIRED ON
  C_EXTENSIONS OFF
  POSITION_INDEPENDENT_CODE ON)
target_compile_options(hyperclient_objects PRIVATE ${HYPERDEX_C_WARNINGS})

# The static library, libhyperclient.a; the C tests link this target.
add_library(hyperclient STATIC $<TARGET_OBJECTS:hyperclient_objects>)
target_include_directories(hyperclient PUBLIC
  $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/native/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)

# The linker version script: the functions hyperclient.h declares, one `name;` a line, read from
# the header at configure time (CMake configures again when the header changes).
set(HYPERCLIENT_PUBLIC_HEADER ${CMAKE_CURRENT_SOURCE_DIR}/native/include/hyperclient.h)
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS ${HYPERCLIENT_PUBLIC_HEADER})
file(STRINGS ${HYPERCLIENT_PUBLIC_HEADER} hyperclient_decls REGEX "^hyperclient_[A-Za-z0-9_]+\\(")
set(HYPERCLIENT_EXPORTS "")
foreach(decl IN LISTS hyperclient_decls)
  string(REGEX REPLACE "^(hyperclient_[A-Za-z0-9_]+)\\(.*$" "    \\1;" name "${decl}")
  string(APPEND HYPERCLIENT_EXPORTS "${name}\n")
endforeach()
if(HYPERCLIENT_EXPORTS STREQUAL "")
  message(FATAL_ERROR "hyperdex: no function declarations found in ${HYPERCLIENT_PUBLIC_HEADER}")
endif()
set(HYPERCLIENT_VERSION_SCRIPT ${CMAKE_CURRENT_BINARY_DIR}/libhyperclient.map)
configure_file(native/src/libhyperclient.map.in ${HYPERCLIENT_VERSION_SCRIPT} @ONLY)

# The shared library: libhyperclient.so -> libhyperclient.so.0 -> libhyperclient.so.0.4.0,
# exporting only the header's functions.
add_library(hyperclient_shared SHARED $<TARGET_OBJECTS:hyperclient_objects>)
set_target_properties(hyperclient_shared PROPERTIES
  OUTPUT_NAME hyperclient
  VERSION ${HYPERCLIENT_VERSION}
  SOVERSION ${HYPERCLIENT_SOVERSION}
  LINKER_LANGUAGE C
  LINK_DEPENDS ${HYPERCLIENT_VERSION_SCRIPT})
target_include_directories(hyperclient_shared PUBLIC
  $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/native/include>
  $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
if(NOT MSVC AND NOT APPLE)
  target_link_options(hyperclient_shared PRIVATE "LINKER:--version-script=${HYPERCLIENT_VERSION_SCRIPT}")
  # Every symbol the library uses must be resolved when it is linked (libc only), not discovered
  # missing by a program at load time. Sanitized builds leave the runtime's symbols to the program.
  if(NOT HYPERDEX_SANITIZE)
    target_link_options(hyperclient_shared PRIVATE "LINKER:--no-undefined")
  endif()
endif()

# `cmake --install BUILD --prefix P`: P/include/{hyperclient,hyperdex,hyperclient_status}.h,
# P/lib/libhyperclient.{a,so,so.0,so.0.4.0} and P/lib/pkgconfig/hyperclient.pc. Nothing else has
# install rules: the Node addon and the test programs stay in the build tree.
install(TARGETS hyperclient hyperclient_shared
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(FILES
  native/include/hyperclient.h
  native/include/hyperdex.h
  native/include/hyperclient_status.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
# hyperclient.pc finds its prefix relative to its own directory (pkg-config's ${pcfiledir}), which
# is right whatever prefix `cmake --install --prefix` is given.
file(RELATIVE_PATH HYPERCLIENT_PC_PREFIX_FROM_PCDIR
  /hyperclient-prefix/${CMAKE_INSTALL_LIBDIR}/pkgconfig /hyperclient-prefix)
string(REGEX REPLACE "/$" "" HYPERCLIENT_PC_PREFIX_FROM_PCDIR "${HYPERCLIENT_PC_PREFIX_FROM_PCDIR}")
configure_file(native/hyperclient.pc.in ${CMAKE_CURRENT_BINARY_DIR}/hyperclient.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/hyperclient.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
