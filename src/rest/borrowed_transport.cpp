#include "rest/borrowed_transport.hpp"

#include <streamchat/error.hpp>

#include <boost/asio/append.hpp>
#include <boost/asio/post.hpp>

namespace streamchat::detail {

namespace asio = boost::asio;

void borrowed_transport::async_send(endpoint_key endpoint, http_request request, handler_type handler)
{
    if (shut_) {
        asio::post(pool_->get_executor(),
                   asio::append(std::move(handler), error_code(error::shut_down), http_response{}));
        return;
    }
    const std::uint64_t id = next_++;
    pending_.emplace(id, std::move(handler));
    pool_->async_send(std::move(endpoint), std::move(request),
                      [weak = weak_from_this(), id](error_code ec, http_response res) {
                          auto self = weak.lock();
                          if (!self) return; // the client is gone: nobody waits for this answer
                          auto it = self->pending_.find(id);
                          if (it == self->pending_.end()) return; // already failed by shutdown()
                          auto h = std::move(it->second);
                          self->pending_.erase(it);
                          std::move(h)(ec, std::move(res));
                      });
}

void borrowed_transport::shutdown()
{
    shut_ = true;
    auto pending = std::move(pending_);
    pending_.clear();
    for (auto& [id, h] : pending)
        asio::post(pool_->get_executor(), asio::append(std::move(h), error_code(error::shut_down), http_response{}));
}

} // namespace streamchat::detail
