# Portfolio (src/portfolio): GET /api/v1/portfolios/summary over HTTP (wrk at 4, 16 and 64
# connections, Redis cache missed and hit) and POST .../transactions, each against pgbench
# running the same SQL on the same data as the nexanest_portfolio role under RLS, in the same
# run (bench/portfolio_bench.cpp). Needs the test servers, wrk and pgbench.
if(TARGET nn_portfolio AND TARGET nn_test_support)
  add_executable(nn_bench_portfolio ${CMAKE_CURRENT_LIST_DIR}/portfolio_bench.cpp)
  target_include_directories(nn_bench_portfolio PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(nn_bench_portfolio PRIVATE nn_portfolio nn_auth nn_migrate nn_test_support nn_options)
endif()
