#include "cli/status_line.hpp"

#include <fmt/core.h>

#include "cli/text.hpp"

namespace bt::cli {

namespace {

std::string rate(std::int64_t bytes_per_second) {
    return human_size(bytes_per_second) + "/s";
}

}  // namespace

std::optional<std::string> daemon_status_line(const nlohmann::json& reply) {
    if (!reply.is_object() || reply.value("result", "") != "success") return std::nullopt;
    const auto args = reply.find("arguments");
    if (args == reply.end() || !args->is_object() || !args->contains("torrents") ||
        !(*args)["torrents"].is_array())
        return std::nullopt;
    int downloading = 0, seeding = 0, stopped = 0, other = 0;
    std::int64_t down = 0, up = 0;
    std::int64_t plaintext = 0, rc4 = 0, header = 0;
    const auto integer = [](const nlohmann::json& object, const char* key) -> std::int64_t {
        auto it = object.find(key);
        return it != object.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
    };
    for (const auto& t : (*args)["torrents"]) {
        if (!t.is_object()) continue;
        switch (integer(t, "status")) {
            case 0:
                ++stopped;
                break;
            case 4:
                ++downloading;
                break;
            case 6:
                ++seeding;
                break;
            default:
                ++other;
        }
        down += integer(t, "rateDownload");
        up += integer(t, "rateUpload");
        if (auto kinds = t.find("bitveil-peers-by-kind"); kinds != t.end() && kinds->is_object()) {
            plaintext += integer(*kinds, "plaintext");
            rc4 += integer(*kinds, "mse-rc4");
            header += integer(*kinds, "mse-header-only");
        }
    }
    const auto count = (*args)["torrents"].size();
    std::string states;
    const auto add = [&](int n, const char* what) {
        if (n == 0) return;
        states += (states.empty() ? "" : ", ") + std::to_string(n) + " " + what;
    };
    add(downloading, "downloading");
    add(seeding, "seeding");
    add(stopped, "stopped");
    add(other, "waiting or checking");
    return fmt::format("{} torrent{}{}, down {}, up {}, {} peers: {} plaintext, {} rc4, {} header-only",
                       count, count == 1 ? "" : "s", states.empty() ? "" : " (" + states + ")", rate(down),
                       rate(up), plaintext + rc4 + header, plaintext, rc4, header);
}

}  // namespace bt::cli
