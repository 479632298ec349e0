#include "emulator/server/target.hpp"

namespace streamchat::emu {

parsed_target parse_target(std::string_view target)
{
    parsed_target out;
    if (const auto hash = target.find('#'); hash != std::string_view::npos) target = target.substr(0, hash);
    const auto q = target.find('?');
    out.path = percent_decode(target.substr(0, q), false);
    if (out.path.empty()) out.path = "/";
    if (q == std::string_view::npos) return out;
    std::string_view rest = target.substr(q + 1);
    while (!rest.empty()) {
        const auto amp = rest.find('&');
        const std::string_view pair = rest.substr(0, amp);
        rest = amp == std::string_view::npos ? std::string_view{} : rest.substr(amp + 1);
        if (pair.empty()) continue;
        const auto eq = pair.find('=');
        out.query.emplace_back(percent_decode(pair.substr(0, eq), true),
                               eq == std::string_view::npos ? std::string{} : percent_decode(pair.substr(eq + 1), true));
    }
    return out;
}

std::optional<std::string_view> find_param(const query_params& query, std::string_view key)
{
    for (const auto& [k, v] : query)
        if (k == key) return std::string_view{v};
    return std::nullopt;
}

} // namespace streamchat::emu
