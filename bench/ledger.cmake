# The incremental ledger (issue 16): replay scaling (pure), and against the running portfolio
# service: append latency by ledger size, a back-dated edit in the middle of 100 000
# transactions, a 100 000-line import against raw binary COPY of the same rows, each as a
# ratio to a limit measured in the same run (bench/ledger_bench.cpp). The server parts need
# the test servers, wrk, curl and psql.
if(TARGET nn_portfolio AND TARGET nn_test_support)
  add_executable(nn_bench_ledger ${CMAKE_CURRENT_LIST_DIR}/ledger_bench.cpp)
  target_include_directories(nn_bench_ledger PRIVATE ${PROJECT_SOURCE_DIR})
  target_link_libraries(nn_bench_ledger PRIVATE nn_portfolio nn_auth nn_migrate nn_test_support nn_options)
endif()
