#ifndef STREAMCHAT_SRC_AUTH_TOKEN_REFRESHER_HPP
#define STREAMCHAT_SRC_AUTH_TOKEN_REFRESHER_HPP

// The one holder of a client's current token. REST calls and the WebSocket share it, so a code 40
// seen by either refreshes once and both use the fresh token (docs/protocol.md §5.6).

#include <streamchat/error.hpp>
#include <streamchat/token.hpp>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

namespace streamchat::detail {

/// Current token plus single-flight refresh through the application's `token_provider`.
///
/// - `async_refresh` calls the provider at most once at a time: callers arriving while a refresh
///   is running wait for that one and get its result.
/// - `generation()` increases on every change, so a caller that saw a code 40 with token
///   generation g refreshes only if the generation is still g (someone else may have already).
/// - The provider may complete inline, later, or on another thread; completions are posted to
///   the refresher's executor. Use from one strand.
class token_refresher : public std::enable_shared_from_this<token_refresher> {
public:
    token_refresher(boost::asio::any_io_executor ex, std::string initial, token_provider provider);

    const std::string& token() const noexcept { return token_; }
    std::uint64_t generation() const noexcept { return generation_; }
    bool has_provider() const noexcept { return static_cast<bool>(provider_); }
    /// Times the provider was called (metrics and tests).
    std::uint64_t provider_calls() const noexcept { return provider_calls_; }

    /// Replaces the token (application's `set_token`).
    void set(std::string token);

    /// Asks the provider for a fresh token. Handler: `void(error_code)`; the new token is then
    /// `token()`. Fails with `error::no_token_provider` when there is none, `error::invalid_token`
    /// when the provider hands back an empty string, or the provider's own error.
    void async_refresh(boost::asio::any_completion_handler<void(error_code)> handler);

    template <class CompletionToken>
    auto async_refresh(CompletionToken&& token)
    {
        return boost::asio::async_initiate<CompletionToken, void(error_code)>(
            [this](auto handler) { async_refresh(boost::asio::any_completion_handler<void(error_code)>(std::move(handler))); },
            token);
    }

private:
    boost::asio::any_io_executor ex_;
    std::string token_;
    token_provider provider_;
    std::uint64_t generation_ = 0;
    std::uint64_t provider_calls_ = 0;
    bool refreshing_ = false;
    std::vector<boost::asio::any_completion_handler<void(error_code)>> waiters_;
};

} // namespace streamchat::detail

#endif
