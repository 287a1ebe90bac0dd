#include "market/instrument_directory.hpp"

#include "infra/db/query.hpp"
#include "infra/db/result.hpp"

namespace nn::market {
namespace asio = boost::asio;

namespace {

constexpr db::Query kInstrumentFacts{
    "SELECT symbol, asset_class, sector, country, fractional, currency::text FROM market_data.instruments "
    "WHERE symbol = ANY ($1::text[])",
    "market.directory.instruments"};

constexpr db::Query kActiveIndexSymbols{
    "SELECT symbol FROM market_data.instruments WHERE asset_class = 'INDEX' AND is_active ORDER BY symbol",
    "market.directory.index_symbols"};

class PgInstrumentDirectory final : public InstrumentDirectory {
public:
    PgInstrumentDirectory(App& app, ReadFrom from) : runners_(RunnersFor(app, from)) {}

    asio::awaitable<std::vector<InstrumentFacts>> Instruments(std::vector<std::string> symbols,
                                                              std::size_t shard) override {
        std::vector<InstrumentFacts> out;
        if (symbols.empty()) co_return out;
        const db::Result res = co_await runners_.at(shard)->Execute(kInstrumentFacts, db::TextArray(symbols));
        for (db::Row row : res) {
            InstrumentFacts f;
            f.symbol = row.Get<std::string>(0);
            f.asset_class = row.Get<std::string>(1);
            f.sector = row.Get<std::optional<std::string>>(2);
            f.country = row.Get<std::optional<std::string>>(3);
            f.fractional = row.Get<bool>(4);
            f.currency = row.Get<std::string>(5);
            out.push_back(std::move(f));
        }
        co_return out;
    }

    asio::awaitable<std::vector<std::string>> ActiveIndexSymbols(std::size_t shard) override {
        const db::Result res = co_await runners_.at(shard)->Execute(kActiveIndexSymbols);
        std::vector<std::string> out;
        for (db::Row row : res) out.push_back(row.Get<std::string>(0));
        co_return out;
    }

private:
    std::vector<db::QueryRunner*> runners_;
};

}  // namespace

std::shared_ptr<InstrumentDirectory> MakeInstrumentDirectory(App& app, ReadFrom from) {
    return std::make_shared<PgInstrumentDirectory>(app, from);
}

}  // namespace nn::market
