// A program outside the project, built against the installed SDK alone (no emulator component).
// usage: consumer BASE_URL API_KEY API_SECRET, of a running emulator (run.sh starts the installed
// streamchat-emulator binary).
#include "round_trip.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <cstring>
#include <exception>

int main(int argc, char** argv)
{
    if (argc != 4) {
        std::fprintf(stderr, "usage: %s BASE_URL API_KEY API_SECRET\n", argv[0]);
        return 64;
    }
    const auto ec = streamchat::make_error_code(streamchat::api_errc::token_expired);
    if (!streamchat::is_token_expired(ec)) return 1;
    if (std::strncmp(streamchat::client_identifier, "streamchat-cpp-v", 16) != 0) return 2;

    boost::asio::io_context ioc;
    std::string failure = "did not finish";
    boost::asio::co_spawn(ioc, consumer::round_trip(argv[1], argv[2], argv[3]),
                          [&](std::exception_ptr e, std::string why) {
                              failure = why;
                              if (e) {
                                  try { std::rethrow_exception(e); }
                                  catch (const std::exception& x) { failure = x.what(); }
                                  catch (...) { failure = "unknown exception"; }
                              }
                          });
    ioc.run_for(std::chrono::seconds(60));
    if (!failure.empty()) {
        std::fprintf(stderr, "consumer: %s\n", failure.c_str());
        return 3;
    }
    std::printf("consumer: %s, %s, REST round trip with %s OK\n", streamchat::client_identifier,
                ec.message().c_str(), argv[1]);
    return 0;
}
