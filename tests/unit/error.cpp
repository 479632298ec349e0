#include <streamchat/error.hpp>

#include <boost/asio/error.hpp>
#include <catch2/catch.hpp>

using namespace streamchat;

TEST_CASE("error categories name themselves and every enumerator")
{
    CHECK(std::string(error_category().name()) == "streamchat");
    CHECK(std::string(api_category().name()) == "streamchat.api");
    CHECK(make_error_code(error::connect_timeout).message() == "connect timed out");
    CHECK(make_error_code(error::request_timeout) != make_error_code(error::connect_timeout));
    CHECK(make_error_code(api_errc::rate_limited).message() == "rate limited");
    CHECK(make_api_error_code(12345).message() == "Stream API error code 12345");
}

TEST_CASE("classification follows protocol 4.3/4.4")
{
    CHECK(is_token_expired(make_api_error_code(40)));
    CHECK(is_token_expired(error::token_expired));
    CHECK_FALSE(is_token_expired(make_api_error_code(43)));

    CHECK(is_rate_limited(make_api_error_code(9)));
    CHECK(is_retryable(make_api_error_code(9)));
    CHECK(is_retryable(make_api_error_code(23)));
    CHECK(is_retryable(error::connect_timeout));
    CHECK(is_retryable(boost::asio::error::connection_reset));

    CHECK(is_fatal(make_api_error_code(4)));
    CHECK(is_fatal(make_api_error_code(17)));
    CHECK(is_fatal(error::invalid_filter));
    CHECK_FALSE(is_fatal(make_api_error_code(40)));
    CHECK_FALSE(is_fatal(make_api_error_code(9)));
    CHECK_FALSE(is_fatal(error_code{}));
    CHECK_FALSE(is_retryable(error_code{}));
    CHECK_FALSE(is_fatal(boost::asio::error::operation_aborted));
}
