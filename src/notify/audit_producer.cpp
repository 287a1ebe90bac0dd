#include "notify/audit_producer.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include "core/decimal.hpp"
#include "infra/app/app.hpp"
#include "infra/redis/client.hpp"
#include "infra/redis/consumer_group.hpp"

namespace nn::notify {
namespace asio = boost::asio;
namespace json = boost::json;

namespace {

json::object AfterOf(const std::string& data_json) {
    std::error_code ec;
    auto v = json::parse(data_json, ec);
    if (ec || !v.is_object()) return {};
    const auto* after = v.as_object().if_contains("after");
    if (!after || !after->is_object()) return {};
    return after->as_object();
}

bool Flag(const json::object& o, std::string_view name) {
    const auto* v = o.if_contains(name);
    return v && v->is_bool() && v->as_bool();
}

std::string Text(const json::object& o, std::string_view name) {
    const auto* v = o.if_contains(name);
    if (!v) return "";
    if (v->is_string()) return std::string(v->as_string());
    if (v->is_int64()) return std::to_string(v->as_int64());
    return "";
}

// A weight fraction ("0.4213") as a percentage with up to 2 places ("42.13%").
std::string Percent(const std::string& fraction) {
    auto d = Decimal::Parse(fraction);
    if (!d) return fraction;
    return Decimal::Mul(*d, Decimal::FromInt(100), 2).Normalized().ToString() + "%";
}

constexpr std::string_view kSecurityBody =
    "If this was not you, change your password and revoke your sessions and API keys.";

}  // namespace

std::optional<AuditNotice> NoticeOf(const std::string& source,
                                    const std::string& action,
                                    const std::string& data_json) {
    json::object after = AfterOf(data_json);
    AuditNotice n;
    if (source == "auth") {
        n.body = kSecurityBody;
        if (action == "user.login_failed" && Flag(after, "locked")) {
            n.kind = "SECURITY_LOCKOUT";
            n.title = "Your account was locked after failed sign-in attempts";
        } else if (action == "user.password_changed" || action == "user.password_reset") {
            n.kind = "SECURITY_PASSWORD_CHANGED";
            n.title = "Your password was changed";
        } else if (action == "api_key.created") {
            n.kind = "SECURITY_API_KEY_CREATED";
            n.title = "A new API key was created";
        } else if (action == "session.created" && Flag(after, "new_device")) {
            n.kind = "SECURITY_NEW_DEVICE";
            n.title = "New sign-in from a device we have not seen";
            const std::string device = Text(after, "device");
            if (!device.empty()) n.body = "Device: " + device + ". " + n.body;
        } else {
            return std::nullopt;
        }
    } else if (source == "portfolio") {
        if (action == "allocation.drift_breached") {
            n.kind = "ALLOCATION_DRIFT";
            n.title =
                fmt::format("{} {} is at {} of the portfolio (target {} \u00b1 {})", Text(after, "dimension"),
                            Text(after, "key"), Percent(Text(after, "weight")),
                            Percent(Text(after, "target_weight")), Percent(Text(after, "tolerance")));
            n.body = "The allocation drifted beyond its tolerance; GET /api/v1/portfolios/" +
                     Text(after, "portfolio_id") + "/rebalance proposes the trades that bring it back.";
        } else if (action == "goal.milestone_reached") {
            n.kind = "GOAL_MILESTONE";
            n.title =
                fmt::format("Goal \"{}\" reached {}%", Text(after, "name"), Text(after, "milestone_pct"));
            n.body =
                fmt::format("Current value {} {} of the {} {} target.", Text(after, "current_value"),
                            Text(after, "currency"), Text(after, "target_amount"), Text(after, "currency"));
        } else {
            return std::nullopt;
        }
    } else {
        return std::nullopt;
    }
    n.data_json = json::serialize(after);
    return n;
}

AuditProducer::AuditProducer(App& app, std::shared_ptr<Notifier> notifier, AuditProducerOptions options)
    : app_(app), notifier_(std::move(notifier)), options_(std::move(options)) {}

asio::awaitable<void> AuditProducer::Handle(const std::vector<redis::StreamEntry>& entries) {
    auto& redis = app_.Redis(0);
    for (const auto& entry : entries) {
        auto notice = NoticeOf(entry.Field("source"), entry.Field("action"), entry.Field("data"));
        auto user = UserId::Parse(entry.Field("user_id"));
        if (notice && user) {
            NotificationDraft draft;
            draft.user = *user;
            draft.kind = notice->kind;
            draft.title = notice->title;
            draft.body = notice->body;
            draft.dedupe_key = entry.Field("event");
            json::object data{{"event", entry.Field("event")}, {"action", entry.Field("action")}};
            std::error_code ec;
            auto details = json::parse(notice->data_json, ec);
            if (!ec && details.is_object()) {
                for (const auto& [k, v] : details.as_object()) data[k] = v;
            }
            draft.data_json = json::serialize(data);
            co_await notifier_->Notify(draft, 0);
        }
        std::vector<std::string> ids{entry.id};
        co_await redis.XAck(options_.stream, options_.group, ids);
    }
}

asio::awaitable<std::size_t> AuditProducer::RunOnce() {
    const redis::StreamSpec spec = redis::SpecOf(options_);
    redis::StreamHandler handle = [this](const std::vector<redis::StreamEntry>& entries) {
        return Handle(entries);
    };
    co_return co_await redis::ConsumeRound(app_.Redis(0), spec, group_ready_, handle);
}

void AuditProducer::Start() {
    if (stop_) return;
    stop_ = std::make_shared<std::atomic<bool>>(false);
    redis::StartRoundLoop(app_.Shard(0), stop_, "notify: audit producer",
                          [self = shared_from_this()] { return self->RunOnce(); });
}

void AuditProducer::Stop() {
    if (stop_) *stop_ = true;
}

}  // namespace nn::notify
