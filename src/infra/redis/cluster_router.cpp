#include "infra/redis/cluster_router.hpp"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <charconv>
#include <string_view>

#include "core/error.hpp"

namespace nn::redis::detail {
namespace {

namespace asio = boost::asio;
using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

constexpr milliseconds kMinRefreshInterval{100};

nn::Error Unavailable(const std::string& why) {
    return nn::Error(ErrorKind::kUnavailable, "redis.unavailable", "Redis Cluster unavailable: " + why);
}

asio::awaitable<void> Pause(milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::use_awaitable);
}

bool StartsWith(const std::string& s, std::string_view prefix) {
    return s.rfind(prefix, 0) == 0;
}

// "MOVED 3999 127.0.0.1:6381" / "ASK 3999 127.0.0.1:6381": the slot and the node.
struct Redirect {
    int slot = -1;
    HostPort to;
};

std::optional<Redirect> ParseRedirect(const std::string& message) {
    auto sp1 = message.find(' ');
    auto sp2 = message.find(' ', sp1 + 1);
    if (sp1 == std::string::npos || sp2 == std::string::npos) return std::nullopt;
    Redirect r;
    std::string_view slot(message.data() + sp1 + 1, sp2 - sp1 - 1);
    std::from_chars(slot.data(), slot.data() + slot.size(), r.slot);
    std::string_view addr(message.data() + sp2 + 1, message.size() - sp2 - 1);
    auto colon = addr.rfind(':');
    if (colon == std::string_view::npos || r.slot < 0 || r.slot >= kClusterSlots) return std::nullopt;
    r.to.host = std::string(addr.substr(0, colon));
    std::from_chars(addr.data() + colon + 1, addr.data() + addr.size(), r.to.port);
    return r;
}

std::string NameOf(const HostPort& a) {
    return a.host + ":" + std::to_string(a.port);
}

}  // namespace

struct ClusterRouter::Node {
    HostPort address;
    std::string name;
    std::unique_ptr<Connection> shared;
    std::vector<std::unique_ptr<Connection>> blocking;
    std::vector<Connection*> idle;
};

ClusterRouter::ClusterRouter(asio::any_io_executor executor, Options options)
    : executor_(std::move(executor)), options_(std::move(options)) {
    for (const HostPort& seed : options_.url.seeds) NodeFor(seed);
}

ClusterRouter::~ClusterRouter() {
    Close();
}

ClusterRouter::Node& ClusterRouter::NodeFor(const HostPort& address) {
    const std::string name = NameOf(address);
    for (auto& n : nodes_) {
        if (n->name == name) return *n;
    }
    auto node = std::make_unique<Node>();
    node->address = address;
    node->name = name;
    Options o = options_;
    o.url = WithHost(options_.url, address);
    node->shared = std::make_unique<Connection>(executor_, std::move(o));
    if (hook_) {
        node->shared->OnStateChange([hook = hook_, name](bool connected, const std::string& reason) {
            hook(connected, connected ? reason : name + ": " + reason);
        });
    }
    if (closed_) node->shared->Close();
    std::lock_guard lock(nodes_mutex_);
    nodes_.push_back(std::move(node));
    return *nodes_.back();
}

ClusterRouter::Node* ClusterRouter::AnyNode() {
    for (auto& n : nodes_) {
        if (n->shared->Connected()) return n.get();
    }
    return nodes_.empty() ? nullptr : nodes_.front().get();
}

asio::awaitable<bool> ClusterRouter::Refresh(bool force) {
    if (refreshing_) {
        // Another call is loading the map: wait for it rather than asking every node again.
        const auto deadline = Clock::now() + options_.command_timeout;
        while (refreshing_ && Clock::now() < deadline) co_await Pause(milliseconds(5));
        co_return have_map_;
    }
    if (!force && have_map_ && Clock::now() - last_refresh_ < kMinRefreshInterval) co_return true;
    refreshing_ = true;
    // Connected nodes first; the others fail fast while down.
    std::vector<Node*> order;
    for (auto& n : nodes_) {
        if (n->shared->Connected()) order.push_back(n.get());
    }
    for (auto& n : nodes_) {
        if (!n->shared->Connected()) order.push_back(n.get());
    }
    const milliseconds timeout = std::min(options_.command_timeout, milliseconds(1000));
    bool loaded = false;
    for (Node* node : order) {
        if (closed_) break;
        std::vector<std::string_view> argv{"CLUSTER", "SLOTS"};
        Pipeline command;
        command.Add(argv);
        Reply reply;
        try {
            reply = co_await node->shared->ExecuteOne(std::move(command), timeout);
        } catch (const nn::Error&) {
            continue;  // this node is down or slow: ask the next one
        }
        if (reply.IsError() || !reply.IsArray()) continue;
        // [[start, end, [host, port, id, ...], [replica ...] ...], ...]
        std::array<Node*, kClusterSlots> map{};
        std::size_t covered = 0;
        for (const Reply& range : reply.AsArray()) {
            const auto& parts = range.AsArray();
            if (parts.size() < 3 || parts[2].AsArray().size() < 2) continue;
            const auto first = parts[0].AsInteger();
            const auto last = parts[1].AsInteger();
            HostPort master;
            master.host = parts[2].AsArray()[0].AsString();
            if (master.host.empty() || master.host == "?") master.host = node->address.host;
            master.port = static_cast<std::uint16_t>(parts[2].AsArray()[1].AsInteger());
            Node& owner = NodeFor(master);
            for (auto s = std::max<std::int64_t>(first, 0);
                 s <= std::min<std::int64_t>(last, kClusterSlots - 1); ++s) {
                map[static_cast<std::size_t>(s)] = &owner;
                ++covered;
            }
        }
        if (covered == 0) continue;
        slots_ = map;
        have_map_ = true;
        loaded = true;
        refreshes_.fetch_add(1, std::memory_order_relaxed);
        break;
    }
    last_refresh_ = Clock::now();
    refreshing_ = false;
    co_return loaded;
}

asio::awaitable<std::vector<Reply>> ClusterRouter::Call(Node& node,
                                                        Pipeline pipeline,
                                                        std::optional<milliseconds> timeout,
                                                        bool blocking) {
    if (!blocking) co_return co_await node.shared->Execute(std::move(pipeline), timeout);
    Connection* c = nullptr;
    if (node.idle.empty()) {
        Options o = options_;
        o.url = WithHost(options_.url, node.address);
        if (!o.client_name.empty()) o.client_name += "-blocking";
        node.blocking.push_back(std::make_unique<Connection>(executor_, std::move(o)));
        c = node.blocking.back().get();
    } else {
        c = node.idle.back();
        node.idle.pop_back();
    }
    try {
        auto replies = co_await c->Execute(std::move(pipeline), timeout);
        node.idle.push_back(c);
        co_return replies;
    } catch (...) {
        node.idle.push_back(c);
        throw;
    }
}

// What one round of Execute leaves for the next: the commands to send again and why.
struct ClusterRouter::Round {
    std::vector<std::size_t> retry;
    bool moved = false;      // a MOVED: refresh the slot map
    bool wait = false;       // TRYAGAIN, CLUSTERDOWN or a migrating slot in a transaction: pause
    bool node_down = false;  // a node did not answer: follow a failover or give up
    std::string down_reason;
    std::string last_redirect;  // for the error after kMaxAttempts
};

// The pending commands by the node they go to: an ASK target, the slot's owner, or (keyless)
// the node of the pipeline's first keyed command (or any node).
ClusterRouter::Groups ClusterRouter::GroupByNode(const Pipeline& pipeline,
                                                 const std::vector<std::size_t>& pending,
                                                 const std::vector<Node*>& ask) {
    Node* anchor = nullptr;
    for (std::size_t i : pending) {
        if (pipeline.Slot(i) >= 0) {
            anchor = slots_[static_cast<std::size_t>(pipeline.Slot(i))];
            break;
        }
    }
    if (anchor == nullptr) anchor = AnyNode();
    Groups groups;
    for (std::size_t i : pending) {
        Node* node = ask[i];
        if (node == nullptr && pipeline.Slot(i) >= 0)
            node = slots_[static_cast<std::size_t>(pipeline.Slot(i))];
        if (node == nullptr) node = anchor;
        if (node == nullptr) throw Unavailable("no node is known");
        auto g = std::find_if(groups.begin(), groups.end(), [&](const auto& x) { return x.first == node; });
        if (g == groups.end()) {
            groups.emplace_back(node, std::vector<std::size_t>{});
            g = groups.end() - 1;
        }
        g->second.push_back(i);
    }
    if (pipeline.HasTransaction() && groups.size() > 1) {
        throw nn::Error(ErrorKind::kInternal, "redis.cross_slot_transaction",
                        "a MULTI pipeline's keys live on different Redis Cluster nodes");
    }
    return groups;
}

// One node's replies to its commands `indices`: answers go to `out`, redirections to the round.
void ClusterRouter::TakeReplies(const Pipeline& pipeline,
                                const std::vector<std::size_t>& indices,
                                std::vector<Reply>& replies,
                                std::vector<std::optional<Reply>>& out,
                                std::vector<Node*>& ask,
                                Round& round) {
    std::size_t k = 0;
    for (std::size_t i : indices) {
        if (ask[i] != nullptr) ++k;  // ASKING's +OK
        if (k >= replies.size()) throw Unavailable("a node answered fewer replies than commands");
        Reply& r = replies[k++];
        ask[i] = nullptr;
        if (!r.IsError()) {
            out[i] = std::move(r);
            continue;
        }
        const std::string& message = r.ErrorMessage();
        if (StartsWith(message, "MOVED ") || StartsWith(message, "ASK ")) {
            auto redirect = ParseRedirect(message);
            if (!redirect) {
                out[i] = std::move(r);
                continue;
            }
            round.last_redirect = message;
            Node& target = NodeFor(redirect->to);
            if (message[1] == 'O') {
                slots_[static_cast<std::size_t>(redirect->slot)] = &target;
                round.moved = true;
            } else if (!pipeline.HasTransaction()) {
                ask[i] = &target;
            } else {
                round.wait = true;  // a transaction waits for the migration to finish
            }
            round.retry.push_back(i);
        } else if (StartsWith(message, "TRYAGAIN") || StartsWith(message, "CLUSTERDOWN")) {
            round.last_redirect = message;
            round.wait = true;
            round.retry.push_back(i);
        } else {
            out[i] = std::move(r);
        }
    }
}

// A node did not answer: the commands are retried only when the refreshed map gives their
// slots another owner (a failover promoted a replica); otherwise the node's error stands.
asio::awaitable<void> ClusterRouter::FollowFailover(const Pipeline& pipeline, const Round& round) {
    std::vector<Node*> before(round.retry.size());
    for (std::size_t j = 0; j < round.retry.size(); ++j) {
        const int s = pipeline.Slot(round.retry[j]);
        before[j] = s >= 0 ? slots_[static_cast<std::size_t>(s)] : nullptr;
    }
    co_await Refresh(false);
    bool owner_changed = false;
    for (std::size_t j = 0; j < round.retry.size(); ++j) {
        const int s = pipeline.Slot(round.retry[j]);
        // A keyless command goes to any connected node next time.
        if (s < 0 || slots_[static_cast<std::size_t>(s)] != before[j]) owner_changed = true;
    }
    if (!owner_changed) throw Unavailable(round.down_reason);
}

asio::awaitable<std::vector<Reply>> ClusterRouter::Execute(Pipeline pipeline,
                                                           std::optional<milliseconds> timeout,
                                                           bool blocking) {
    const std::size_t n = pipeline.Size();
    std::vector<std::optional<Reply>> out(n);
    std::vector<Node*> ask(n, nullptr);
    std::vector<std::size_t> pending;
    for (std::size_t i = 0; i < n; ++i) {
        if (pipeline.Slot(i) == kCrossSlot) {
            out[i] =
                Reply::Error("CROSSSLOT Keys in request don't hash to the same slot (checked by the client)");
        } else {
            pending.push_back(i);
        }
    }
    if (closed_) throw Unavailable("the client is closed");
    if (!have_map_) {
        const bool loaded = co_await Refresh(true);
        if (!loaded) throw Unavailable("no node answered CLUSTER SLOTS");
    }
    std::string last_redirect;
    for (int attempt = 1; !pending.empty(); ++attempt) {
        if (attempt > kMaxAttempts) {
            throw nn::Error(ErrorKind::kUnavailable, "redis.cluster_redirects",
                            "Redis Cluster: still redirected after " + std::to_string(kMaxAttempts) +
                                " attempts (last: " + last_redirect + ")");
        }
        Round round;
        round.last_redirect = std::move(last_redirect);
        // A named local: g++ 12 mishandles temporaries in a coroutine's range-for (docs/architecture.md).
        const Groups groups = GroupByNode(pipeline, pending, ask);
        for (const auto& [node, indices] : groups) {
            Pipeline part;
            for (std::size_t i : indices) {
                if (ask[i] != nullptr) {
                    std::vector<std::string_view> asking{"ASKING"};
                    part.Add(asking);
                }
                part.AddFrom(pipeline, i);
            }
            std::vector<Reply> replies;
            bool failed = false;
            try {
                replies = co_await Call(*node, std::move(part), timeout, blocking);
            } catch (const nn::Error& e) {
                if (e.Kind() != ErrorKind::kUnavailable) throw;
                failed = true;
                round.down_reason = e.what();
            }
            if (failed) {
                round.node_down = true;
                for (std::size_t i : indices) {
                    ask[i] = nullptr;
                    round.retry.push_back(i);
                }
                continue;
            }
            TakeReplies(pipeline, indices, replies, out, ask, round);
        }
        if (round.node_down) {
            co_await FollowFailover(pipeline, round);
            round.last_redirect = "failover: " + round.down_reason;
        } else if (round.moved) {
            co_await Refresh(false);
        }
        if (round.wait) co_await Pause(milliseconds(20 * attempt));
        if (pipeline.HasTransaction() && !round.retry.empty()) {
            // A redirected command aborted the whole transaction (EXECABORT): run it all again.
            round.retry.clear();
            for (std::size_t i = 0; i < n; ++i) {
                if (pipeline.Slot(i) != kCrossSlot) round.retry.push_back(i);
            }
        }
        std::sort(round.retry.begin(), round.retry.end());
        pending = std::move(round.retry);
        last_redirect = std::move(round.last_redirect);
    }
    std::vector<Reply> replies;
    replies.reserve(n);
    for (auto& r : out) replies.push_back(r ? std::move(*r) : Reply::Nil());
    co_return replies;
}

asio::awaitable<bool> ClusterRouter::WaitConnected(milliseconds timeout) {
    const auto deadline = Clock::now() + timeout;
    while (!closed_) {
        if (!have_map_) co_await Refresh(true);
        if (have_map_ && Connected()) co_return true;
        if (Clock::now() >= deadline) co_return false;
        co_await Pause(milliseconds(20));
    }
    co_return false;
}

bool ClusterRouter::Connected() const noexcept {
    std::lock_guard lock(nodes_mutex_);
    return std::any_of(nodes_.begin(), nodes_.end(), [](const auto& n) { return n->shared->Connected(); });
}

Stats ClusterRouter::GetStats() const noexcept {
    std::lock_guard lock(nodes_mutex_);
    Stats total;
    for (const auto& n : nodes_) {
        const Stats s = n->shared->GetStats();
        total.commands += s.commands;
        total.errors += s.errors;
        total.timeouts += s.timeouts;
        total.unavailable += s.unavailable;
        total.reconnects += s.reconnects;
        total.connected = total.connected || s.connected;
    }
    return total;
}

std::uint64_t ClusterRouter::Refreshes() const noexcept {
    return refreshes_.load(std::memory_order_relaxed);
}

void ClusterRouter::OnStateChange(StateHook hook) {
    hook_ = std::move(hook);
    for (auto& n : nodes_) {
        n->shared->OnStateChange([hook = hook_, name = n->name](bool connected, const std::string& reason) {
            hook(connected, connected ? reason : name + ": " + reason);
        });
    }
}

void ClusterRouter::Close() {
    closed_ = true;
    for (auto& n : nodes_) {
        n->shared->Close();
        for (auto& c : n->blocking) c->Close();
    }
}

}  // namespace nn::redis::detail
