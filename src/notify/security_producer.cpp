#include "notify/security_producer.hpp"

#include <spdlog/spdlog.h>

#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "infra/app/app.hpp"
#include "infra/redis/client.hpp"
#include "notify/stream_consumer.hpp"

namespace nn::notify {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::string FieldOf(const redis::StreamEntry& e, std::string_view name) {
    for (const auto& [k, v] : e.fields) {
        if (k == name) return v;
    }
    return "";
}

bool AfterFlag(const std::string& data_json, std::string_view flag) {
    std::error_code ec;
    auto v = json::parse(data_json, ec);
    if (ec || !v.is_object()) return false;
    const auto* after = v.as_object().if_contains("after");
    if (!after || !after->is_object()) return false;
    const auto* value = after->as_object().if_contains(flag);
    return value && value->is_bool() && value->as_bool();
}

std::string TitleOf(const std::string& kind) {
    if (kind == "SECURITY_LOCKOUT") return "Your account was locked after failed sign-in attempts";
    if (kind == "SECURITY_PASSWORD_CHANGED") return "Your password was changed";
    if (kind == "SECURITY_API_KEY_CREATED") return "A new API key was created";
    return "New sign-in from a device we have not seen";
}

}  // namespace

std::optional<std::string> SecurityKindOf(const std::string& action, const std::string& data_json) {
    if (action == "user.login_failed" && AfterFlag(data_json, "locked")) return "SECURITY_LOCKOUT";
    if (action == "user.password_changed" || action == "user.password_reset")
        return "SECURITY_PASSWORD_CHANGED";
    if (action == "api_key.created") return "SECURITY_API_KEY_CREATED";
    if (action == "session.created" && AfterFlag(data_json, "new_device")) return "SECURITY_NEW_DEVICE";
    return std::nullopt;
}

SecurityProducer::SecurityProducer(App& app,
                                   std::shared_ptr<Notifier> notifier,
                                   SecurityProducerOptions options)
    : app_(app), notifier_(std::move(notifier)), options_(std::move(options)) {}

asio::awaitable<void> SecurityProducer::Handle(const std::vector<redis::StreamEntry>& entries) {
    auto& redis = app_.Redis(0);
    for (const auto& entry : entries) {
        auto kind = SecurityKindOf(FieldOf(entry, "action"), FieldOf(entry, "data"));
        auto user = UserId::Parse(FieldOf(entry, "user_id"));
        if (kind && user && FieldOf(entry, "source") == "auth") {
            NotificationDraft draft;
            draft.user = *user;
            draft.kind = *kind;
            draft.title = TitleOf(*kind);
            draft.body = "If this was not you, change your password and revoke your sessions and API keys.";
            draft.dedupe_key = FieldOf(entry, "event");
            json::object data{{"event", FieldOf(entry, "event")}, {"action", FieldOf(entry, "action")}};
            draft.data_json = json::serialize(data);
            co_await notifier_->Notify(draft, 0);
        }
        std::vector<std::string> ids{entry.id};
        co_await redis.XAck(options_.stream, options_.group, ids);
    }
}

asio::awaitable<std::size_t> SecurityProducer::RunOnce() {
    StreamSpec spec{.stream = options_.stream,
                    .group = options_.group,
                    .consumer = options_.consumer,
                    .batch = options_.batch,
                    .block = options_.block,
                    .claim_idle = options_.claim_idle};
    StreamHandler handle = [this](const std::vector<redis::StreamEntry>& entries) { return Handle(entries); };
    co_return co_await ConsumeRound(app_.Redis(0), spec, group_ready_, handle);
}

void SecurityProducer::Start() {
    if (stop_) return;
    stop_ = std::make_shared<bool>(false);
    StartRoundLoop(app_.Shard(0), stop_, "security producer",
                   [self = shared_from_this()] { return self->RunOnce(); });
}

void SecurityProducer::Stop() {
    if (stop_) *stop_ = true;
}

}  // namespace nn::notify
