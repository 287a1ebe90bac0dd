# Build conventions shared by every folder.

find_program(NN_CCACHE ccache)
if(NN_CCACHE)
  set(CMAKE_CXX_COMPILER_LAUNCHER ${NN_CCACHE})
endif()

# Unity builds for the libraries and the application: each folder's sources are compiled up to
# eight to a translation unit, so the Asio, Beast and JSON templates they share are parsed and
# generated once per batch instead of once per file (docs/architecture.md "Build time"). The
# test executables are batched too (gtest and the fixtures are parsed once per batch), so the
# file-local helpers of one suite's test files need distinct names. NN_UNITY_BUILD=OFF turns
# it off everywhere.
option(NN_UNITY_BUILD "Compile each library's sources in batches (unity build)" ON)
function(nn_unity_build target)
  if(NN_UNITY_BUILD)
    set_target_properties(${target} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
  endif()
endfunction()

if(NOT CMAKE_BUILD_TYPE)
  set(CMAKE_BUILD_TYPE RelWithDebInfo)
endif()
# -O2 rather than CMake's -O3: as fast for this code and quicker to compile on 2 cores.
# g++ 12's optimiser also reports false -Wfree-nonheap-object on inlined std::vector growth
# (GCC bug 104475 family), only in optimised builds.
set(CMAKE_CXX_FLAGS_RELEASE "-O2 -DNDEBUG -Wno-free-nonheap-object")

add_library(nn_warnings INTERFACE)
target_compile_options(nn_warnings INTERFACE -Wall -Wextra -Werror -Wno-missing-field-initializers
  # GCC 12 at -O2/-O3 reports Asio's coroutine-frame allocator (operator new paired with
  # std::free in its recycling cache) as mismatched; the pairing is Asio's own and correct.
  -Wno-mismatched-new-delete
  # GCC 12 bug 105329: false -Wrestrict on inlined std::string copies at -O2/-O3.
  -Wno-restrict
  # In a unity batch every .cpp but the first counts as a header to GCC, which then reports
  # each coroutine frame holding an anonymous-namespace type (GCC 12, -Wsubobject-linkage).
  $<$<CXX_COMPILER_ID:GNU>:-Wno-subobject-linkage>)

add_library(nn_options INTERFACE)
target_link_libraries(nn_options INTERFACE nn_warnings)
# Asio/Beast are compiled once (src/infra/runtime/asio_impl.cpp) instead of in every TU.
target_compile_definitions(nn_options INTERFACE
  BOOST_ASIO_SEPARATE_COMPILATION BOOST_BEAST_SEPARATE_COMPILATION
  BOOST_ASIO_NO_DEPRECATED BOOST_JSON_NO_LIB BOOST_URL_NO_LIB)
if(NN_SANITIZE)
  # UBSan without its `null` and `alignment` checks: at -O0 they instrument every pointer access
  # and cost about a quarter of this build's compile time (a portfolio batch: 13.7 -> 9.9 CPU-s,
  # a test batch 20.8 -> 15.4), while ASan already stops a null dereference with its stack, x86-64
  # does not fault on misalignment, and the fuzzing build (fuzz/CMakeLists.txt) keeps both
  # checks on the parsers. Every other UBSan check (signed overflow, shifts, bounds, enum, bool,
  # vptr, ...) stays on and aborts.
  target_compile_options(nn_options INTERFACE -fsanitize=address,undefined -fno-sanitize=alignment,null
                                                -fno-omit-frame-pointer -fno-sanitize-recover=undefined)
  target_link_options(nn_options INTERFACE -fsanitize=address,undefined)
  # Asio recycles coroutine frames in a thread-local cache that ASan reports as
  # use-after-free across threads; plain allocation keeps the reports honest.
  target_compile_definitions(nn_options INTERFACE BOOST_ASIO_DISABLE_AWAITABLE_FRAME_RECYCLING)
  # Line tables only (-g1 after CMake's -g): ASan/UBSan reports still name file:line for every
  # frame, while compiling and linking the -O0 test code is cheaper than with full debug info
  # (docs/architecture.md "Build time"). -DNN_SANITIZE_DEBUG_INFO=-g brings locals back for gdb.
  set(NN_SANITIZE_DEBUG_INFO "-g1" CACHE STRING "Debug-info level of the sanitizer build")
  target_compile_options(nn_options INTERFACE $<$<CONFIG:Debug>:${NN_SANITIZE_DEBUG_INFO}>)
endif()

# nn_add_library(name SOURCES ... [DEPS ...] [PRIVATE_DEPS ...])
# Builds a static library from the non-test sources of the calling folder.
function(nn_add_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(${name} PUBLIC nn_options ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  nn_unity_build(${name})
endfunction()

# nn_add_tests(prefix DEPS ...)
# Collects the tests next to the code by suffix (STYLE.md):
#   *_test.cpp       pure, no server           -> <prefix>_test        label unit
#   *_pgtest.cpp     needs PostgreSQL          -> <prefix>_pgtest      label pg
#   *_redistest.cpp  needs Redis               -> <prefix>_redistest   label redis
# Servers come from NEXANEST_TEST_PG_URL / NEXANEST_TEST_REDIS_URL (scripts/test-env.sh).
function(nn_add_tests prefix)
  if(NOT NN_BUILD_TESTS)
    return()
  endif()
  cmake_parse_arguments(ARG "" "" "DEPS" ${ARGN})
  foreach(kind test pgtest redistest)
    file(GLOB srcs CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*_${kind}.cpp)
    if(srcs)
      set(exe ${prefix}_${kind})
      add_executable(${exe} ${srcs})
      target_link_libraries(${exe} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main nn_options)
      nn_unity_build(${exe})
      # Release: the test code itself is compiled without optimisation. It is not what runs hot
      # (the code under test keeps -O2), and the coroutine-heavy suites compile about 40 % faster
      # at -O0 (docs/architecture.md "Build time"). Debug builds are -O0 already.
      target_compile_options(${exe} PRIVATE $<$<CONFIG:Release>:-O0>)
      if(kind STREQUAL "test")
        set(label unit)
      elseif(kind STREQUAL "pgtest")
        set(label pg)
      else()
        set(label redis)
      endif()
      add_test(NAME ${exe} COMMAND ${exe} --gtest_color=no)
      # Every answer a test receives from a server is checked against its route's contract
      # (src/infra/http/contract.hpp): a response the OpenAPI document does not describe fails.
      set_tests_properties(${exe} PROPERTIES LABELS ${label} TIMEOUT 600 ENVIRONMENT NEXANEST_CONTRACT_CHECK=1)
    endif()
  endforeach()
endfunction()

# Every sources list of a folder without its tests.
function(nn_folder_sources out)
  file(GLOB all CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/*.cpp)
  list(FILTER all EXCLUDE REGEX "_(test|pgtest|redistest)\\.cpp$")
  set(${out} ${all} PARENT_SCOPE)
endfunction()
