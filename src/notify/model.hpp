#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/decimal.hpp"
#include "core/ids.hpp"
#include "core/time.hpp"

namespace nn::notify {

inline constexpr std::string_view kChannelInApp = "IN_APP";
inline constexpr std::string_view kChannelEmail = "EMAIL";
inline constexpr std::string_view kChannelLive = "LIVE";

// What a producer hands to Notifier::Notify.
struct NotificationDraft {
    UserId user;
    std::string kind;  // PRICE_ALERT, ALLOCATION_DRIFT, GOAL_MILESTONE, SECURITY_... (^[A-Z][A-Z0-9_]*$)
    std::string title;
    std::string body;
    std::string data_json = "{}";  // a JSON object
    // One notification per (user, dedupe_key), whatever the channels: a producer's retry or a
    // concurrent batch firing the same crossing delivers nothing twice.
    std::optional<std::string> dedupe_key;
    // The address for the EMAIL channel; without it the Notifier asks its user directory (a
    // verified address of an active account), and without an address that channel is skipped.
    std::optional<std::string> email;
    // A producer's own email (e.g. mail::PriceAlertEmail); otherwise NotificationEmail
    // (email.hpp) renders title and body.
    std::optional<std::string> email_subject;
    std::optional<std::string> email_text;
    std::optional<std::string> email_html;
};

struct Notification {
    Uuid id;
    UserId user;
    std::string kind;
    std::string title;
    std::string body;
    std::string data_json;
    Timestamp created_at;
    std::optional<Timestamp> read_at;
};

// What Notify did, per channel.
struct NotifyResult {
    bool duplicate = false;            // the dedupe key was seen before: nothing was done
    std::optional<Uuid> notification;  // the inbox row (IN_APP on)
    bool emailed = false;              // a delivery row was queued (EMAIL on and an address)
    bool pushed = false;               // appended to the user's live stream (LIVE on, Redis up)
};

struct Preference {
    std::string kind;  // "*" for every kind
    std::string channel;
    bool enabled = true;
};

// The effective switch per channel of one (user, kind): the (kind, channel) preference, else the
// user's ("*", channel) one, else on.
struct Channels {
    bool in_app = true;
    bool email = true;
    bool live = false;
};

// An email to queue in notifications.deliveries (the email job sends it).
struct NewDelivery {
    UserId user;
    std::optional<Uuid> notification;  // the inbox row, when IN_APP wrote one
    std::string kind;                  // stored lower-case as the delivery's template
    std::string to;
    std::string subject;
    std::string text_body;
    std::optional<std::string> html_body;
};

// A delivery the email job claimed (status SENDING) and now sends.
struct ClaimedDelivery {
    Uuid id;
    std::string to;
    std::string subject;
    std::string text_body;
    std::optional<std::string> html_body;
    std::string kind;  // the template
};

// The filters of GET /api/v1/admin/audit and the keyset position after which a page starts.
struct AuditFilter {
    std::optional<std::string> user;  // a UUID's text: the subject or the actor
    std::optional<std::string> entity;
    std::optional<std::string> entity_id;
    std::optional<std::string> action;
    std::optional<Timestamp> from;
    std::optional<Timestamp> to;
    std::optional<Timestamp> after_time;
    std::optional<std::string> after_source;
    std::optional<std::int64_t> after_id;
};

// One row of events.system_events; before and after are JSON text.
struct AuditEntry {
    Timestamp time;
    std::string source;
    std::int64_t source_event_id = 0;
    std::optional<Uuid> actor_id;
    std::optional<Uuid> user_id;
    std::string entity_type;
    std::string entity_id;
    std::string action;
    std::optional<std::string> before;
    std::optional<std::string> after;
    std::optional<std::string> request_id;
    std::optional<std::string> ip;
};

// One row of events.trading_events; the amounts are decimal text.
struct TradingEvent {
    Timestamp time;
    std::int64_t source_event_id = 0;
    std::string type;
    std::string action;
    std::optional<Uuid> transaction_id;
    std::optional<Uuid> actor_id;
    std::optional<std::string> symbol;
    std::optional<std::string> quantity;
    std::optional<std::string> price;
    std::optional<std::string> amount;
    std::optional<std::string> fee;
    std::optional<std::string> currency;
};

// The daily change of a price alert in percent, as PostgreSQL computes
// trim_scale(round((price / prev_close - 1) * 100, 2)) on numerics: the quotient rounded half
// away from zero at PostgreSQL's division scale (at least 16 significant digits, at least the
// scale of either operand), then the percentage rounded half away from zero to 2 places, trailing
// zeros trimmed: "5.83", "-0.01", "100". Throws "decimal.division_by_zero" when prev_close is zero.
std::string ChangePercent(const Decimal& price, const Decimal& prev_close);

// The UTC calendar date ("YYYY-MM-DD") of an RFC 3339 time, the day a daily-change crossing
// belongs to. Throws nn::Error "time.invalid" when `time` is not RFC 3339.
std::string UtcTradingDate(std::string_view time);

}  // namespace nn::notify
