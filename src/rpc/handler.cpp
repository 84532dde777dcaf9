#include "rpc/handler.hpp"

#include <array>
#include <utility>

#include "rpc/json_prescan.hpp"
#include "rpc/methods.hpp"
#include "rpc/session_fields.hpp"

namespace bt::rpc {
namespace {

using detail::Call;
using detail::failure;
using detail::Outcome;
using nlohmann::json;

Outcome session_get(Call& call) {
    const auto* fields = call.args.find("fields");
    if (fields != nullptr && !fields->is_array())
        return failure("invalid argument 'fields': expected a list of key names");
    return {"success", session_json(call.backend.session(), fields)};
}

Outcome session_set(Call& call) {
    const auto changes = read_session_changes(call.args, call.backend.session());
    if (!call.args.ok()) return failure(call.args.error());
    if (auto error = call.backend.set_session(changes)) return failure(std::move(*error));
    return {};
}

Outcome session_stats(Call& call) {
    return {"success", session_stats_json(call.backend.stats())};
}

Outcome session_close(Call& call) {
    call.backend.close();
    return {};
}

Outcome free_space(Call& call) {
    const auto path = call.args.string("path");
    if (!call.args.ok()) return failure(call.args.error());
    if (!path) return failure("no path specified");
    std::string error;
    const auto bytes = call.backend.free_space(*path, error);
    if (!bytes) return failure(error.empty() ? "cannot read free space of " + *path : error);
    return {"success", {{"path", *path}, {"size-bytes", *bytes}}};
}

// Checking the port needs a service outside this machine; claiming "closed" without one would mislead.
Outcome port_test(Call&) {
    return failure("port-test is not supported");
}
Outcome blocklist_update(Call&) {
    return failure("blocklist-update is not supported (no blocklist)");
}
Outcome torrent_rename_path(Call&) {
    return failure("torrent-rename-path is not supported");
}

struct MethodEntry {
    std::string_view name;
    detail::Method method;
};

constexpr std::array<MethodEntry, 22> kMethods{{
    {"session-get", session_get},
    {"session-set", session_set},
    {"session-stats", session_stats},
    {"session-close", session_close},
    {"torrent-get", detail::torrent_get},
    {"torrent-add", detail::torrent_add},
    {"torrent-set", detail::torrent_set},
    {"torrent-set-location", detail::torrent_set_location},
    {"torrent-start", detail::torrent_start},
    {"torrent-start-now", detail::torrent_start_now},
    {"torrent-stop", detail::torrent_stop},
    {"torrent-verify", detail::torrent_verify},
    {"torrent-reannounce", detail::torrent_reannounce},
    {"torrent-remove", detail::torrent_remove},
    {"queue-move-top", detail::queue_move_top},
    {"queue-move-up", detail::queue_move_up},
    {"queue-move-down", detail::queue_move_down},
    {"queue-move-bottom", detail::queue_move_bottom},
    {"free-space", free_space},
    {"port-test", port_test},
    {"blocklist-update", blocklist_update},
    {"torrent-rename-path", torrent_rename_path},
}};

detail::Method find_method(std::string_view name) {
    for (const auto& entry : kMethods) {
        if (entry.name == name) return entry.method;
    }
    return nullptr;
}

std::string reply(Outcome outcome, const json* tag) {
    json out = json::object();
    out["arguments"] = std::move(outcome.arguments);
    out["result"] = std::move(outcome.result);
    if (tag != nullptr) out["tag"] = *tag;
    // Names and errors come from torrents and may hold any bytes: replace, never throw.
    return out.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The parser's message without its "[json.exception.parse_error.101] " prefix.
std::string parse_error_message(const char* what) {
    std::string_view message(what);
    if (const auto end = message.find("] ");
        !message.empty() && message.front() == '[' && end != message.npos)
        message.remove_prefix(end + 2);
    return "malformed JSON: " + std::string(message);
}

}  // namespace

Request parse_request(std::string_view body) {
    Request request;
    if (auto too_big = prescan_json(body)) {
        request.error = std::move(*too_big);
        return request;
    }
    try {
        request.body = json::parse(body);
    } catch (const json::exception& e) {  // parse_error, and out_of_range for a number past a double
        request.body = nullptr;
        request.error = parse_error_message(e.what());
    }
    return request;
}

std::optional<std::string> url_to_fetch(const Request& request) {
    const auto& body = request.body;
    if (!request.error.empty() || !body.is_object()) return std::nullopt;
    const auto method = body.find("method");
    if (method == body.end() || *method != "torrent-add") return std::nullopt;
    const auto arguments = body.find("arguments");
    if (arguments == body.end() || !arguments->is_object()) return std::nullopt;
    const auto filename = arguments->find("filename");
    if (filename == arguments->end() || !filename->is_string()) return std::nullopt;
    const auto& text = filename->get_ref<const std::string&>();
    if (!detail::is_http_url(text)) return std::nullopt;
    return text;
}

std::string handle(const Request& request, Backend& backend, const FetchedUrl* fetched) {
    if (!request.error.empty()) return reply(failure(request.error), nullptr);
    const auto& body = request.body;
    if (!body.is_object()) return reply(failure("the request is not a JSON object"), nullptr);

    const json* tag = nullptr;
    if (const auto it = body.find("tag"); it != body.end() && it->is_number_integer()) tag = &*it;

    const auto method_it = body.find("method");
    const auto method = method_it != body.end() && method_it->is_string()
                            ? find_method(method_it->get_ref<const std::string&>())
                            : nullptr;
    if (method == nullptr) return reply(failure("method name not recognized"), tag);

    static const json kNoArguments = json::object();
    const json* arguments = &kNoArguments;
    if (const auto it = body.find("arguments"); it != body.end()) {
        if (!it->is_object()) return reply(failure("invalid argument 'arguments': expected an object"), tag);
        arguments = &*it;
    }
    ArgumentReader reader(*arguments);
    Call call{reader, backend, fetched};
    return reply(method(call), tag);
}

std::string handle(std::string_view body, Backend& backend) {
    return handle(parse_request(body), backend, nullptr);
}

}  // namespace bt::rpc
