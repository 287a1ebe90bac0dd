#pragma once

#include <cstdio>
#include <cstdlib>

// An invariant a fuzz target asserts: a violation aborts, so libFuzzer records the input as a
// crash. Unlike assert() it is not compiled out by NDEBUG.
#define NN_FUZZ_CHECK(cond)                                                                   \
    do {                                                                                      \
        if (!(cond)) {                                                                        \
            std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
            std::abort();                                                                     \
        }                                                                                     \
    } while (false)
