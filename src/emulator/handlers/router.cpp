// Routing by method + path, the error envelope, and the top-level catch of handle().

#include "emulator/handlers/handlers.hpp"

#include <cstdio>
#include <boost/json/serialize.hpp>

#include <array>
#include <vector>

namespace streamchat::emu {

namespace {

struct route {
    const char* method;
    const char* pattern;   ///< Segments; `{name}` matches any non-empty segment.
    const char* operation; ///< Stream's operation name in error messages.
    endpoint run;
};

// Literal routes before parameterised ones that could also match them.
constexpr std::array routes = {
    route{"POST", "/channels", "QueryChannels", &query_channels},
    route{"POST", "/channels/read", "MarkChannelsRead", &mark_channels_read},
    route{"POST", "/channels/delivered", "MarkDelivered", &mark_delivered},
    route{"POST", "/channels/{type}/query", "GetOrCreateChannel", &get_or_create_channel},
    route{"POST", "/channels/{type}/{id}/query", "GetOrCreateChannel", &get_or_create_channel},
    route{"POST", "/channels/{type}/{id}/stop-watching", "StopWatchingChannel", &stop_watching},
    route{"POST", "/channels/{type}/{id}/message", "SendMessage", &send_message},
    route{"POST", "/channels/{type}/{id}/read", "MarkRead", &mark_read},
    route{"POST", "/channels/{type}/{id}/event", "SendEvent", &send_event},
    route{"POST", "/channels/{type}/{id}", "UpdateChannel", &update_channel},
    route{"GET", "/messages/{id}", "GetMessage", &get_message},
    route{"POST", "/messages/{id}", "UpdateMessage", &update_message},
    route{"PUT", "/messages/{id}", "UpdateMessagePartial", &update_message_partial},
    route{"DELETE", "/messages/{id}", "DeleteMessage", &delete_message},
    route{"GET", "/unread", "UnreadCounts", &unread_counts},
    route{"GET", "/users", "QueryUsers", &query_users},
    route{"POST", "/users", "UpdateUsers", &upsert_users},
    route{"PATCH", "/users", "UpdateUsersPartial", &update_users_partial},
    route{"POST", "/sync", "Sync", &sync_events},
};

std::vector<std::string_view> segments(std::string_view path)
{
    std::vector<std::string_view> out;
    while (!path.empty()) {
        if (path.front() == '/') {
            path.remove_prefix(1);
            continue;
        }
        const auto slash = path.find('/');
        out.push_back(path.substr(0, slash));
        if (slash == std::string_view::npos) break;
        path.remove_prefix(slash);
    }
    return out;
}

bool match(std::string_view pattern, const std::vector<std::string_view>& parts, path_params* params)
{
    const auto want = segments(pattern);
    if (want.size() != parts.size()) return false;
    for (std::size_t i = 0; i < want.size(); ++i) {
        if (want[i].starts_with('{')) {
            if (parts[i].empty()) return false;
            if (params) params->emplace(std::string(want[i].substr(1, want[i].size() - 2)), std::string(parts[i]));
        } else if (want[i] != parts[i]) {
            return false;
        }
    }
    return true;
}

struct lookup {
    const route* found = nullptr;
    std::string allow; ///< Methods of the routes with this path ("GET, POST"), when none matched.
    path_params params;
};

lookup find_route(std::string_view method, std::string_view path)
{
    lookup r;
    const auto parts = segments(path);
    for (const auto& rt : routes) {
        path_params params;
        if (!match(rt.pattern, parts, &params)) continue;
        if (method == rt.method) {
            r.found = &rt;
            r.params = std::move(params);
            return r;
        }
        if (r.allow.find(rt.method) != std::string::npos) continue;
        if (!r.allow.empty()) r.allow += ", ";
        r.allow += rt.method;
    }
    return r;
}

} // namespace

std::optional<std::string_view> api_request::param(std::string_view key) const
{
    for (const auto& [k, v] : query)
        if (k == key) return std::string_view(v);
    return std::nullopt;
}

api_response error_response(int code, int http_status, std::string_view operation, std::string_view reason)
{
    api_response r;
    r.status = http_status;
    std::string message(operation);
    message += " failed with error: \"";
    message += well_formed_utf8(reason);
    message += '"';
    r.body["code"] = code;
    r.body["message"] = std::move(message);
    r.body["StatusCode"] = http_status;
    r.body["more_info"] = "https://getstream.io/chat/docs/api_errors_response";
    r.body["details"] = json::array{};
    return r;
}

std::string body_text(api_response&& r, std::string_view duration)
{
    if (r.text.empty()) {
        if (!duration.empty()) r.body["duration"] = duration;
        return json::serialize(r.body);
    }
    std::string out = std::move(r.text);
    if (!duration.empty() && out.size() >= 2 && out.back() == '}') {
        out.pop_back();
        if (out.back() != '{') out += ',';
        out += "\"duration\":";
        out += json::serialize(json::string_view(duration.data(), duration.size()));
        out += '}';
    }
    return out;
}

std::string route_name(std::string_view method, std::string_view path)
{
    const lookup r = find_route(method, path);
    if (!r.found) return {};
    return std::string(r.found->method) + " " + r.found->pattern;
}

std::string operation_name(std::string_view method, std::string_view path)
{
    const lookup r = find_route(method, path);
    return r.found ? std::string(r.found->operation) : std::string("Request");
}

namespace {

/// A 500 is the emulator's bug, never the client's: said on stderr too, where a load test or a
/// developer sees it, not only in the answer.
api_response internal_error(std::string_view operation, const std::string& reason)
{
    std::fprintf(stderr, "streamchat-emulator: 500 in %.*s: %s\n", static_cast<int>(operation.size()),
                 operation.data(), reason.c_str());
    return error_response(-1, 500, operation, reason);
}

} // namespace

api_response handle(const api_request& request, context& ctx)
{
    std::string_view operation = "Request";
    try {
        lookup r = find_route(request.method, request.path);
        if (!r.found) {
            if (r.allow.empty())
                return error_response(16, 404, operation, "unknown endpoint " + request.method + " " + request.path);
            // docs/protocol.md §4.2: an input error (code 4), with the HTTP status and header
            // that say which methods the path does take.
            api_response res = error_response(4, 405, operation,
                                              "method " + request.method + " is not allowed on " + request.path);
            res.headers.emplace_back("Allow", std::move(r.allow));
            return res;
        }
        operation = r.found->operation;
        if (!request.who.server && !request.who.anonymous && request.who.user_id.empty())
            return error_response(5, 401, operation, "a user token (or a server token) is required");
        session s(ctx, request);
        store::transaction tx(ctx.db);
        api_response res = r.found->run(s, r.params);
        if (res.status < 400) tx.commit();
        return res;
    } catch (const api_failure& f) {
        return error_response(f.code, f.status, operation, f.reason);
    } catch (const store_error& e) {
        return internal_error(operation, std::string("database error: ") + e.what());
    } catch (const std::exception& e) {
        return internal_error(operation, std::string("internal error: ") + e.what());
    } catch (...) {
        return internal_error(operation, "internal error");
    }
}

std::unique_ptr<store> open_store(const emulator_config& cfg, std::string& why) { return store::open(cfg.db_path, why); }

} // namespace streamchat::emu
