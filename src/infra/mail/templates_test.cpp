#include "infra/mail/templates.hpp"

#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "infra/mail/mime.hpp"

namespace nn::mail {
namespace {

using namespace std::chrono;

bool Has(const std::string& haystack, const std::string& needle) {
    return haystack.find(needle) != std::string::npos;
}

TEST(Templates, VerificationCarriesLinkAndToken) {
    auto m = VerificationEmail("https://app.example.com/", "ann@example.com", "tok_AbC-123", hours(24));
    EXPECT_EQ(m.kind, "verification");
    EXPECT_EQ(m.to, "ann@example.com");
    EXPECT_FALSE(m.subject.empty());
    EXPECT_TRUE(Has(m.text_body, "https://app.example.com/#/verify?token=tok_AbC-123\n"));
    EXPECT_TRUE(Has(m.text_body, "\ntok_AbC-123\n"));
    EXPECT_TRUE(Has(m.text_body, "24 hours"));
    ASSERT_TRUE(m.html_body);
    EXPECT_TRUE(Has(*m.html_body, "href=\"https://app.example.com/#/verify?token=tok_AbC-123\""));
    EXPECT_TRUE(Has(*m.html_body, "<code>tok_AbC-123</code>"));
    EXPECT_EQ(m.link, "https://app.example.com/#/verify?token=tok_AbC-123");
}

TEST(Templates, ResetCarriesLinkTokenAndValidity) {
    auto m = PasswordResetEmail("http://127.0.0.1:8080", "bob@example.com", "r3set", minutes(30));
    EXPECT_EQ(m.kind, "password_reset");
    EXPECT_TRUE(Has(m.text_body, "http://127.0.0.1:8080/#/reset?token=r3set\n"));
    EXPECT_TRUE(Has(m.text_body, "\nr3set\n"));
    EXPECT_TRUE(Has(m.text_body, "30 minutes"));
    EXPECT_TRUE(Has(*m.html_body, "30 minutes"));
    EXPECT_TRUE(Has(*m.html_body, "href=\"http://127.0.0.1:8080/#/reset?token=r3set\""));
    EXPECT_EQ(m.link, "http://127.0.0.1:8080/#/reset?token=r3set");
}

TEST(Templates, InsertedValuesAreEscaped) {
    std::string evil = "<script>alert(\"x\")</script>&'";
    auto m = VerificationEmail("https://app.example.com", "ann@example.com", evil, hours(1));
    EXPECT_FALSE(Has(*m.html_body, "<script>"));
    EXPECT_TRUE(Has(*m.html_body, "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;"));
    // In the link the token is percent-encoded, so it cannot end the query or the attribute.
    EXPECT_TRUE(Has(m.text_body, "token=%3Cscript%3Ealert%28%22x%22%29%3C%2Fscript%3E%26%27\n"));
    EXPECT_TRUE(Has(*m.html_body, "href=\"https://app.example.com/#/verify?token=%3Cscript%3E"));

    PriceAlert alert{"<B&B>", "above \"150\"", "151.20", "USD",
                     sys_days{year{2025} / 3 / 4} + hours(9) + minutes(5)};
    auto a = PriceAlertEmail("https://app.example.com", "c@example.com", alert);
    EXPECT_FALSE(Has(*a.html_body, "<B&B>"));
    EXPECT_TRUE(Has(*a.html_body, "&lt;B&amp;B&gt;"));
    EXPECT_TRUE(Has(*a.html_body, "above &quot;150&quot;"));
}

TEST(Templates, PriceAlert) {
    PriceAlert alert{"AAPL", "above 150.00", "151.20", "USD",
                     sys_days{year{2025} / 3 / 4} + hours(9) + minutes(5) + seconds(7)};
    auto m = PriceAlertEmail("https://app.example.com/", "c@example.com", alert);
    EXPECT_EQ(m.kind, "alert");
    EXPECT_EQ(m.subject, "NexaNest alert: AAPL above 150.00");
    EXPECT_TRUE(Has(m.text_body, "AAPL is above 150.00."));
    EXPECT_TRUE(Has(m.text_body, "151.20 USD"));
    EXPECT_TRUE(Has(m.text_body, "2025-03-04 09:05:07 UTC"));
    EXPECT_TRUE(Has(m.text_body, "https://app.example.com/\n"));
    EXPECT_TRUE(Has(*m.html_body, "<strong>AAPL</strong>"));
    EXPECT_TRUE(Has(*m.html_body, "2025-03-04 09:05:07 UTC"));
    alert.currency.clear();
    EXPECT_TRUE(Has(PriceAlertEmail("x", "c@example.com", alert).text_body, "Price: 151.20\n"));
}

TEST(Templates, EveryTemplateBuildsAValidMessage) {
    auto from = ParseMailbox("NexaNest <no-reply@nexanest.localhost>");
    PriceAlert alert{"7203.T", "down 5.2% today", "2450", "JPY", system_clock::now()};
    for (const auto& m : {VerificationEmail("http://h", "a@b.c", "t", hours(24)),
                          PasswordResetEmail("http://h", "a@b.c", "t", hours(1)),
                          PriceAlertEmail("http://h", "a@b.c", alert)}) {
        EXPECT_NO_THROW(BuildMessage(m, from, NewStamp(from))) << m.kind;
    }
}

TEST(Templates, FormatValidity) {
    EXPECT_EQ(FormatValidity(hours(24)), "24 hours");
    EXPECT_EQ(FormatValidity(hours(48)), "2 days");
    EXPECT_EQ(FormatValidity(hours(1)), "1 hour");
    EXPECT_EQ(FormatValidity(minutes(90)), "90 minutes");
    EXPECT_EQ(FormatValidity(minutes(1)), "1 minute");
    EXPECT_EQ(FormatValidity(seconds(45)), "45 seconds");
}

}  // namespace
}  // namespace nn::mail
