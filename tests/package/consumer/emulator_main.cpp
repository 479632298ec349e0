// A program outside the project, built against the installed SDK and its emulator component: it
// runs an emulator in process and talks to it through the SDK.
#include "round_trip.hpp"

#include <streamchat/emulator.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <cstdio>
#include <exception>

int main()
{
    boost::asio::io_context ioc;
    streamchat::emulator emu(ioc.get_executor()); // 127.0.0.1, a free port, in memory
    std::string failure;
    if (auto ec = emu.start(&failure)) {
        std::fprintf(stderr, "emulator-consumer: emulator did not start: %s\n",
                     failure.empty() ? ec.message().c_str() : failure.c_str());
        return 1;
    }
    failure = "did not finish";
    const auto& cfg = emu.config();
    boost::asio::co_spawn(ioc, consumer::round_trip(emu.base_url(), cfg.api_key, cfg.api_secret),
                          [&](std::exception_ptr e, std::string why) {
                              failure = why;
                              if (e) {
                                  try { std::rethrow_exception(e); }
                                  catch (const std::exception& x) { failure = x.what(); }
                                  catch (...) { failure = "unknown exception"; }
                              }
                              emu.stop(); // run() returns once the emulator's sockets are closed
                          });
    ioc.run_for(std::chrono::seconds(60));
    if (!failure.empty()) {
        std::fprintf(stderr, "emulator-consumer: %s\n", failure.c_str());
        return 2;
    }
    std::printf("emulator-consumer: REST round trip with the in-process emulator at %s OK\n",
                emu.base_url().c_str());
    return 0;
}
