#include <streamchat/emulator.hpp>

#include "emulator/server/server.hpp"

namespace streamchat {

struct emulator::impl {
    boost::asio::any_io_executor ex;
    emulator_config config;
    std::shared_ptr<emu::server> srv{};
    std::uint16_t port = 0;
};

emulator::emulator(boost::asio::any_io_executor ex, emulator_config config)
    : impl_(std::make_shared<impl>(impl{std::move(ex), std::move(config)}))
{
}

emulator::~emulator() { stop(); }

error_code emulator::start(std::string* why)
{
    std::string reason;
    if (impl_->srv && impl_->srv->serving()) {
        if (why) *why = "the emulator is already running";
        return error::already_running;
    }
    auto srv = std::make_shared<emu::server>(impl_->ex, impl_->config);
    if (auto ec = srv->start(reason)) {
        srv->stop();
        if (why) *why = std::move(reason);
        return ec;
    }
    impl_->srv = std::move(srv);
    impl_->port = impl_->srv->port();
    return {};
}

std::uint16_t emulator::port() const noexcept { return impl_->port; }

std::string emulator::base_url() const
{
    const auto& host = impl_->config.host;
    const bool v6 = host.find(':') != std::string::npos;
    return "http://" + (v6 ? "[" + host + "]" : host) + ":" + std::to_string(impl_->port);
}

void emulator::stop()
{
    if (!impl_ || !impl_->srv) return;
    auto srv = std::move(impl_->srv);
    srv->stop();
}

const emulator_config& emulator::config() const noexcept { return impl_->config; }

std::vector<std::string> emulator::watched_channels(const std::string& user_id) const
{
    if (!impl_->srv) return {};
    return impl_->srv->realtime().watched_by(user_id);
}

std::size_t emulator::websocket_count(const std::string& user_id) const
{
    if (!impl_->srv) return 0;
    auto& hub = impl_->srv->realtime();
    return user_id.empty() ? hub.connection_count() : hub.connections_of(user_id);
}

std::size_t emulator::drop_websockets()
{
    return impl_->srv ? impl_->srv->drop_websockets() : 0;
}

} // namespace streamchat
