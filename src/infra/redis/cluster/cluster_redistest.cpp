// Redis Cluster mode against a real cluster of 3 masters and 3 replicas on loopback, started
// and stopped by this test (scripts/redis-cluster.sh): routing, a resharding (MOVED), a slot
// in migration (ASK), streams, Lua, pub/sub across nodes and a master killed (failover).
#include <gtest/gtest.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "infra/redis/client.hpp"
#include "infra/redis/redis_test_util.hpp"
#include "infra/redis/subscriber.hpp"
#include "tests/support/run_awaitable.hpp"

namespace nn::redis {
namespace {

using namespace std::chrono_literals;
using nn::test::RunAwaitable;
using test_util::Sleep;
namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;

// Runs a shell command and returns its standard output, without the last newline.
std::string Sh(const std::string& command) {
    std::string out;
    FILE* p = popen(command.c_str(), "r");
    if (p == nullptr) throw std::runtime_error("popen failed: " + command);
    std::array<char, 4096> buf{};
    std::size_t n = 0;
    while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
    pclose(p);
    while (!out.empty() && out.back() == '\n') out.pop_back();
    return out;
}

struct Cluster {
    std::string dir;
    std::string url;
    std::vector<int> ports;
    std::string script;

    std::string Cli(int port, const std::string& args) const {
        return Sh("redis-cli --no-auth-warning -p " + std::to_string(port) + " " + args + " 2>&1");
    }
    std::string Id(int port) const { return Cli(port, "cluster myid"); }
    int Pid(int port) const {
        for (std::size_t i = 0; i < ports.size(); ++i) {
            if (ports[i] == port)
                return std::stoi(Sh("cat " + dir + "/node" + std::to_string(i + 1) + "/redis.pid"));
        }
        return -1;
    }
    // The port of the master serving `slot`, from CLUSTER NODES of a live node.
    int Owner(int slot) const {
        for (int p : ports) {
            const std::string out = Cli(p, "cluster nodes");
            if (out.find("myself") == std::string::npos) continue;  // down
            std::istringstream lines(out);
            for (std::string line; std::getline(lines, line);) {
                std::istringstream f(line);
                std::string id, addr, flags, master, ping, pong, epoch, link;
                f >> id >> addr >> flags >> master >> ping >> pong >> epoch >> link;
                if (flags.find("master") == std::string::npos || flags.find("fail") != std::string::npos)
                    continue;
                for (std::string range; f >> range;) {
                    if (range.front() == '[') continue;  // a migration in progress
                    const auto dash = range.find('-');
                    const int start = std::stoi(range.substr(0, dash));
                    const int end = dash == std::string::npos ? start : std::stoi(range.substr(dash + 1));
                    if (start <= slot && slot <= end)
                        return std::stoi(
                            addr.substr(addr.find(':') + 1, addr.find('@') - addr.find(':') - 1));
                }
            }
            return -1;
        }
        return -1;
    }
    std::vector<int> Masters() const {
        std::set<int> out;
        for (int s = 0; s < kClusterSlots; s += 1000) out.insert(Owner(s));
        out.insert(Owner(kClusterSlots - 1));
        return {out.begin(), out.end()};
    }
};

Cluster* g_cluster = nullptr;

class ClusterEnvironment : public ::testing::Environment {
public:
    void SetUp() override {
        static Cluster cluster;
        char tmpl[] = "/tmp/nn-redis-cluster-XXXXXX";
        cluster.dir = mkdtemp(tmpl);
        cluster.script = nn::test::SourceDir() + "/scripts/redis-cluster.sh";
        const std::string started = Sh("\"" + cluster.script + "\" start " + cluster.dir + " 2>&1");
        ASSERT_NE(started.find("redis cluster up"), std::string::npos) << started;
        std::ifstream env(cluster.dir + "/env.sh");
        for (std::string line; std::getline(env, line);) {
            auto value = line.substr(line.find('=') + 2);
            value.pop_back();  // the closing quote
            if (line.find("NEXANEST_REDIS_URL") != std::string::npos) cluster.url = value;
            if (line.find("REDISCLI_AUTH") != std::string::npos) setenv("REDISCLI_AUTH", value.c_str(), 1);
        }
        std::ifstream ports(cluster.dir + "/ports");
        for (int p = 0; ports >> p;) cluster.ports.push_back(p);
        ASSERT_EQ(cluster.ports.size(), 6u);
        g_cluster = &cluster;
    }
    void TearDown() override {
        if (g_cluster == nullptr) return;
        Sh("\"" + g_cluster->script + "\" stop " + g_cluster->dir);
        Sh("rm -rf " + g_cluster->dir);
    }
};

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new ClusterEnvironment);

Options ClusterOptions(std::optional<int> first_seed = std::nullopt) {
    Options o;
    o.url = ParseUrl(g_cluster->url);
    if (first_seed) {
        // The node this client dials first (the Subscriber stays there while it is up).
        auto& seeds = o.url.seeds;
        auto it = std::find_if(seeds.begin(), seeds.end(),
                               [&](const HostPort& h) { return h.port == *first_seed; });
        std::rotate(seeds.begin(), it, seeds.end());
        o.url = WithHost(o.url, seeds.front());
    }
    o.backoff_initial = 20ms;
    o.backoff_max = 200ms;
    o.command_timeout = 2000ms;
    return o;
}

// Moves every key of `slot` and then the slot itself from one master to another, in the
// steps of the cluster specification. `finish` = false stops half way (slot MIGRATING/IMPORTING,
// only `keys_to_move` moved), which is where clients get ASK.
void MoveSlot(int slot, int from, int to, const std::vector<std::string>& keys_to_move, bool finish) {
    const Cluster& c = *g_cluster;
    const std::string s = std::to_string(slot);
    ASSERT_EQ(c.Cli(to, "cluster setslot " + s + " importing " + c.Id(from)), "OK");
    ASSERT_EQ(c.Cli(from, "cluster setslot " + s + " migrating " + c.Id(to)), "OK");
    if (!keys_to_move.empty()) {
        std::string keys;
        for (const auto& k : keys_to_move) keys += " '" + k + "'";
        const std::string auth = std::getenv("REDISCLI_AUTH");
        ASSERT_EQ(c.Cli(from, "migrate 127.0.0.1 " + std::to_string(to) + " '' 0 5000 auth " + auth +
                                  " keys" + keys),
                  "OK");
    }
    if (!finish) return;
    for (int m : c.Masters()) ASSERT_EQ(c.Cli(m, "cluster setslot " + s + " node " + c.Id(to)), "OK");
    ASSERT_EQ(c.Cli(to, "cluster setslot " + s + " node " + c.Id(to)), "OK");
}

void FinishMove(int slot, int from, int to) {
    const Cluster& c = *g_cluster;
    const std::string s = std::to_string(slot);
    ASSERT_EQ(c.Cli(to, "cluster setslot " + s + " node " + c.Id(to)), "OK");
    ASSERT_EQ(c.Cli(from, "cluster setslot " + s + " node " + c.Id(to)), "OK");
}

TEST(RedisCluster, KeySlotsMatchTheServer) {
    asio::io_context io;
    Client client(io.get_executor(), ClusterOptions());
    ASSERT_TRUE(client.IsCluster());
    RunAwaitable(io, [&]() -> asio::awaitable<void> {
        const std::vector<std::string> keys{"foo",        "bar", "123456789", "{user1000}.following",
                                            "nn:px:AAPL", "{}x", "a{b}c{d}",  "\xff\xfe binary"};
        for (const auto& k : keys) {
            std::vector<std::string> argv{"CLUSTER", "KEYSLOT", k};
            Reply r = co_await client.Command(argv);
            EXPECT_EQ(r.AsInteger(), KeySlot(k)) << k;
        }
    }());
}

TEST(RedisCluster, RoutesKeysToEveryMasterAndSplitsPipelines) {
    asio::io_context io;
    Client client(io.get_executor(), ClusterOptions());
    const std::string prefix = nn::test::UniqueName("route_");
    std::vector<std::string> keys;
    for (int i = 0; i < 60; ++i) keys.push_back(prefix + ":" + std::to_string(i));
    RunAwaitable(io, [&]() -> asio::awaitable<void> {
        for (const auto& k : keys) co_await client.Set(k, "v" + k);
        // One pipeline spanning every master: replies come back in the caller's order.
        Pipeline p;
        for (const auto& k : keys) {
            std::vector<std::string_view> get{"GET", k};
            p.Add(get);
        }
        std::vector<std::string_view> ping{"PING"};
        p.Add(ping);
        auto replies = co_await client.Execute(std::move(p));
        NN_CO_ASSERT_EQ(replies.size(), keys.size() + 1);
        for (std::size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(replies[i].AsString(), "v" + keys[i]);
        EXPECT_EQ(replies.back().AsString(), "PONG");
        // MGET and DEL across slots are split per slot by the Client.
        auto values = co_await client.MGet(keys);
        NN_CO_ASSERT_EQ(values.size(), keys.size());
        for (std::size_t i = 0; i < keys.size(); ++i) EXPECT_EQ(values[i], "v" + keys[i]);
        // Any other multi-key command across slots is refused with CROSSSLOT.
        std::vector<std::string> cross{"EXISTS", keys[0], keys[1], keys[2], keys[3]};
        std::string refused;
        try {
            co_await client.Command(cross);
        } catch (const CommandError& e) {
            refused = e.Prefix();
        }
        EXPECT_EQ(refused, "CROSSSLOT");
    }());
    // Each key is stored on the master of its slot, and all three masters hold some.
    std::set<int> used;
    for (const auto& k : keys) {
        const int owner = g_cluster->Owner(KeySlot(k));
        EXPECT_EQ(g_cluster->Cli(owner, "get '" + k + "'"), "v" + k) << k;
        used.insert(owner);
    }
    EXPECT_EQ(used.size(), 3u);
    RunAwaitable(io, [&]() -> asio::awaitable<void> { EXPECT_EQ(co_await client.DelMany(keys), 60); }());
}

TEST(RedisCluster, FollowsMovedAfterAReshardingAndAskDuringAMigration) {
    asio::io_context io;
    Client client(io.get_executor(), ClusterOptions());
    const std::string tag = nn::test::UniqueName("mv");
    const std::string moved_key = "{" + tag + "}:k";
    const int slot = KeySlot(moved_key);
    const int from = g_cluster->Owner(slot);
    const auto masters = g_cluster->Masters();
    const int to = masters[0] == from ? masters[1] : masters[0];
    RunAwaitable(io, [&]() -> asio::awaitable<void> { co_await client.Set(moved_key, "before"); }());
    const auto refreshes = client.SlotMapRefreshes();

    MoveSlot(slot, from, to, {moved_key}, true);
    EXPECT_EQ(g_cluster->Owner(slot), to);
    RunAwaitable(io, [&]() -> asio::awaitable<void> {
        // The client still believes `from` owns the slot: MOVED, map refreshed, answered by `to`.
        EXPECT_EQ(co_await client.Get(moved_key), "before");
        EXPECT_TRUE(co_await client.Set(moved_key, "after"));
    }());
    EXPECT_GT(client.SlotMapRefreshes(), refreshes);
    EXPECT_EQ(g_cluster->Cli(to, "get '" + moved_key + "'"), "after");

    // ASK: a slot half-way through its migration from `to` back to `from`.
    const std::string a = "{" + tag + "}:a", b = "{" + tag + "}:b", c = "{" + tag + "}:c";
    RunAwaitable(io, [&]() -> asio::awaitable<void> {
        co_await client.Set(a, "A");
        co_await client.Set(b, "B");
    }());
    MoveSlot(slot, to, from, {a}, false);
    const auto before_ask = client.SlotMapRefreshes();
    RunAwaitable(io, [&]() -> asio::awaitable<void> {
        EXPECT_EQ(co_await client.Get(a), "A");  // moved already: ASK, then ASKING + GET on `from`
        EXPECT_EQ(co_await client.Get(b), "B");  // still on `to`
        co_await client.Set(c, "C");             // a new key of a migrating slot goes to the target
    }());
    EXPECT_EQ(client.SlotMapRefreshes(), before_ask);  // ASK is per command: the map is kept
    EXPECT_EQ(
        Sh("printf 'ASKING\\nGET " + c + "\\n' | redis-cli --no-auth-warning -p " + std::to_string(from)),
        "OK\nC");
    // Finish the migration so the other tests see a stable cluster.
    g_cluster->Cli(to, "migrate 127.0.0.1 " + std::to_string(from) + " '' 0 5000 auth " +
                           std::getenv("REDISCLI_AUTH") + " keys '" + b + "' '" + moved_key + "'");
    FinishMove(slot, to, from);
    for (int m : g_cluster->Masters())
        g_cluster->Cli(m, "cluster setslot " + std::to_string(slot) + " node " + g_cluster->Id(from));
    RunAwaitable(io, [&]() -> asio::awaitable<void> {
        const std::vector<std::string> all{moved_key, a, b, c};
        auto values = co_await client.MGet(all);
        EXPECT_EQ(values[0], "after");
        EXPECT_EQ(values[1], "A");
        EXPECT_EQ(values[2], "B");
        EXPECT_EQ(values[3], "C");
    }());
}

TEST(RedisCluster, StreamConsumerGroupAndLuaOnHashTaggedKeys) {
    asio::io_context io;
    Client client(io.get_executor(), ClusterOptions());
    const std::string tag = "{" + nn::test::UniqueName("acct") + "}";
    const std::string stream = tag + ":events";
    RunAwaitable(io, [&]() -> asio::awaitable<void> {
        EXPECT_TRUE(co_await client.XGroupCreate(stream, "g", "0"));
        const FieldValues fields{{"n", "1"}};
        const std::string id = co_await client.XAdd(stream, fields);
        XReadGroupArgs args;
        args.group = "g";
        args.consumer = "c1";
        args.stream = stream;
        args.block = 200ms;  // a blocking read: on a connection of its own to the slot's master
        auto got = co_await client.XReadGroup(args);
        NN_CO_ASSERT_EQ(got.size(), 1u);
        EXPECT_EQ(got[0].id, id);
        const std::vector<std::string> ids{id};
        EXPECT_EQ(co_await client.XAck(stream, "g", ids), 1);
        auto pending = co_await client.XPending(stream, "g");
        EXPECT_EQ(pending.count, 0);

        // A script touching two keys of one tag runs on their master.
        const Script move(
            "local v = redis.call('GET', KEYS[1]); redis.call('SET', KEYS[2], v); return redis.call('DEL', "
            "KEYS[1])");
        co_await client.Set(tag + ":from", "x");
        const std::vector<std::string> keys{tag + ":from", tag + ":to"};
        const std::vector<std::string> none;
        Reply r = co_await client.Eval(move, keys, none);
        EXPECT_EQ(r.AsInteger(), 1);
        EXPECT_EQ(co_await client.Get(tag + ":to"), "x");
        // Keys of different slots: the server would refuse; EvalPerSlot runs it once per slot.
        const Script set_each("for i = 1, #KEYS do redis.call('SET', KEYS[i], ARGV[i]) end return #KEYS");
        std::vector<std::string> many, values;
        for (int i = 0; i < 20; ++i) {
            many.push_back(tag + "x" + std::to_string(i) + ":plain");  // no tag: the tag is not first
            many.back() = nn::test::UniqueName("each_") + std::to_string(i);
            values.push_back(std::to_string(i));
        }
        auto replies = co_await client.EvalPerSlot(set_each, many, values);
        EXPECT_GT(replies.size(), 1u);
        auto stored = co_await client.MGet(many);
        for (int i = 0; i < 20; ++i) EXPECT_EQ(stored[static_cast<std::size_t>(i)], std::to_string(i));
    }());
}

TEST(RedisCluster, PubSubReachesASubscriberOnAnotherNode) {
    asio::io_context io;
    const int sub_node = g_cluster->ports[0];
    const int pub_node = g_cluster->ports[4];
    Subscriber sub(io.get_executor(), ClusterOptions(sub_node));
    const std::string channel = nn::test::UniqueName("ch_");
    RunAwaitable(io, [&]() -> asio::awaitable<void> {
        const std::vector<std::string> channels{channel};
        co_await sub.Subscribe(channels);
    }());
    EXPECT_EQ(g_cluster->Cli(pub_node, "publish " + channel + " hello"), "0");  // counts local receivers only
    RunAwaitable(io, [&]() -> asio::awaitable<void> {
        auto m = co_await sub.Next(3000ms);
        NN_CO_ASSERT_TRUE(m.has_value());
        EXPECT_EQ(m->payload, "hello");
    }());
}

// Last: kills a master. Writes confirmed by WAIT (replicated to its replica) survive the
// failover; the client reaches the promoted replica; the subscriber moves to another node.
TEST(RedisCluster, SurvivesAMasterKilledAndFailedOver) {
    asio::io_context io;
    Client client(io.get_executor(), ClusterOptions());
    const std::string tag = "{" + nn::test::UniqueName("fo") + "}";
    const int victim = g_cluster->Owner(KeySlot(tag));
    Subscriber sub(io.get_executor(), ClusterOptions(victim));
    const std::string channel = nn::test::UniqueName("fo_ch_");
    constexpr int kWrites = 200;
    RunAwaitable(io, [&]() -> asio::awaitable<void> {
        const std::vector<std::string> channels{channel};
        co_await sub.Subscribe(channels);
        for (int i = 0; i < kWrites; ++i) co_await client.Set(tag + std::to_string(i), std::to_string(i));
        // WAIT is keyless: send it with a key of the slot so it runs on the same master.
        Pipeline wait;
        std::vector<std::string_view> touch{"EXISTS", tag}, w{"WAIT", "1", "2000"};
        wait.Add(touch).Add(w);
        auto replies = co_await client.Execute(std::move(wait));
        EXPECT_EQ(replies.at(1).AsInteger(), 1);  // one replica has every write above
    }());

    const int pid = g_cluster->Pid(victim);
    ASSERT_GT(pid, 0);
    ASSERT_EQ(::kill(pid, SIGKILL), 0);
    const auto killed = Clock::now();
    int failed_writes = 0;
    std::chrono::milliseconds recovered{};
    RunAwaitable(
        io,
        [&]() -> asio::awaitable<void> {
            // Writes fail (kUnavailable) until the replica is promoted, then reach it.
            while (Clock::now() - killed < 20s) {
                bool ok = false;
                try {
                    ok = co_await client.Set(tag + "after", "1");
                } catch (const Error& e) {
                    EXPECT_TRUE(e.Kind() == ErrorKind::kUnavailable || e.Kind() == ErrorKind::kTimeout)
                        << e.what();
                    ++failed_writes;
                }
                if (ok) break;
                co_await Sleep(50ms);
            }
            recovered = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - killed);
            EXPECT_EQ(co_await client.Get(tag + "after"), "1");
            std::vector<std::string> keys;
            for (int i = 0; i < kWrites; ++i) keys.push_back(tag + std::to_string(i));
            auto values = co_await client.MGet(keys);
            int lost = 0;
            for (int i = 0; i < kWrites; ++i)
                lost += values[static_cast<std::size_t>(i)] != std::to_string(i) ? 1 : 0;
            EXPECT_EQ(lost, 0);
            std::printf(
                "failover: writes possible again %lld ms after kill -9 (%d failed attempts), %d of %d "
                "replicated writes lost\n",
                static_cast<long long>(recovered.count()), failed_writes, lost, kWrites);
            // The subscriber was on the killed node: it reconnects to another one and receives.
            const auto deadline = Clock::now() + 10s;
            std::optional<Message> m;
            while (!m && Clock::now() < deadline) {
                co_await client.Publish(channel, "after-failover");
                m = co_await sub.Next(200ms);
            }
            NN_CO_ASSERT_TRUE(m.has_value());
            EXPECT_EQ(m->payload, "after-failover");
        }(),
        60s);
    EXPECT_LT(recovered, 15s);
    EXPECT_NE(g_cluster->Owner(KeySlot(tag)), victim);
}

}  // namespace
}  // namespace nn::redis
