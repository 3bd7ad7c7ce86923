// The one main() of every gpusched test executable, compiled once into gpusched_doctest_main.
// The precompiled header has already included doctest.h (its interface part); defining
// DOCTEST_CONFIG_IMPLEMENT as well makes this second include emit the implementation and main().
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>
