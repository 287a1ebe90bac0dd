#include "notify/price_alerts.hpp"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <cctype>
#include <optional>
#include <set>

#include "core/decimal.hpp"
#include "core/time.hpp"

#include "infra/app/app.hpp"
#include "infra/mail/templates.hpp"
#include "infra/redis/consumer_group.hpp"
#include "notify/model.hpp"

namespace nn::notify {
namespace asio = boost::asio;
namespace json = boost::json;

PriceAlertProducer::PriceAlertProducer(App& app,
                                       std::shared_ptr<Notifier> notifier,
                                       std::shared_ptr<portfolio::NotifyDirectory> portfolios,
                                       std::shared_ptr<market::PriceDirectory> prices,
                                       PriceAlertOptions options)
    : app_(app),
      notifier_(std::move(notifier)),
      portfolios_(std::move(portfolios)),
      prices_(std::move(prices)),
      options_(std::move(options)) {}

asio::awaitable<int> PriceAlertProducer::Evaluate(std::string symbol, std::string price, std::string time) {
    if (!portfolios_) co_return 0;
    std::optional<std::string> prev_close;
    if (prices_) prev_close = co_await prices_->PreviousClose(symbol, time, 0);
    int fired = 0;
    // Notified before the portfolio domain commits the evaluation (on_fired runs inside it): if
    // the commit fails the entry is redelivered and the same dedupe key turns the second
    // notification into a no-op.
    portfolio::NotifyDirectory::OnFired on_fired =
        [&](const portfolio::FiredAlerts& alerts) -> asio::awaitable<void> {
        const auto& above = alerts.above;
        const auto& below = alerts.below;
        const auto& change = alerts.change;
        std::string change_pct;
        std::string date;
        if (!change.empty()) {
            change_pct = ChangePercent(Decimal::FromString(price), Decimal::FromString(*prev_close));
            date = UtcTradingDate(time);
        }

        auto notify = [&](const portfolio::FiredAlert& f, std::string_view condition, std::string title,
                          std::string crossing) -> asio::awaitable<void> {
            auto user = UserId::Parse(f.user);
            if (!user) co_return;
            NotificationDraft draft;
            draft.user = *user;
            draft.kind = "PRICE_ALERT";
            draft.title = std::move(title);
            draft.body = fmt::format("Watchlist alert on {}: last price {} at {}.", symbol, price, time);
            json::object data{{"item_id", f.item},
                              {"watchlist_id", f.watchlist},
                              {"symbol", symbol},
                              {"condition", condition},
                              {"threshold", f.threshold},
                              {"price", price},
                              {"time", time}};
            if (condition == "change") {
                data["prev_close"] = *prev_close;
                data["change_pct"] = change_pct;
            }
            draft.data_json = json::serialize(data);
            draft.dedupe_key = fmt::format("price_alert:{}:{}:{}", f.item, condition, crossing);
            // The email is the alert template (mail::PriceAlertEmail); Notify fills in the address.
            mail::PriceAlert alert;
            alert.symbol = symbol;
            if (condition == "change") {
                alert.condition =
                    (change_pct.starts_with('-') ? "down " + change_pct.substr(1) : "up " + change_pct) +
                    "% today";
            } else {
                alert.condition = std::string(condition) + " " + f.threshold;
            }
            alert.price = price;
            if (auto at = ParseRfc3339(time)) {
                alert.time = std::chrono::time_point_cast<std::chrono::system_clock::duration>(*at);
            }
            const mail::Message email = mail::PriceAlertEmail(app_.Config().public_url, "", alert);
            draft.email_subject = email.subject;
            draft.email_text = email.text_body;
            draft.email_html = email.html_body;
            auto result = co_await notifier_->Notify(draft, 0);
            if (!result.duplicate) ++fired;
        };
        for (const auto& f : above)
            co_await notify(f, "above",
                            fmt::format("{} rose to {} (alert at {})", symbol, price, f.threshold), time);
        for (const auto& f : below)
            co_await notify(f, "below",
                            fmt::format("{} fell to {} (alert at {})", symbol, price, f.threshold), time);
        for (const auto& f : change)
            co_await notify(f, "change",
                            fmt::format("{} moved {}% today (alert at {}%)", symbol, change_pct, f.threshold),
                            date);
    };
    portfolio::AlertTick tick{symbol, price, time, options_.hysteresis, prev_close};
    co_await portfolios_->EvaluateAlerts(std::move(tick), on_fired, 0);
    co_return fired;
}

std::string CheckPriceEntry(const redis::FieldValues& fields, std::vector<PriceTick>& valid) {
    std::string kind, prices;
    bool has_prices = false;
    for (const auto& [k, v] : fields) {
        if (k == "kind") kind = v;
        if (k == "prices") {
            prices = v;
            has_prices = true;
        }
    }
    if (kind == "fx") return "";
    if (kind != "stock" && kind != "index") return kind.empty() ? "no kind" : "unknown kind '" + kind + "'";
    if (!has_prices) return "no prices";
    std::error_code ec;
    auto parsed = json::parse(prices, ec);
    if (ec || !parsed.is_array()) return "prices is not a JSON array";
    std::vector<std::string> bad;
    std::size_t index = 0;
    for (const auto& p : parsed.as_array()) {
        const std::size_t i = index++;
        const json::object* o = p.if_object();
        const json::value* symbol = o ? o->if_contains("symbol") : nullptr;
        const json::value* price = o ? o->if_contains("price") : nullptr;
        const json::value* time = o ? o->if_contains("time") : nullptr;
        if (!symbol || !price || !time || !symbol->is_string() || !price->is_string() || !time->is_string()) {
            bad.push_back(fmt::format("prices[{}]: needs string symbol, price and time", i));
            continue;
        }
        std::string_view sym = symbol->as_string();
        bool symbol_ok = !sym.empty() && sym.size() <= 32;
        for (char c : sym) {
            if (!std::isalnum(static_cast<unsigned char>(c)) &&
                std::string_view("^.=_:-").find(c) == std::string_view::npos)
                symbol_ok = false;
        }
        auto value = Decimal::Parse(price->as_string());
        auto at = ParseRfc3339(time->as_string());
        if (!symbol_ok) {
            bad.push_back(fmt::format("prices[{}].symbol: not a symbol", i));
        } else if (!value || !value->IsPositive()) {
            bad.push_back(fmt::format("prices[{}].price: not a positive decimal", i));
        } else if (!at) {
            bad.push_back(fmt::format("prices[{}].time: not RFC 3339", i));
        } else {
            valid.push_back(
                {std::string(sym), std::string(price->as_string()), std::string(time->as_string())});
        }
    }
    if (bad.empty()) return "";
    std::string reason;
    for (const auto& b : bad) reason += (reason.empty() ? "" : "; ") + b;
    return reason.size() > 1000 ? reason.substr(0, 1000) : reason;
}

asio::awaitable<std::set<std::string>> PriceAlertProducer::WithAlerts(const std::vector<PriceTick>& ticks) {
    if (ticks.empty() || !portfolios_) co_return std::set<std::string>{};
    std::vector<std::string> symbols;
    for (const auto& t : ticks) symbols.push_back(t.symbol);
    co_return co_await portfolios_->SymbolsWithAlerts(std::move(symbols), 0);
}

asio::awaitable<void> PriceAlertProducer::DeadLetter(const redis::StreamEntry& entry, std::string reason) {
    redis::FieldValues fields = entry.fields;
    fields.emplace_back("dead.source_stream", options_.stream);
    fields.emplace_back("dead.source_id", entry.id);
    fields.emplace_back("dead.group", options_.group);
    fields.emplace_back("dead.reason", reason);
    redis::XAddOptions xadd;
    xadd.max_len = options_.dead_letter_max_len;
    co_await app_.Redis(0).XAdd(options_.dead_letter_stream, fields, xadd);
    dead_letters_->fetch_add(1);
    spdlog::warn("notify: price event {} moved to {}: {}", entry.id, options_.dead_letter_stream, reason);
}

asio::awaitable<void> PriceAlertProducer::Handle(const std::vector<redis::StreamEntry>& entries) {
    auto& redis = app_.Redis(0);
    for (const auto& entry : entries) {
        std::vector<PriceTick> ticks;
        // An entry trimmed from the stream while pending comes back without fields: nothing to do.
        std::string reason = entry.fields.empty() ? "" : CheckPriceEntry(entry.fields, ticks);
        // The evaluable ticks of a partly malformed entry still count; the entry itself goes to
        // the dead letters before it is acknowledged, so nothing is dropped unseen.
        std::set<std::string> watched = co_await WithAlerts(ticks);
        for (auto& t : ticks) {
            if (!watched.contains(t.symbol)) continue;
            co_await Evaluate(std::move(t.symbol), std::move(t.price), std::move(t.time));
        }
        if (!reason.empty()) co_await DeadLetter(entry, std::move(reason));
        std::vector<std::string> ids{entry.id};
        co_await redis.XAck(options_.stream, options_.group, ids);
    }
}

asio::awaitable<std::size_t> PriceAlertProducer::RunOnce() {
    const redis::StreamSpec spec = redis::SpecOf(options_);
    redis::StreamHandler handle = [this](const std::vector<redis::StreamEntry>& entries) {
        return Handle(entries);
    };
    co_return co_await redis::ConsumeRound(app_.Redis(0), spec, group_ready_, handle);
}

void PriceAlertProducer::Start() {
    if (stop_) return;
    stop_ = std::make_shared<std::atomic<bool>>(false);
    redis::StartRoundLoop(app_.Shard(0), stop_, "notify: price alert",
                          [self = shared_from_this()] { return self->RunOnce(); });
}

void PriceAlertProducer::Stop() {
    if (stop_) *stop_ = true;
}

}  // namespace nn::notify
