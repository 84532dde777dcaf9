// The Transmission RPC handler, fed any body against an in-memory backend. Oracles:
//   - handle() never crashes or throws, and its reply is always a JSON object with a string `result` and an
//     object `arguments` (3.00 clients and the web UI dereference both);
//   - an integer tag in a request that parsed comes back unchanged, and no other kind of tag comes back;
//   - every number outside Transmission's real-typed fields is a JSON integer;
//   - a session-set that fails changes nothing.
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "rpc/fake_backend.hpp"
#include "rpc/handler.hpp"

namespace {

using nlohmann::json;

void check(bool ok) {
    if (!ok) std::abort();
}

bool is_real_field(std::string_view name) {
    return name == "uploadRatio" || name == "percentDone" || name == "recheckProgress" ||
           name == "metadataPercentComplete" || name == "seedRatioLimit" || name == "progress";
}

void check_integers(const json& value, std::string_view name) {
    if (value.is_number() && !is_real_field(name)) check(value.is_number_integer());
    if (value.is_object()) {
        for (const auto& [key, element] : value.items()) check_integers(element, key);
    } else if (value.is_array()) {
        for (const auto& element : value) check_integers(element, name);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    bt::rpc::testing::FakeBackend backend;
    backend.add_torrent(1, "one");
    backend.add_torrent(2, "two").has_metadata = false;
    backend.removed_at = {{9, backend.clock - 10}};
    backend.next_add.outcome = bt::rpc::AddResult::Outcome::added;

    const std::string_view body(reinterpret_cast<const char*>(data), size);
    const auto request = bt::rpc::parse_request(body);
    std::optional<bt::rpc::FetchedUrl> fetched;
    if (auto url = bt::rpc::url_to_fetch(request))
        fetched = bt::rpc::FetchedUrl{*url, std::string("d4:infode"), ""};
    const auto reply_text = bt::rpc::handle(request, backend, fetched ? &*fetched : nullptr);

    const auto reply = json::parse(reply_text, nullptr, false);
    check(reply.is_object());
    check(reply.contains("result") && reply["result"].is_string());
    check(reply.contains("arguments") && reply["arguments"].is_object());
    const auto& body_json = request.body;
    const bool integer_tag =
        body_json.is_object() && body_json.contains("tag") && body_json["tag"].is_number_integer();
    check(reply.contains("tag") == integer_tag);
    if (integer_tag) check(reply["tag"] == body_json["tag"]);
    const auto& torrents = reply["arguments"].contains("torrents") ? reply["arguments"]["torrents"] : json();
    const bool table = !torrents.empty() && torrents[0].is_array();
    if (table) {
        // format "table": the first row names each column of the others.
        const auto& names = torrents[0];
        for (std::size_t row = 1; row < torrents.size(); ++row) {
            check(torrents[row].size() == names.size());
            for (std::size_t column = 0; column < names.size(); ++column)
                check_integers(torrents[row][column], names[column].get<std::string>());
        }
    } else {
        check_integers(reply["arguments"], "");
    }
    if (reply["result"] != "success") check(backend.session_changes.empty());
    return 0;
}
