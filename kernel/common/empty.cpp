// Every kernel library lists this file so that CMake can create it before its folder has
// sources of its own (a static library needs at least one). It defines nothing.
