// The strict reader finds duplicate keys without an allocation per key (issue 16, "Lean JSON").
// This file replaces the global operator new of the nn_http test executable with a counting one.
#include <atomic>
#include <cstdlib>
#include <new>
#include <string>

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

#include "infra/http/json.hpp"

namespace {
std::atomic<long> g_allocations{0};
}  // namespace

void* operator new(std::size_t size) {
    g_allocations.fetch_add(1, std::memory_order_relaxed);
    if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
    throw std::bad_alloc();
}
void operator delete(void* p) noexcept {
    std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
    std::free(p);
}

namespace nn::http {
namespace {

// {"k0":0,"k1":0,...} with `n` keys (short keys: they fit the strings' inline buffers, so any
// allocation per key would be the duplicate check's own).
std::string ObjectOf(int n, const std::string& prefix = "k") {
    std::string text = "{";
    for (int i = 0; i < n; ++i) {
        if (i) text += ',';
        text += '"' + prefix + std::to_string(i) + "\":0";
    }
    return text + "}";
}

// Allocations of the strict reader beyond those of Boost.JSON's own parser building the same
// tree (which allocates every key of an object: that is the tree, not the check).
long ExtraAllocationsOf(const std::string& text) {
    long before = g_allocations.load();
    auto stock = boost::json::parse(text);
    const long tree = g_allocations.load() - before;
    before = g_allocations.load();
    auto strict = ParseJson(text);
    const long ours = g_allocations.load() - before;
    EXPECT_EQ(strict, stock);
    return ours - tree;
}

TEST(JsonAllocations, DuplicateKeysAreFoundWithoutAnAllocationPerKey) {
    const long few = ExtraAllocationsOf(ObjectOf(10)), many = ExtraAllocationsOf(ObjectOf(5000));
    // Buffers that grow by doubling: a handful more for 500 times the keys, not 4990 more.
    EXPECT_LT(many - few, 64) << "beyond the tree: 10 keys " << few << " allocations, 5000 keys " << many;
}

TEST(JsonAllocations, ManySmallObjectsDoNotAllocatePerKeyEither) {
    std::string text = "[";
    for (int i = 0; i < 2000; ++i) text += (i ? "," : "") + ObjectOf(3);
    text += "]";
    EXPECT_LT(ExtraAllocationsOf(text), 64);
}

TEST(JsonAllocations, DuplicatesAreStillFoundAtAnySize) {
    for (int n : {2, 63, 64, 65, 1000, 70000}) {
        std::string text = ObjectOf(n);
        text.back() = ',';
        text += "\"k" + std::to_string(n / 2) + "\":1}";
        try {
            ParseJson(text);
            ADD_FAILURE() << n << " keys and a repeat were accepted";
        } catch (const HttpError& e) {
            EXPECT_EQ(e.Code(), "json.duplicate_key") << n;
        }
        // The same keys in sibling and nested objects are not duplicates.
        EXPECT_NO_THROW(ParseJson("[" + ObjectOf(n) + "," + ObjectOf(n) + "]")) << n;
        EXPECT_NO_THROW(ParseJson("{\"k0\":" + ObjectOf(n) + ",\"k1\":" + ObjectOf(n, "k") + "}")) << n;
    }
}

}  // namespace
}  // namespace nn::http
