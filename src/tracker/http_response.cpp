#include "tracker/http_response.hpp"

#include <algorithm>
#include <deque>
#include <limits>
#include <span>

#include "bencode/decode.hpp"
#include "bencode/encode.hpp"

namespace bt::tracker {

namespace {

using bencode::Value;

Error field_error(std::string_view field, std::string_view what) {
    return Error{Errc::invalid_field, std::string(field) + ": " + std::string(what)};
}

Result<Value, Error> decode_body(std::string_view body, const ResponseLimits& limits) {
    bencode::Limits bl;
    bl.max_depth = limits.max_bencode_depth;
    bl.max_values = limits.max_bencode_values;
    bl.allow_unsorted_keys = true;  // some trackers do not sort their keys
    auto decoded = bencode::decode(body, bl);
    if (!decoded) return fail(Error{Errc::malformed_bencode, decoded.error().message()});
    if (decoded->type() != Value::Type::dict) {
        return fail(Error{Errc::not_a_dictionary, std::string("got a ") + type_name(decoded->type())});
    }
    return std::move(*decoded);
}

std::optional<std::uint32_t> saturating_count(const Value* v) {
    if (v == nullptr || v->as_int() == nullptr || *v->as_int() < 0) return std::nullopt;
    return static_cast<std::uint32_t>(
        std::min<std::int64_t>(*v->as_int(), std::numeric_limits<std::uint32_t>::max()));
}

std::optional<std::string> optional_string(const Value* v) {
    if (v == nullptr || v->as_string() == nullptr) return std::nullopt;
    return std::string(*v->as_string());
}

// A non-negative integer number of seconds, clamped; an error for the wrong type or a negative value.
Result<std::optional<std::chrono::seconds>, Error> read_seconds(const Value& dict, std::string_view key,
                                                                std::chrono::seconds floor,
                                                                std::chrono::seconds ceiling) {
    const Value* v = dict.find(key);
    if (v == nullptr) return std::optional<std::chrono::seconds>{};
    if (v->as_int() == nullptr)
        return fail(field_error(key, std::string("expected an integer, got a ") + type_name(v->type())));
    if (*v->as_int() < 0) return fail(field_error(key, "negative: " + std::to_string(*v->as_int())));
    return std::optional<std::chrono::seconds>(
        std::chrono::seconds(std::clamp<std::int64_t>(*v->as_int(), floor.count(), ceiling.count())));
}

class PeerSink {
  public:
    PeerSink(AnnounceResponse& out, std::size_t max) : out_(out), max_(max) {}
    void add(Peer peer) {
        if (peer.endpoint.port == 0) {
            ++out_.invalid_peers;
        } else if (out_.peers.size() >= max_) {
            ++out_.dropped_peers;
        } else {
            out_.peers.push_back(std::move(peer));
        }
    }

  private:
    AnnounceResponse& out_;
    std::size_t max_;
};

Result<void, Error> read_compact(std::string_view key, std::string_view bytes, std::size_t stride,
                                 PeerSink& sink) {
    if (bytes.size() % stride != 0) {
        return fail(Error{Errc::invalid_peers, std::string(key) + ": " + std::to_string(bytes.size()) +
                                                   " bytes is not a multiple of " + std::to_string(stride)});
    }
    const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
    for (std::size_t i = 0; i < bytes.size(); i += stride) {
        auto endpoint = endpoint_from_compact(std::span<const std::uint8_t>(data + i, stride));
        if (endpoint) sink.add(Peer{*endpoint, std::nullopt});  // always engaged: the size is exact
    }
    return {};
}

void read_peer_dicts(const Value::List& list, AnnounceResponse& out, PeerSink& sink) {
    for (const Value& entry : list) {
        const Value* ip = entry.find("ip");
        const Value* port = entry.find("port");
        std::optional<Endpoint> endpoint;
        if (ip != nullptr && ip->as_string() != nullptr) endpoint = parse_ip_address(*ip->as_string());
        if (!endpoint || port == nullptr || port->as_int() == nullptr || *port->as_int() < 1 ||
            *port->as_int() > 65535) {
            ++out.invalid_peers;
            continue;
        }
        endpoint->port = static_cast<std::uint16_t>(*port->as_int());
        Peer peer{*endpoint, std::nullopt};
        const Value* id = entry.find("peer id");
        if (id != nullptr && id->as_string() != nullptr && id->as_string()->size() == 20) {
            PeerId pid{};
            std::copy(id->as_string()->begin(), id->as_string()->end(), pid.begin());
            peer.peer_id = pid;
        }
        sink.add(std::move(peer));
    }
}

}  // namespace

Result<AnnounceResponse, Error> parse_announce_response(std::string_view body, const ResponseLimits& limits) {
    auto decoded = decode_body(body, limits);
    if (!decoded) return fail(std::move(decoded).error());
    const Value& root = *decoded;
    AnnounceResponse out;
    out.warning_message = optional_string(root.find("warning message"));

    if (const Value* failure = root.find("failure reason")) {
        if (failure->as_string() == nullptr) return fail(field_error("failure reason", "expected a string"));
        out.failure_reason = std::string(*failure->as_string());
        if (const Value* retry = root.find("retry in")) {  // BEP 31
            if (retry->as_string() != nullptr && *retry->as_string() == "never") {
                out.retry_never = true;
            } else if (retry->as_int() != nullptr && *retry->as_int() > 0) {
                const auto ceiling =
                    std::chrono::duration_cast<std::chrono::minutes>(limits.interval_ceiling);
                out.retry_in =
                    std::chrono::minutes(std::min<std::int64_t>(*retry->as_int(), ceiling.count()));
            }
        }
        return out;
    }

    auto interval = read_seconds(root, "interval", limits.interval_floor, limits.interval_ceiling);
    if (!interval) return fail(std::move(interval).error());
    if (*interval) out.interval = **interval;
    auto min_interval = read_seconds(root, "min interval", std::chrono::seconds(0), limits.interval_ceiling);
    if (!min_interval) return fail(std::move(min_interval).error());
    out.min_interval = *min_interval;

    out.tracker_id = optional_string(root.find("tracker id"));
    if (out.tracker_id && (out.tracker_id->empty() || out.tracker_id->size() > kMaxTrackerIdSize)) {
        out.tracker_id.reset();
    }
    out.complete = saturating_count(root.find("complete"));
    out.incomplete = saturating_count(root.find("incomplete"));
    out.downloaded = saturating_count(root.find("downloaded"));

    PeerSink sink(out, limits.max_peers);
    if (const Value* peers = root.find("peers")) {
        if (peers->as_string() != nullptr) {
            auto r = read_compact("peers", *peers->as_string(), kCompactV4Size, sink);
            if (!r) return fail(r.error());
        } else if (peers->as_list() != nullptr) {
            read_peer_dicts(*peers->as_list(), out, sink);
        } else {
            return fail(field_error("peers", "expected a string or a list"));
        }
    }
    if (const Value* peers6 = root.find("peers6")) {
        if (peers6->as_string() == nullptr) return fail(field_error("peers6", "expected a string"));
        auto r = read_compact("peers6", *peers6->as_string(), kCompactV6Size, sink);
        if (!r) return fail(r.error());
    }
    return out;
}

Result<ScrapeResponse, Error> parse_scrape_response(std::string_view body, const ResponseLimits& limits,
                                                    std::span<const InfoHashBytes> wanted) {
    auto decoded = decode_body(body, limits);
    if (!decoded) return fail(std::move(decoded).error());
    const Value& root = *decoded;
    ScrapeResponse out;
    if (const Value* failure = root.find("failure reason")) {
        if (failure->as_string() == nullptr) return fail(field_error("failure reason", "expected a string"));
        out.failure_reason = std::string(*failure->as_string());
        return out;
    }
    const Value* files = root.find("files");
    if (files != nullptr && files->as_dict() == nullptr)
        return fail(field_error("files", "expected a dictionary"));
    if (const Value* flags = root.find("flags")) {  // BEP 48; informational, so a wrong type is ignored
        if (const Value* min = flags->find("min_request_interval");
            min != nullptr && min->as_int() != nullptr && *min->as_int() >= 0) {
            out.min_request_interval =
                std::chrono::seconds(std::min<std::int64_t>(*min->as_int(), limits.interval_ceiling.count()));
        }
    }
    if (files == nullptr) return out;
    const std::size_t max_kept = wanted.empty() ? limits.max_scrape_files : wanted.size();
    for (const auto& [key, stats] : *files->as_dict()) {
        InfoHashBytes hash{};
        if (key.size() == hash.size()) std::copy(key.begin(), key.end(), hash.begin());
        const bool asked = wanted.empty() || std::find(wanted.begin(), wanted.end(), hash) != wanted.end();
        if (key.size() != hash.size() || stats.as_dict() == nullptr || !asked ||
            out.files.size() >= max_kept) {
            ++out.dropped_files;
            continue;
        }
        ScrapeStats s;
        s.complete = saturating_count(stats.find("complete")).value_or(0);
        s.downloaded = saturating_count(stats.find("downloaded")).value_or(0);
        s.incomplete = saturating_count(stats.find("incomplete")).value_or(0);
        out.files.emplace_back(hash, s);
    }
    return out;
}

std::string encode_announce_response(const AnnounceResponse& r, bool compact) {
    std::deque<std::string> storage;  // owns the bytes the Values point at; deque keeps them in place
    auto keep = [&storage](std::string s) -> std::string_view { return storage.emplace_back(std::move(s)); };
    Value::Dict dict;
    if (r.warning_message) dict.emplace_back("warning message", keep(*r.warning_message));
    if (r.failure_reason) {
        dict.emplace_back("failure reason", keep(*r.failure_reason));
        if (r.retry_never) {
            dict.emplace_back("retry in", Value("never"));
        } else if (r.retry_in) {
            dict.emplace_back("retry in", Value(static_cast<std::int64_t>(r.retry_in->count())));
        }
        return bencode::encode(Value(std::move(dict)));
    }
    dict.emplace_back("interval", Value(static_cast<std::int64_t>(r.interval.count())));
    if (r.min_interval)
        dict.emplace_back("min interval", Value(static_cast<std::int64_t>(r.min_interval->count())));
    if (r.tracker_id) dict.emplace_back("tracker id", keep(*r.tracker_id));
    if (r.complete) dict.emplace_back("complete", Value(static_cast<std::int64_t>(*r.complete)));
    if (r.incomplete) dict.emplace_back("incomplete", Value(static_cast<std::int64_t>(*r.incomplete)));
    if (r.downloaded) dict.emplace_back("downloaded", Value(static_cast<std::int64_t>(*r.downloaded)));
    if (compact) {
        std::string v4;
        std::string v6;
        for (const Peer& p : r.peers) append_compact(p.endpoint.is_v4() ? v4 : v6, p.endpoint);
        dict.emplace_back("peers", keep(std::move(v4)));
        if (!v6.empty()) dict.emplace_back("peers6", keep(std::move(v6)));
    } else {
        Value::List list;
        for (const Peer& p : r.peers) {
            Value::Dict entry;
            entry.emplace_back("ip", keep(p.endpoint.address_string()));
            entry.emplace_back("port", Value(static_cast<std::int64_t>(p.endpoint.port)));
            if (p.peer_id)
                entry.emplace_back("peer id", keep(std::string(p.peer_id->begin(), p.peer_id->end())));
            list.emplace_back(std::move(entry));
        }
        dict.emplace_back("peers", Value(std::move(list)));
    }
    return bencode::encode(Value(std::move(dict)));
}

std::string encode_scrape_response(const ScrapeResponse& r) {
    std::deque<std::string> storage;
    Value::Dict dict;
    if (r.failure_reason) {
        dict.emplace_back("failure reason", std::string_view(storage.emplace_back(*r.failure_reason)));
        return bencode::encode(Value(std::move(dict)));
    }
    Value::Dict files;
    for (const auto& [hash, s] : r.files) {
        Value::Dict stats;
        stats.emplace_back("complete", Value(static_cast<std::int64_t>(s.complete)));
        stats.emplace_back("downloaded", Value(static_cast<std::int64_t>(s.downloaded)));
        stats.emplace_back("incomplete", Value(static_cast<std::int64_t>(s.incomplete)));
        files.emplace_back(std::string_view(storage.emplace_back(hash.begin(), hash.end())),
                           Value(std::move(stats)));
    }
    dict.emplace_back("files", Value(std::move(files)));
    if (r.min_request_interval) {
        Value::Dict flags;
        flags.emplace_back("min_request_interval",
                           Value(static_cast<std::int64_t>(r.min_request_interval->count())));
        dict.emplace_back("flags", Value(std::move(flags)));
    }
    return bencode::encode(Value(std::move(dict)));
}

}  // namespace bt::tracker
