#pragma once
// session-get's keys (everything transmission-remote -si prints and the 3.00 web UI's preferences read) and
// session-set's, with the encryption words mapped between Transmission and our policy names.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "rpc/arguments.hpp"
#include "rpc/backend.hpp"

namespace bt::rpc {

inline constexpr int kRpcVersion = 16;  // Transmission 3.00
inline constexpr int kRpcVersionMinimum = 14;

// Our policy (require, prefer, allow, disable) in Transmission's words: required, preferred, tolerated.
std::string_view transmission_encryption(std::string_view policy);
// Transmission's three words or our four names → our policy's name; nullopt for anything else (3.00 would
// silently pick "preferred": we refuse instead).
std::optional<std::string> encryption_policy(std::string_view word);

// Every key; `fields` (an array of names) keeps only those, unknown names skipped.
nlohmann::json session_json(const SessionView& session, const nlohmann::json* fields);
nlohmann::json session_stats_json(const SessionStats& stats);

// The changes a session-set asks for; errors are left in `args` (nothing is to be applied then). The switches
// session-get reports but SessionChanges cannot carry (dht-enabled, utp-enabled, blocklist-enabled, ...) are
// refused when they would change `current`, so that `transmission-remote -o` does not report a success that
// did nothing; other keys we do not know are ignored, as Transmission ignores them.
SessionChanges read_session_changes(ArgumentReader& args, const SessionView& current);

}  // namespace bt::rpc
