#pragma once
// Inside the handler: each method reads its arguments whole, then acts, and returns the result string with
// the reply's arguments.
#include <nlohmann/json.hpp>
#include <string>

#include "rpc/arguments.hpp"
#include "rpc/backend.hpp"
#include "rpc/handler.hpp"

namespace bt::rpc::detail {

struct Outcome {
    std::string result = "success";
    nlohmann::json arguments = nlohmann::json::object();
};

inline Outcome failure(std::string message) {
    return Outcome{std::move(message), nlohmann::json::object()};
}

struct Call {
    ArgumentReader& args;
    Backend& backend;
    const FetchedUrl* fetched;
};

using Method = Outcome (*)(Call&);

Outcome torrent_get(Call& call);
Outcome torrent_add(Call& call);
Outcome torrent_set(Call& call);
Outcome torrent_set_location(Call& call);
Outcome torrent_start(Call& call);
Outcome torrent_start_now(Call& call);
Outcome torrent_stop(Call& call);
Outcome torrent_verify(Call& call);
Outcome torrent_reannounce(Call& call);
Outcome torrent_remove(Call& call);
Outcome queue_move_top(Call& call);
Outcome queue_move_up(Call& call);
Outcome queue_move_down(Call& call);
Outcome queue_move_bottom(Call& call);

bool is_absolute_path(std::string_view path);
// "http://" or "https://", in any case.
bool is_http_url(std::string_view text);

}  // namespace bt::rpc::detail
