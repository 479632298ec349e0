// A program outside the project, built against the installed package.
#include <streamchat/streamchat.hpp>

#include <cstdio>
#include <cstring>

int main()
{
    const auto ec = streamchat::make_error_code(streamchat::api_errc::token_expired);
    if (!streamchat::is_token_expired(ec)) return 1;
    if (std::strncmp(streamchat::client_identifier, "streamchat-cpp-v", 16) != 0) return 2;
    std::printf("consumer: %s, %s\n", streamchat::client_identifier, ec.message().c_str());
    return 0;
}
