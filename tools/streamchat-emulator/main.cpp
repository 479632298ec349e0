// streamchat-emulator: a local Stream-compatible chat server (REST + WebSocket on one port,
// SQLite-backed) for development, the conformance tests, demos and load tests.
//
//   streamchat-emulator --port 3031 --allow-dev-tokens --seed-users 50 --seed-channels 200
//                       --seed-messages 20 --seed-for john
//
// Exit status: 0 after SIGINT/SIGTERM, 1 when the emulator cannot start, 2 on bad flags.

#include <streamchat/emulator.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>

#include <CLI/CLI.hpp>

#include <csignal>
#include <cstdint>
#include <cstdio>
#include <iostream>
#include <string>

int main(int argc, char** argv)
{
    streamchat::emulator_config cfg;
    // Not 3030: the JS client maps :3030 to :8800 for WebSockets (docs/protocol.md §1.1).
    cfg.port = 3031;
    std::string rate_limits = "off";
    long long health_ms = std::chrono::duration_cast<std::chrono::milliseconds>(cfg.health_check_interval).count();

    CLI::App app{"streamchat-emulator: a local Stream-compatible chat server. REST and the /connect "
                 "WebSocket share one port; data lives in SQLite.",
                 "streamchat-emulator"};
    app.option_defaults()->always_capture_default();
    app.add_option("--host", cfg.host, "Address to bind (an IP literal or a host name)");
    app.add_option("--port", cfg.port, "Port to bind; 0 picks a free port (printed at start)")
        ->check(CLI::Range(0, 65535));
    app.add_option("--db", cfg.db_path, "SQLite database file, or :memory: (a file keeps data across restarts)");
    app.add_option("--api-key", cfg.api_key, "The only api_key accepted");
    app.add_option("--api-secret", cfg.api_secret, "Secret that signs valid HS256 tokens");
    app.add_flag("--allow-dev-tokens", cfg.allow_dev_tokens,
                 "Accept unsigned dev tokens (signature 'devtoken'), like Stream's 'disable auth checks'");
    app.add_option("--rate-limits", rate_limits,
                   "off: no limits (headers report a large quota); stream: N requests per minute per user and "
                   "endpoint, then 429 with code 9")
        ->check(CLI::IsMember({"off", "stream"}));
    app.add_option("--rate-limit-per-minute", cfg.rate_limit_per_minute,
                   "Requests per user, endpoint and minute with --rate-limits stream")
        ->check(CLI::PositiveNumber);
    app.add_option("--seed-users", cfg.seed.users, "Seed users user-0 ... user-(N-1)")->check(CLI::NonNegativeNumber);
    app.add_option("--seed-channels", cfg.seed.channels,
                   "Seed M messaging channels seed-0 ... with --seed-for as a member")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--seed-messages", cfg.seed.messages_per_channel, "Seed K messages per seeded channel")
        ->check(CLI::NonNegativeNumber);
    app.add_option("--seed-for", cfg.seed.for_user, "The user the seeded channels belong to (default user-0)");
    app.add_option("--seed", cfg.seed.seed, "Pseudo-random seed of the seed data (same seed, same data)");
    app.add_option("--health-interval-ms", health_ms, "Interval of the server's own health.check frames")
        ->check(CLI::PositiveNumber);
    app.add_option("--max-body-size", cfg.max_body_size, "Largest request body in bytes; larger gets 413 (code 22)")
        ->check(CLI::PositiveNumber);

    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) return app.exit(e); // --help
        app.exit(e);
        return 2;
    }
    cfg.rate_limits = rate_limits == "stream" ? streamchat::emulator_rate_limits::stream
                                               : streamchat::emulator_rate_limits::off;
    cfg.health_check_interval = std::chrono::milliseconds(health_ms);

    boost::asio::io_context ioc;
    streamchat::emulator emu(ioc.get_executor(), cfg);
    std::string why;
    if (auto ec = emu.start(&why)) {
        std::cerr << "streamchat-emulator: cannot start: " << (why.empty() ? ec.message() : why) << "\n";
        return 1;
    }
    const auto url = emu.base_url();
    std::string ws = url;
    ws.replace(0, 4, "ws"); // http → ws
    std::cout << "streamchat-emulator listening on " << url << " (" << ws << "/connect), db " << cfg.db_path
              << std::endl;

    boost::asio::signal_set signals(ioc, SIGINT, SIGTERM);
    signals.async_wait([&](const boost::system::error_code& ec, int) {
        if (!ec) emu.stop(); // closes the listener and every connection: run() then returns
    });
    ioc.run();
    return 0;
}
