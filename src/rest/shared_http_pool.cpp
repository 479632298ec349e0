#include <streamchat/shared_http_pool.hpp>

#include "rest/http_pool.hpp"
#include "wire/url.hpp"

#include <stdexcept>

namespace streamchat {

shared_http_pool::shared_http_pool(executor_type ex, const std::string& base_url, http_config config)
{
    std::string why;
    auto url = detail::parse_base_url(base_url, why);
    if (!url) throw std::invalid_argument("shared_http_pool: " + (why.empty() ? "base_url is invalid" : why));
    config.retry_rate_limited = false;
    pool_ = std::make_shared<detail::http_pool>(std::move(ex), std::move(*url), std::move(config));
}

shared_http_pool::~shared_http_pool()
{
    // Clients that still hold the pool keep it; the last owner's release closes the connections.
}

shared_http_pool::executor_type shared_http_pool::get_executor() const noexcept { return pool_->get_executor(); }
std::size_t shared_http_pool::open_connections() const noexcept { return pool_->open_connections(); }
std::size_t shared_http_pool::connections_opened() const noexcept { return pool_->connections_opened(); }

} // namespace streamchat
