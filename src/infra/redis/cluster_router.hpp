#pragma once

#include <array>
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "infra/redis/connection.hpp"
#include "infra/redis/key_slot.hpp"

namespace nn::redis::detail {

// Redis Cluster routing for Client (redis+cluster:// URLs). Keeps the slot map (CLUSTER SLOTS,
// asked of any reachable node), one pipelined Connection per node plus connections for
// blocking calls, and sends each command to the master of its key's slot:
//   - MOVED: the slot's new owner is recorded, the map refreshed, the command re-sent there;
//   - ASK (a slot being migrated): ASKING + the command on the target node, once per redirect;
//   - TRYAGAIN / CLUSTERDOWN: re-sent after a short pause;
//   - a node that is down (kUnavailable): the map is refreshed (at most every 100 ms) and the
//     commands re-sent when their slots now have another owner (a replica promoted by a
//     failover); otherwise the kUnavailable error is thrown, as with a single Redis.
// All of this is bounded by kMaxAttempts rounds, after which the call throws kUnavailable
// ("redis.cluster_redirects") naming the last redirect.
// A pipeline is split per node and its replies put back in the caller's order; commands of
// different nodes then run in no particular order relative to each other. A pipeline holding
// MULTI is never split (kInternal "redis.cross_slot_transaction"). A command whose own keys
// hash to several slots is answered with a CROSSSLOT error reply without being sent.
// Belongs to one io_context, like Connection.
class ClusterRouter {
public:
    static constexpr int kMaxAttempts = 6;

    ClusterRouter(boost::asio::any_io_executor executor, Options options);
    ~ClusterRouter();
    ClusterRouter(const ClusterRouter&) = delete;
    ClusterRouter& operator=(const ClusterRouter&) = delete;

    // `blocking`: run on a connection of its own (XREADGROUP BLOCK ...), not the shared one.
    boost::asio::awaitable<std::vector<Reply>> Execute(Pipeline pipeline,
                                                       std::optional<std::chrono::milliseconds> timeout,
                                                       bool blocking);
    // Waits until a slot map is known and a node is connected.
    boost::asio::awaitable<bool> WaitConnected(std::chrono::milliseconds timeout);

    bool Connected() const noexcept;           // any thread: some node connected
    Stats GetStats() const noexcept;           // any thread: summed over the nodes' shared connections
    std::uint64_t Refreshes() const noexcept;  // slot maps loaded
    void OnStateChange(StateHook hook);
    void Close();

private:
    struct Node;

    Node& NodeFor(const HostPort& address);
    Node* AnyNode();
    boost::asio::awaitable<bool> Refresh(bool force);
    boost::asio::awaitable<std::vector<Reply>> Call(Node& node,
                                                    Pipeline pipeline,
                                                    std::optional<std::chrono::milliseconds> timeout,
                                                    bool blocking);
    // The steps of one round of Execute (cluster_router.cpp).
    struct Round;
    using Groups = std::vector<std::pair<Node*, std::vector<std::size_t>>>;
    Groups GroupByNode(const Pipeline& pipeline,
                       const std::vector<std::size_t>& pending,
                       const std::vector<Node*>& ask);
    void TakeReplies(const Pipeline& pipeline,
                     const std::vector<std::size_t>& indices,
                     std::vector<Reply>& replies,
                     std::vector<std::optional<Reply>>& out,
                     std::vector<Node*>& ask,
                     Round& round);
    boost::asio::awaitable<void> FollowFailover(const Pipeline& pipeline, const Round& round);

    boost::asio::any_io_executor executor_;
    Options options_;
    mutable std::mutex nodes_mutex_;            // nodes_ grows on this thread and is read by GetStats
    std::vector<std::unique_ptr<Node>> nodes_;  // never shrinks: a node's connections outlive calls
    std::array<Node*, kClusterSlots> slots_{};
    bool have_map_ = false;
    bool refreshing_ = false;
    bool closed_ = false;
    std::chrono::steady_clock::time_point last_refresh_{};
    std::atomic<std::uint64_t> refreshes_{0};
    StateHook hook_;
};

}  // namespace nn::redis::detail
