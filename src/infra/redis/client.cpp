#include "infra/redis/client.hpp"

#include <boost/uuid/detail/sha1.hpp>
#include <cstdio>
#include <map>

#include "infra/redis/cluster_router.hpp"

namespace nn::redis {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;

// The calls below format their command before the coroutine starts (so the caller's
// string_views may die right after the call) and convert the reply inside it.

asio::awaitable<Reply> One(Client& c, Pipeline command, std::optional<milliseconds> timeout = std::nullopt) {
    Reply reply = co_await c.ExecuteOne(std::move(command), timeout);
    reply.ThrowIfError();
    co_return reply;
}

asio::awaitable<std::int64_t> AsInteger(Client& c, Pipeline command) {
    Reply reply = co_await c.ExecuteOne(std::move(command));
    reply.ThrowIfError();
    co_return reply.AsInteger();
}

asio::awaitable<bool> AsFlag(Client& c, Pipeline command) {
    Reply reply = co_await c.ExecuteOne(std::move(command));
    reply.ThrowIfError();
    co_return reply.AsInteger() != 0;
}

asio::awaitable<std::optional<std::string>> AsOptionalString(Client& c, Pipeline command) {
    Reply reply = co_await c.ExecuteOne(std::move(command));
    reply.ThrowIfError();
    co_return reply.AsOptionalString();
}

asio::awaitable<std::vector<std::string>> AsStrings(Client& c, Pipeline command) {
    Reply reply = co_await c.ExecuteOne(std::move(command));
    reply.ThrowIfError();
    std::vector<std::string> out;
    out.reserve(reply.AsArray().size());
    for (const Reply& r : reply.AsArray()) out.push_back(r.AsString());
    co_return out;
}

asio::awaitable<std::vector<std::optional<std::string>>> AsOptionalStrings(Client& c, Pipeline command) {
    Reply reply = co_await c.ExecuteOne(std::move(command));
    reply.ThrowIfError();
    std::vector<std::optional<std::string>> out;
    out.reserve(reply.AsArray().size());
    for (const Reply& r : reply.AsArray()) out.push_back(r.AsOptionalString());
    co_return out;
}

asio::awaitable<void> ExpectOk(Client& c, Pipeline command) {
    Reply reply = co_await c.ExecuteOne(std::move(command));
    reply.ThrowIfError();
    (void)reply.AsString();
}

asio::awaitable<std::map<std::string, std::string>> AsMap(Client& c, Pipeline command) {
    Reply reply = co_await c.ExecuteOne(std::move(command));
    reply.ThrowIfError();
    const auto& flat = reply.AsArray();
    std::map<std::string, std::string> out;
    for (std::size_t i = 0; i + 1 < flat.size(); i += 2)
        out.emplace(flat[i].AsString(), flat[i + 1].AsString());
    co_return out;
}

asio::awaitable<bool> SetReply(Client& c, Pipeline command) {
    Reply reply = co_await c.ExecuteOne(std::move(command));
    reply.ThrowIfError();
    co_return !reply.IsNil();  // NX/XX not met -> nil
}

asio::awaitable<RateLimitCount> RateLimitReply(Client& c, Pipeline pipeline) {
    std::vector<Reply> replies = co_await c.Execute(std::move(pipeline));
    for (const Reply& r : replies) r.ThrowIfError();
    RateLimitCount out;
    out.count = replies.at(0).AsInteger();
    out.ttl = milliseconds(std::max<std::int64_t>(replies.at(2).AsInteger(), 0));
    co_return out;
}

asio::awaitable<Reply> EvalReply(Client& c, Pipeline by_sha, Pipeline by_body) {
    Reply reply = co_await c.ExecuteOne(std::move(by_sha));
    if (reply.IsError() && reply.ErrorMessage().rfind("NOSCRIPT", 0) == 0) {
        reply = co_await c.ExecuteOne(std::move(by_body));
    }
    reply.ThrowIfError();
    co_return reply;
}

FieldValues PairsOf(const Reply& flat) {
    const auto& items = flat.AsArray();
    FieldValues out;
    out.reserve(items.size() / 2);
    for (std::size_t i = 0; i + 1 < items.size(); i += 2)
        out.emplace_back(items[i].AsString(), items[i + 1].AsString());
    return out;
}

std::vector<StreamEntry> EntriesOf(const Reply& list) {
    std::vector<StreamEntry> out;
    out.reserve(list.AsArray().size());
    for (const Reply& e : list.AsArray()) {
        const auto& parts = e.AsArray();
        if (parts.size() < 2) continue;
        out.push_back(StreamEntry{parts[0].AsString(), PairsOf(parts[1])});
    }
    return out;
}

asio::awaitable<std::string> XAddReply(Client& c, Pipeline command) {
    Reply reply = co_await c.ExecuteOne(std::move(command));
    reply.ThrowIfError();
    co_return reply.AsString();
}

std::vector<StreamEntry> ReadGroupEntries(const Reply& reply) {
    reply.ThrowIfError();
    // [[stream, [entries]]], or nil when BLOCK expired.
    if (reply.IsNil() || reply.AsArray().empty()) return {};
    const auto& first = reply.AsArray().front().AsArray();
    if (first.size() < 2) return {};
    return EntriesOf(first[1]);
}

asio::awaitable<std::vector<StreamEntry>> ReadGroupReply(Client& c, Pipeline command) {
    Reply reply = co_await c.ExecuteOne(std::move(command));
    co_return ReadGroupEntries(reply);
}

asio::awaitable<std::vector<StreamEntry>> EntriesOf(asio::awaitable<Reply> call) {
    Reply reply = co_await std::move(call);
    co_return ReadGroupEntries(reply);
}

asio::awaitable<bool> GroupCreateReply(Client& c, Pipeline command) {
    Reply reply = co_await c.ExecuteOne(std::move(command));
    if (reply.IsError() && reply.ErrorMessage().rfind("BUSYGROUP", 0) == 0) co_return false;
    reply.ThrowIfError();
    co_return true;
}

asio::awaitable<XAutoClaimResult> AutoClaimReply(Client& c, Pipeline command) {
    Reply reply = co_await c.ExecuteOne(std::move(command));
    reply.ThrowIfError();
    const auto& parts = reply.AsArray();
    XAutoClaimResult out;
    if (parts.size() >= 2) {
        out.next_id = parts[0].AsString();
        out.entries = EntriesOf(parts[1]);
    }
    if (parts.size() >= 3) {
        for (const Reply& id : parts[2].AsArray()) out.deleted_ids.push_back(id.AsString());
    }
    co_return out;
}

asio::awaitable<XPendingSummary> PendingReply(Client& c, Pipeline command) {
    Reply reply = co_await c.ExecuteOne(std::move(command));
    reply.ThrowIfError();
    const auto& parts = reply.AsArray();
    XPendingSummary out;
    if (parts.size() < 4) co_return out;
    out.count = parts[0].AsInteger();
    out.min_id = parts[1].AsOptionalString();
    out.max_id = parts[2].AsOptionalString();
    for (const Reply& row : parts[3].AsArray()) {
        const auto& cols = row.AsArray();
        if (cols.size() < 2) continue;
        // The per-consumer count is a bulk string in the summary form.
        out.consumers.emplace_back(cols[0].AsString(), std::stoll(cols[1].AsString()));
    }
    co_return out;
}

asio::awaitable<std::vector<StreamEntry>> RangeReply(Client& c, Pipeline command) {
    Reply reply = co_await c.ExecuteOne(std::move(command));
    reply.ThrowIfError();
    co_return EntriesOf(reply);
}

std::string Millis(milliseconds ms) {
    return std::to_string(ms.count());
}

std::vector<std::string_view> Argv(std::initializer_list<std::string_view> head,
                                   const std::vector<std::string>& tail = {}) {
    std::vector<std::string_view> argv(head);
    argv.insert(argv.end(), tail.begin(), tail.end());
    return argv;
}

}  // namespace

Script::Script(std::string body) : body_(std::move(body)) {
    boost::uuids::detail::sha1 sha;
    sha.process_bytes(body_.data(), body_.size());
    boost::uuids::detail::sha1::digest_type digest;
    sha.get_digest(digest);
    char hex[41];
    for (int i = 0; i < 5; ++i) std::snprintf(hex + i * 8, 9, "%08x", digest[i]);
    sha1_.assign(hex, 40);
}

Client::Client(asio::any_io_executor executor, Options options)
    : executor_(std::move(executor)), options_(std::move(options)) {
    if (options_.url.cluster) {
        cluster_ = std::make_unique<detail::ClusterRouter>(executor_, options_);
    } else {
        main_ = std::make_unique<Connection>(executor_, options_);
    }
}

Client::~Client() {
    Close();
}

bool Client::Connected() const noexcept {
    return cluster_ ? cluster_->Connected() : main_->Connected();
}

Stats Client::GetStats() const noexcept {
    return cluster_ ? cluster_->GetStats() : main_->GetStats();
}

void Client::OnStateChange(StateHook hook) {
    if (cluster_) {
        cluster_->OnStateChange(std::move(hook));
    } else {
        main_->OnStateChange(std::move(hook));
    }
}

std::uint64_t Client::SlotMapRefreshes() const noexcept {
    return cluster_ ? cluster_->Refreshes() : 0;
}

asio::awaitable<bool> Client::WaitConnected(milliseconds timeout) {
    if (cluster_) return cluster_->WaitConnected(timeout);
    return main_->WaitConnected(timeout);
}

void Client::Close() {
    if (cluster_) cluster_->Close();
    if (main_) main_->Close();
    for (auto& c : blocking_) c->Close();
}

asio::awaitable<Reply> Client::Command(std::vector<std::string> argv, std::optional<milliseconds> timeout) {
    Pipeline p;
    p.Add(argv);
    return One(*this, std::move(p), timeout);
}

asio::awaitable<std::vector<Reply>> Client::Execute(Pipeline pipeline, std::optional<milliseconds> timeout) {
    if (cluster_) return cluster_->Execute(std::move(pipeline), timeout, false);
    return main_->Execute(std::move(pipeline), timeout);
}

namespace {

asio::awaitable<Reply> FirstOf(asio::awaitable<std::vector<Reply>> call) {
    std::vector<Reply> replies = co_await std::move(call);
    co_return std::move(replies.at(0));
}

// Keys grouped by slot: the positions of each slot's keys in the caller's list.
std::map<int, std::vector<std::size_t>> BySlot(const std::vector<std::string>& keys, bool cluster) {
    std::map<int, std::vector<std::size_t>> groups;
    for (std::size_t i = 0; i < keys.size(); ++i) groups[cluster ? KeySlot(keys[i]) : 0].push_back(i);
    return groups;
}

asio::awaitable<std::vector<std::optional<std::string>>> SplitMGet(
    Client& c, Pipeline pipeline, std::map<int, std::vector<std::size_t>> groups, std::size_t count) {
    std::vector<Reply> replies = co_await c.Execute(std::move(pipeline));
    std::vector<std::optional<std::string>> out(count);
    std::size_t g = 0;
    for (const auto& [slot, positions] : groups) {
        const Reply& reply = replies.at(g++);
        reply.ThrowIfError();
        const auto& values = reply.AsArray();
        for (std::size_t j = 0; j < positions.size() && j < values.size(); ++j)
            out[positions[j]] = values[j].AsOptionalString();
    }
    co_return out;
}

asio::awaitable<std::int64_t> SumOf(Client& c, Pipeline pipeline) {
    std::vector<Reply> replies = co_await c.Execute(std::move(pipeline));
    std::int64_t total = 0;
    for (const Reply& r : replies) {
        r.ThrowIfError();
        total += r.AsInteger();
    }
    co_return total;
}

asio::awaitable<std::vector<Reply>> EvalGroups(Client& c, Pipeline by_sha, std::vector<Pipeline> by_body) {
    std::vector<Reply> replies = co_await c.Execute(std::move(by_sha));
    Pipeline again;
    std::vector<std::size_t> which;
    for (std::size_t i = 0; i < replies.size(); ++i) {
        if (replies[i].IsError() && replies[i].ErrorMessage().rfind("NOSCRIPT", 0) == 0) {
            again.AddFrom(by_body.at(i), 0);
            which.push_back(i);
        }
    }
    if (!which.empty()) {
        std::vector<Reply> second = co_await c.Execute(std::move(again));
        for (std::size_t j = 0; j < which.size(); ++j) replies[which[j]] = std::move(second.at(j));
    }
    for (const Reply& r : replies) r.ThrowIfError();
    co_return replies;
}

}  // namespace

asio::awaitable<Reply> Client::ExecuteOne(Pipeline command, std::optional<milliseconds> timeout) {
    if (cluster_) return FirstOf(cluster_->Execute(std::move(command), timeout, false));
    return main_->ExecuteOne(std::move(command), timeout);
}

asio::awaitable<std::optional<std::string>> Client::Get(std::string_view key) {
    return AsOptionalString(*this, Pipeline{"GET", key});
}

asio::awaitable<bool> Client::Set(std::string_view key, std::string_view value, SetOptions options) {
    std::vector<std::string_view> argv{"SET", key, value};
    std::string px;
    if (options.ttl) {
        px = Millis(*options.ttl);
        argv.insert(argv.end(), {"PX", px});
    }
    if (options.condition == SetOptions::Condition::kIfNotExists) argv.push_back("NX");
    if (options.condition == SetOptions::Condition::kIfExists) argv.push_back("XX");
    Pipeline p;
    p.Add(argv);
    return SetReply(*this, std::move(p));
}

asio::awaitable<bool> Client::Del(std::string_view key) {
    return AsFlag(*this, Pipeline{"DEL", key});
}

asio::awaitable<std::int64_t> Client::DelMany(const std::vector<std::string>& keys) {
    if (cluster_ && !keys.empty()) {
        Pipeline per_slot;
        for (const auto& [slot, positions] : BySlot(keys, true)) {
            std::vector<std::string_view> argv{"DEL"};
            for (std::size_t i : positions) argv.push_back(keys[i]);
            per_slot.Add(argv);
        }
        return SumOf(*this, std::move(per_slot));
    }
    Pipeline p;
    p.Add(Argv({"DEL"}, keys));
    return AsInteger(*this, std::move(p));
}

asio::awaitable<bool> Client::Exists(std::string_view key) {
    return AsFlag(*this, Pipeline{"EXISTS", key});
}

asio::awaitable<bool> Client::Expire(std::string_view key, std::chrono::seconds ttl) {
    return AsFlag(*this, Pipeline{"EXPIRE", key, std::to_string(ttl.count())});
}

asio::awaitable<bool> Client::PExpire(std::string_view key, milliseconds ttl) {
    return AsFlag(*this, Pipeline{"PEXPIRE", key, Millis(ttl)});
}

asio::awaitable<std::int64_t> Client::Ttl(std::string_view key) {
    return AsInteger(*this, Pipeline{"TTL", key});
}
asio::awaitable<std::int64_t> Client::PTtl(std::string_view key) {
    return AsInteger(*this, Pipeline{"PTTL", key});
}
asio::awaitable<std::int64_t> Client::Incr(std::string_view key) {
    return AsInteger(*this, Pipeline{"INCR", key});
}

asio::awaitable<std::int64_t> Client::IncrBy(std::string_view key, std::int64_t by) {
    return AsInteger(*this, Pipeline{"INCRBY", key, std::to_string(by)});
}

asio::awaitable<std::vector<std::optional<std::string>>> Client::MGet(const std::vector<std::string>& keys) {
    if (cluster_ && !keys.empty()) {
        auto groups = BySlot(keys, true);
        Pipeline per_slot;
        for (const auto& [slot, positions] : groups) {
            std::vector<std::string_view> argv{"MGET"};
            for (std::size_t i : positions) argv.push_back(keys[i]);
            per_slot.Add(argv);
        }
        return SplitMGet(*this, std::move(per_slot), std::move(groups), keys.size());
    }
    Pipeline p;
    p.Add(Argv({"MGET"}, keys));
    return AsOptionalStrings(*this, std::move(p));
}

asio::awaitable<void> Client::MSet(const FieldValues& key_values) {
    std::vector<std::string_view> argv{"MSET"};
    for (const auto& [k, v] : key_values) argv.insert(argv.end(), {k, v});
    Pipeline p;
    p.Add(argv);
    return ExpectOk(*this, std::move(p));
}

asio::awaitable<RateLimitCount> Client::RateLimit(std::string_view key, milliseconds window) {
    std::string ms = Millis(window);
    Pipeline p;
    p.Add({"INCR", key}).Add({"PEXPIRE", key, ms, "NX"}).Add({"PTTL", key});
    return RateLimitReply(*this, std::move(p));
}

asio::awaitable<bool> Client::HSet(std::string_view key, std::string_view field, std::string_view value) {
    return AsFlag(*this, Pipeline{"HSET", key, field, value});
}

asio::awaitable<std::int64_t> Client::HSet(std::string_view key, const FieldValues& fields) {
    std::vector<std::string_view> argv{"HSET", key};
    for (const auto& [f, v] : fields) argv.insert(argv.end(), {f, v});
    Pipeline p;
    p.Add(argv);
    return AsInteger(*this, std::move(p));
}

asio::awaitable<std::optional<std::string>> Client::HGet(std::string_view key, std::string_view field) {
    return AsOptionalString(*this, Pipeline{"HGET", key, field});
}

asio::awaitable<std::map<std::string, std::string>> Client::HGetAll(std::string_view key) {
    return AsMap(*this, Pipeline{"HGETALL", key});
}

asio::awaitable<std::int64_t> Client::HDel(std::string_view key, const std::vector<std::string>& fields) {
    Pipeline p;
    p.Add(Argv({"HDEL", key}, fields));
    return AsInteger(*this, std::move(p));
}

asio::awaitable<std::int64_t> Client::SAdd(std::string_view key, const std::vector<std::string>& members) {
    Pipeline p;
    p.Add(Argv({"SADD", key}, members));
    return AsInteger(*this, std::move(p));
}

asio::awaitable<std::int64_t> Client::SRem(std::string_view key, const std::vector<std::string>& members) {
    Pipeline p;
    p.Add(Argv({"SREM", key}, members));
    return AsInteger(*this, std::move(p));
}

asio::awaitable<std::vector<std::string>> Client::SMembers(std::string_view key) {
    return AsStrings(*this, Pipeline{"SMEMBERS", key});
}

asio::awaitable<std::int64_t> Client::Publish(std::string_view channel, std::string_view message) {
    return AsInteger(*this, Pipeline{"PUBLISH", channel, message});
}

asio::awaitable<Reply> Client::Eval(const Script& script,
                                    const std::vector<std::string>& keys,
                                    const std::vector<std::string>& args) {
    std::string numkeys = std::to_string(keys.size());
    auto tail = keys;
    tail.insert(tail.end(), args.begin(), args.end());
    Pipeline by_sha;
    by_sha.Add(Argv({"EVALSHA", script.Sha1(), numkeys}, tail));
    Pipeline by_body;
    by_body.Add(Argv({"EVAL", script.Body(), numkeys}, tail));
    return EvalReply(*this, std::move(by_sha), std::move(by_body));
}

asio::awaitable<std::vector<Reply>> Client::EvalPerSlot(const Script& script,
                                                        const std::vector<std::string>& keys,
                                                        const std::vector<std::string>& args) {
    if (args.size() != keys.size()) {
        throw nn::Error(ErrorKind::kInternal, "redis.bad_command", "EvalPerSlot needs one argument per key");
    }
    Pipeline by_sha;
    std::vector<Pipeline> by_body;
    for (const auto& [slot, positions] : BySlot(keys, cluster_ != nullptr)) {
        const std::string numkeys = std::to_string(positions.size());
        std::vector<std::string_view> tail;
        for (std::size_t i : positions) tail.push_back(keys[i]);
        for (std::size_t i : positions) tail.push_back(args[i]);
        std::vector<std::string_view> sha{"EVALSHA", script.Sha1(), numkeys};
        sha.insert(sha.end(), tail.begin(), tail.end());
        by_sha.Add(sha);
        std::vector<std::string_view> body{"EVAL", script.Body(), numkeys};
        body.insert(body.end(), tail.begin(), tail.end());
        by_body.emplace_back().Add(body);
    }
    return EvalGroups(*this, std::move(by_sha), std::move(by_body));
}

asio::awaitable<std::string> Client::XAdd(std::string_view stream,
                                          const FieldValues& fields,
                                          const XAddOptions& options) {
    std::vector<std::string_view> argv{"XADD", stream};
    std::string max_len;
    if (options.max_len) {
        max_len = std::to_string(*options.max_len);
        argv.push_back("MAXLEN");
        if (options.approximate) argv.push_back("~");
        argv.push_back(max_len);
    }
    argv.push_back(options.id);
    for (const auto& [f, v] : fields) argv.insert(argv.end(), {f, v});
    Pipeline p;
    p.Add(argv);
    return XAddReply(*this, std::move(p));
}

asio::awaitable<std::vector<StreamEntry>> Client::XReadGroup(const XReadGroupArgs& args) {
    std::vector<std::string_view> argv{"XREADGROUP", "GROUP", args.group, args.consumer};
    std::string count;
    std::string block;
    if (args.count) {
        count = std::to_string(*args.count);
        argv.insert(argv.end(), {"COUNT", count});
    }
    if (args.block) {
        block = Millis(*args.block);
        argv.insert(argv.end(), {"BLOCK", block});
    }
    if (args.noack) argv.push_back("NOACK");
    argv.insert(argv.end(), {"STREAMS", args.stream, args.id});
    Pipeline p;
    p.Add(argv);
    if (!args.block) return ReadGroupReply(*this, std::move(p));
    return EntriesOf(Blocking(std::move(p), *args.block + options_.command_timeout));
}

asio::awaitable<Reply> Client::Blocking(Pipeline command, milliseconds timeout) {
    if (cluster_) co_return co_await FirstOf(cluster_->Execute(std::move(command), timeout, true));
    Connection* c = nullptr;
    if (idle_blocking_.empty()) {
        Options o = options_;
        if (!o.client_name.empty()) o.client_name += "-blocking";
        blocking_.push_back(std::make_unique<Connection>(executor_, std::move(o)));
        c = blocking_.back().get();
    } else {
        c = idle_blocking_.back();
        idle_blocking_.pop_back();
    }
    try {
        Reply reply = co_await c->ExecuteOne(std::move(command), timeout);
        idle_blocking_.push_back(c);
        co_return reply;
    } catch (...) {
        idle_blocking_.push_back(c);
        throw;
    }
}

asio::awaitable<bool> Client::XGroupCreate(std::string_view stream,
                                           std::string_view group,
                                           std::string_view start_id) {
    return GroupCreateReply(*this, Pipeline{"XGROUP", "CREATE", stream, group, start_id, "MKSTREAM"});
}

asio::awaitable<std::int64_t> Client::XAck(std::string_view stream,
                                           std::string_view group,
                                           const std::vector<std::string>& ids) {
    Pipeline p;
    p.Add(Argv({"XACK", stream, group}, ids));
    return AsInteger(*this, std::move(p));
}

asio::awaitable<XAutoClaimResult> Client::XAutoClaim(std::string_view stream,
                                                     std::string_view group,
                                                     std::string_view consumer,
                                                     milliseconds min_idle,
                                                     std::string_view start,
                                                     std::int64_t count) {
    return AutoClaimReply(*this, Pipeline{"XAUTOCLAIM", stream, group, consumer, Millis(min_idle), start,
                                          "COUNT", std::to_string(count)});
}

asio::awaitable<XPendingSummary> Client::XPending(std::string_view stream, std::string_view group) {
    return PendingReply(*this, Pipeline{"XPENDING", stream, group});
}

asio::awaitable<std::int64_t> Client::XLen(std::string_view stream) {
    return AsInteger(*this, Pipeline{"XLEN", stream});
}

asio::awaitable<std::vector<StreamEntry>> Client::XRange(std::string_view stream,
                                                         std::string_view start,
                                                         std::string_view end,
                                                         std::optional<std::int64_t> count) {
    if (!count) return RangeReply(*this, Pipeline{"XRANGE", stream, start, end});
    return RangeReply(*this, Pipeline{"XRANGE", stream, start, end, "COUNT", std::to_string(*count)});
}

}  // namespace nn::redis
