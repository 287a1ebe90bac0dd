# Analytics (src/analytics): GET /api/v1/portfolios/{id}/performance for a portfolio with ten
# years of daily history, 2,000 transactions and 50 holdings, against the time to read its
# inputs (the transactions and the daily closes) from PostgreSQL in the same run
# (bench/analytics_performance_bench.cpp).
add_executable(nn_bench_analytics_performance ${CMAKE_CURRENT_LIST_DIR}/analytics_performance_bench.cpp)
target_include_directories(nn_bench_analytics_performance PRIVATE ${PROJECT_SOURCE_DIR})
target_link_libraries(nn_bench_analytics_performance PRIVATE nn_analytics nn_migrate nn_options)
target_compile_definitions(nn_bench_analytics_performance PRIVATE NN_SOURCE_DIR="${PROJECT_SOURCE_DIR}")
