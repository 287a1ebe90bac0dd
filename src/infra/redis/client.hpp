#pragma once

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "infra/redis/connection.hpp"
#include "infra/redis/key_slot.hpp"

namespace nn::redis {

namespace detail {
class ClusterRouter;
}

using FieldValues = std::vector<std::pair<std::string, std::string>>;

// Trivially copyable, like the stream argument structs below.

struct SetOptions {
    enum class Condition { kAlways, kIfNotExists /* NX */, kIfExists /* XX */ };
    std::optional<std::chrono::milliseconds> ttl;  // sent as PX
    Condition condition = Condition::kAlways;
};

struct RateLimitCount {
    std::int64_t count = 0;           // hits in the current window, this one included
    std::chrono::milliseconds ttl{};  // until the window resets
};

// A Lua script for EVALSHA; its SHA1 is computed once, here.
class Script {
public:
    explicit Script(std::string body);
    const std::string& Body() const noexcept { return body_; }
    const std::string& Sha1() const noexcept { return sha1_; }

private:
    std::string body_;
    std::string sha1_;
};

struct StreamEntry {
    std::string id;
    FieldValues fields;  // empty for an entry deleted while pending
    // The value of the first field called `name`; empty when the entry has none.
    std::string Field(std::string_view name) const {
        for (const auto& [k, v] : fields) {
            if (k == name) return v;
        }
        return {};
    }
    friend bool operator==(const StreamEntry&, const StreamEntry&) = default;
};

// The argument structs below hold string_views and stay trivially copyable on purpose: they are
// formatted before the call returns, and GCC 12 miscompiles aggregate temporaries with
// std::string members inside a co_await expression (`co_await c.XAdd(s, f, {.max_len = 10})`
// freed an invalid pointer).
struct XAddOptions {
    std::optional<std::int64_t> max_len;  // MAXLEN trim after the add
    bool approximate = true;              // MAXLEN ~ (cheap, trims whole nodes)
    std::string_view id = "*";
};

struct XReadGroupArgs {
    std::string_view group;
    std::string_view consumer;
    std::string_view stream;
    std::string_view id = ">";  // ">": new entries; "0": this consumer's pending entries
    std::optional<std::int64_t> count;
    // BLOCK: wait up to this long for entries. The call then runs on a connection of its own
    // (see Client), with a deadline of block + command_timeout.
    std::optional<std::chrono::milliseconds> block;
    bool noack = false;
};

static_assert(std::is_trivially_copyable_v<SetOptions> && std::is_trivially_copyable_v<XAddOptions> &&
              std::is_trivially_copyable_v<XReadGroupArgs>);

struct XAutoClaimResult {
    std::string next_id;  // "0-0" when the scan is complete
    std::vector<StreamEntry> entries;
    std::vector<std::string> deleted_ids;  // pending ids whose entries no longer exist
};

struct XPendingSummary {
    std::int64_t count = 0;
    std::optional<std::string> min_id;
    std::optional<std::string> max_id;
    std::vector<std::pair<std::string, std::int64_t>> consumers;  // consumer, pending count
};

// Typed Redis commands over one pipelined Connection (see connection.hpp for the failure
// rules). Error replies throw CommandError; the connection stays usable.
//
// With a redis+cluster:// URL the Client speaks Redis Cluster instead (cluster_router.hpp):
// one connection per master, each command sent to its key's slot, MOVED/ASK followed, pipelines
// split per node. Multi-key commands and scripts must keep their keys in one slot (hash tags,
// key_slot.hpp), except MGet and DelMany, which the Client splits per slot itself.
//
// Blocking reads (XReadGroup with `block`) never run on the shared connection, where they
// would stall every other caller: each runs on a dedicated connection taken from a small
// set the Client keeps (one per concurrent blocking call, reused afterwards).
//
// Arguments are formatted when a method is called, so keys and values need not outlive the
// call; the Client must outlive every call.
class Client {
public:
    Client(boost::asio::any_io_executor executor, Options options);
    ~Client();
    Client(const Client&) = delete;
    Client& operator=(const Client&) = delete;

    bool IsCluster() const noexcept { return cluster_ != nullptr; }
    bool Connected() const noexcept;  // cluster: some node connected
    Stats GetStats() const noexcept;  // the shared connection (cluster: summed over the nodes)
    void OnStateChange(StateHook hook);
    // Cluster only: how many slot maps were loaded (0 with a single Redis).
    std::uint64_t SlotMapRefreshes() const noexcept;
    boost::asio::awaitable<bool> WaitConnected(std::chrono::milliseconds timeout);
    void Close();

    // Any command; an error reply throws CommandError.
    boost::asio::awaitable<Reply> Command(std::vector<std::string> argv,
                                          std::optional<std::chrono::milliseconds> timeout = std::nullopt);
    // Several commands in one write; error replies are returned in place, not thrown.
    boost::asio::awaitable<std::vector<Reply>> Execute(
        Pipeline pipeline, std::optional<std::chrono::milliseconds> timeout = std::nullopt);
    // One command; an error reply is returned, not thrown.
    boost::asio::awaitable<Reply> ExecuteOne(Pipeline command,
                                             std::optional<std::chrono::milliseconds> timeout = std::nullopt);

    // Strings and keys
    boost::asio::awaitable<std::optional<std::string>> Get(std::string_view key);
    // False when NX/XX prevented the write.
    boost::asio::awaitable<bool> Set(std::string_view key, std::string_view value, SetOptions options = {});
    boost::asio::awaitable<bool> Del(std::string_view key);
    boost::asio::awaitable<std::int64_t> DelMany(const std::vector<std::string>& keys);
    boost::asio::awaitable<bool> Exists(std::string_view key);
    boost::asio::awaitable<bool> Expire(std::string_view key, std::chrono::seconds ttl);
    boost::asio::awaitable<bool> PExpire(std::string_view key, std::chrono::milliseconds ttl);
    // Redis' TTL: seconds left, -1 without expiry, -2 when the key does not exist.
    boost::asio::awaitable<std::int64_t> Ttl(std::string_view key);
    boost::asio::awaitable<std::int64_t> PTtl(std::string_view key);
    boost::asio::awaitable<std::int64_t> Incr(std::string_view key);
    boost::asio::awaitable<std::int64_t> IncrBy(std::string_view key, std::int64_t by);
    boost::asio::awaitable<std::vector<std::optional<std::string>>> MGet(
        const std::vector<std::string>& keys);
    boost::asio::awaitable<void> MSet(const FieldValues& key_values);

    // Fixed-window counter: INCR, PEXPIRE NX (the first hit starts the window) and PTTL in one
    // pipeline. The caller compares `count` with its limit.
    boost::asio::awaitable<RateLimitCount> RateLimit(std::string_view key, std::chrono::milliseconds window);

    // Hashes
    boost::asio::awaitable<bool> HSet(std::string_view key, std::string_view field, std::string_view value);
    boost::asio::awaitable<std::int64_t> HSet(std::string_view key,
                                              const FieldValues& fields);  // fields added
    boost::asio::awaitable<std::optional<std::string>> HGet(std::string_view key, std::string_view field);
    boost::asio::awaitable<std::map<std::string, std::string>> HGetAll(std::string_view key);
    boost::asio::awaitable<std::int64_t> HDel(std::string_view key, const std::vector<std::string>& fields);

    // Sets
    boost::asio::awaitable<std::int64_t> SAdd(std::string_view key, const std::vector<std::string>& members);
    boost::asio::awaitable<std::int64_t> SRem(std::string_view key, const std::vector<std::string>& members);
    boost::asio::awaitable<std::vector<std::string>> SMembers(std::string_view key);

    // Pub/sub (receiving is Subscriber's job); returns the number of receivers.
    boost::asio::awaitable<std::int64_t> Publish(std::string_view channel, std::string_view message);

    // Lua: EVALSHA, and EVAL when the server answers NOSCRIPT (EVAL also caches the script).
    boost::asio::awaitable<Reply> Eval(const Script& script,
                                       const std::vector<std::string>& keys,
                                       const std::vector<std::string>& args);
    // For scripts that treat each KEYS[i] with ARGV[i] alone: runs the script once per slot
    // (in a cluster; once in all with a single Redis), each time with that slot's keys and their
    // args, in one pipeline. `args` has one element per key. Returns the replies in slot order.
    boost::asio::awaitable<std::vector<Reply>> EvalPerSlot(const Script& script,
                                                           const std::vector<std::string>& keys,
                                                           const std::vector<std::string>& args);

    // Streams
    boost::asio::awaitable<std::string> XAdd(std::string_view stream,
                                             const FieldValues& fields,
                                             const XAddOptions& options = {});
    // Entries of one stream for this consumer; empty when BLOCK expired without any.
    boost::asio::awaitable<std::vector<StreamEntry>> XReadGroup(const XReadGroupArgs& args);
    boost::asio::awaitable<std::int64_t> XAck(std::string_view stream,
                                              std::string_view group,
                                              const std::vector<std::string>& ids);
    // XGROUP CREATE ... MKSTREAM; false when the group already exists (BUSYGROUP).
    boost::asio::awaitable<bool> XGroupCreate(std::string_view stream,
                                              std::string_view group,
                                              std::string_view start_id = "$");
    boost::asio::awaitable<XAutoClaimResult> XAutoClaim(std::string_view stream,
                                                        std::string_view group,
                                                        std::string_view consumer,
                                                        std::chrono::milliseconds min_idle,
                                                        std::string_view start = "0-0",
                                                        std::int64_t count = 100);
    boost::asio::awaitable<XPendingSummary> XPending(std::string_view stream, std::string_view group);
    boost::asio::awaitable<std::int64_t> XLen(std::string_view stream);
    boost::asio::awaitable<std::vector<StreamEntry>> XRange(std::string_view stream,
                                                            std::string_view start = "-",
                                                            std::string_view end = "+",
                                                            std::optional<std::int64_t> count = std::nullopt);

private:
    boost::asio::awaitable<Reply> Blocking(Pipeline command, std::chrono::milliseconds timeout);

    boost::asio::any_io_executor executor_;
    Options options_;
    std::unique_ptr<Connection> main_;                   // single Redis
    std::unique_ptr<detail::ClusterRouter> cluster_;     // Redis Cluster
    std::vector<std::unique_ptr<Connection>> blocking_;  // every connection made for blocking calls
    std::vector<Connection*> idle_blocking_;
};

}  // namespace nn::redis
