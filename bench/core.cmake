# Core: Decimal against plain int64 arithmetic measured in the same run (bench/decimal_bench.cpp).
add_executable(nn_bench_decimal ${CMAKE_CURRENT_LIST_DIR}/decimal_bench.cpp)
target_link_libraries(nn_bench_decimal PRIVATE nn_core benchmark::benchmark nn_options)
