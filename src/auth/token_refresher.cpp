#include "auth/token_refresher.hpp"

#include <boost/asio/append.hpp>
#include <boost/asio/post.hpp>

namespace streamchat::detail {

namespace asio = boost::asio;

token_refresher::token_refresher(asio::any_io_executor ex, std::string initial, token_provider provider)
    : ex_(std::move(ex)), token_(std::move(initial)), provider_(std::move(provider))
{
}

void token_refresher::set(std::string token)
{
    token_ = std::move(token);
    ++generation_;
}

void token_refresher::async_refresh(asio::any_completion_handler<void(error_code)> handler)
{
    if (!provider_) {
        asio::post(ex_, asio::append(std::move(handler), error_code(error::no_token_provider)));
        return;
    }
    waiters_.push_back(std::move(handler));
    if (refreshing_) return;
    refreshing_ = true;
    ++provider_calls_;
    // The provider may complete inline, or on another thread: hop back to our executor before
    // touching state. The callback keeps the refresher alive so every waiter is completed.
    provider_([self = shared_from_this()](error_code ec, std::string fresh) mutable {
        auto ex = self->ex_;
        asio::post(ex, [self = std::move(self), ec, fresh = std::move(fresh)]() mutable {
            if (!ec && fresh.empty()) ec = error::invalid_token;
            if (!ec) self->set(std::move(fresh));
            self->refreshing_ = false;
            auto waiters = std::move(self->waiters_);
            self->waiters_.clear();
            for (auto& w : waiters) asio::post(self->ex_, asio::append(std::move(w), ec));
        });
    });
}

} // namespace streamchat::detail
