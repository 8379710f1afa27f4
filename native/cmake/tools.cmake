# Programs built over libhyperclient. Included by CMakeLists.txt.
