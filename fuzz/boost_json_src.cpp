// Boost.JSON compiled here with the fuzz instrumentation, instead of linking Debian's
// uninstrumented libboost_json: the fuzzer then gets coverage feedback from inside it (value
// building, object insertion, serialisation) and ASan checks its memory accesses.
#include <boost/json/src.hpp>
