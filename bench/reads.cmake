# Authenticated reads (issue 16): GET /api/v1/me and /api/v1/portfolios with real bearer tokens
# against the bare /healthz route of the same server and against pgbench of the list's SQL under
# RLS, /me's p99 during a login flood, a month of performance and a monthly statement of a
# 100 000-transaction portfolio against pgbench reading the transactions they need, and the
# server's peak RSS (bench/reads_bench.cpp). Needs the test servers, wrk and pgbench.
if(TARGET nn_portfolio AND TARGET nn_auth AND TARGET nn_analytics AND TARGET nn_test_support)
  add_executable(nn_bench_reads ${CMAKE_CURRENT_LIST_DIR}/reads_bench.cpp)
  target_include_directories(nn_bench_reads PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(nn_bench_reads PRIVATE nn_analytics nn_portfolio nn_auth nn_migrate nn_runtime nn_test_support nn_options
                        Threads::Threads)
endif()
