#include "cli/notices.hpp"

#include <fmt/core.h>
#include <fmt/format.h>

#include <algorithm>

#include "core/printable.hpp"

namespace bt::cli {

std::optional<std::string> stall_hint(const StallFacts& facts) {
    const auto& s = facts.status;
    const bool waiting =
        s.state == session::TorrentState::downloading || s.state == session::TorrentState::metadata;
    if (!waiting || s.peers_connected > 0 || facts.dialling) return std::nullopt;
    if (!facts.has_trackers && facts.given_peers == 0 && !facts.dht && s.peers_known == 0)
        return std::string("no trackers, no DHT and no --peer: nobody to ask for peers");
    const auto mse = s.closed_our_mse;
    const auto plain = s.closed_our_plaintext;
    if (facts.policy == net::EncryptionPolicy::require && mse > 0) {
        return fmt::format(
            "no peer accepted our encryption policy ({} closed the encrypted handshake: they may want "
            "plaintext; try --encryption prefer)",
            mse);
    }
    if (facts.policy == net::EncryptionPolicy::disable && plain > 0) {
        return fmt::format(
            "no peer accepted our encryption policy ({} closed the plaintext handshake: they may require "
            "encryption; try --encryption prefer)",
            plain);
    }
    if (mse > 0 && plain > 0)
        return fmt::format(
            "no peer accepted a connection ({} closed the encrypted handshake, {} the plaintext one)", mse,
            plain);
    if (!s.tracker_error.empty() && s.peers_known == 0) return printable(s.tracker_error);
    return std::nullopt;
}

std::string hash_failure_text(const metainfo::Metainfo& metainfo, PieceIndex piece) {
    const std::int64_t begin = static_cast<std::int64_t>(piece.value) * metainfo.piece_length;
    const std::int64_t end = std::min(begin + metainfo.piece_length, metainfo.total_size);
    std::vector<std::string> files;
    for (const auto& f : metainfo.files) {
        if (f.pad || f.length == 0 || f.offset >= end || f.offset + f.length <= begin) continue;
        files.push_back(printable(f.path_string()));
    }
    std::string where;
    if (files.size() == 1) {
        where = "of file " + files[0];
    } else if (files.size() == 2) {
        where = "of files " + files[0] + " and " + files[1];
    } else if (files.size() > 2) {
        where = fmt::format("of files {}, {} and {} more", files[0], files[1], files.size() - 2);
    }
    return fmt::format("piece {} {}{}failed its check: fetching it again", piece.value, where,
                       where.empty() ? "" : " ");
}

std::string check_report_text(const session::TorrentStatus& s, bool seed, const std::string& data_path) {
    const auto& st = s.stats;
    const auto left = s.pieces_wanted_left;
    const auto selected = s.files_skipped ? " (the selected files)" : "";
    if (s.pieces_have == 0) {
        if (seed)
            return fmt::format("no data found in {}: downloading it (did you mean another -d?)",
                               printable(data_path));
        return fmt::format("nothing on disk yet: {} pieces to download{}", s.pieces_wanted, selected);
    }
    const auto hashed = st.pieces_from_disk - st.pieces_from_resume;
    std::string how;
    if (st.pieces_from_resume > 0 && hashed > 0) {
        how = fmt::format("{} from the resume record, {} by hashing {} changed file(s)",
                          st.pieces_from_resume, hashed, st.files_rechecked);
    } else if (st.pieces_from_resume > 0) {
        how = "from the resume record";
    } else {
        how = "by hashing the files";
    }
    if (left == 0 && !s.files_skipped) return fmt::format("all {} pieces on disk ({})", s.num_pieces, how);
    if (left == 0) return fmt::format("the selected files are on disk ({} pieces, {})", s.pieces_wanted, how);
    return fmt::format("resumed {} of {} pieces ({}); {} to download{}", s.pieces_have, s.num_pieces, how,
                       left, selected);
}

std::string data_location(std::string_view dir, std::string_view name) {
    while (dir.size() > 1 && dir.back() == '/') dir.remove_suffix(1);
    std::string out(dir);
    if (!out.empty() && out.back() != '/') out += '/';
    out += name;
    return out;
}

std::vector<std::string> metainfo_notices(const metainfo::Metainfo& metainfo, std::size_t max_links) {
    std::vector<std::string> out;
    std::size_t links = 0;
    std::size_t renamed = 0;
    std::size_t ignored = 0;
    for (const auto& note : metainfo.notes) {
        switch (note.kind) {
            case metainfo::Note::Kind::symlink_skipped:
                if (++links <= max_links) out.push_back(note.text());
                break;
            case metainfo::Note::Kind::renamed:
            case metainfo::Note::Kind::duplicate:
                ++renamed;
                break;
            case metainfo::Note::Kind::not_a_symlink:
            case metainfo::Note::Kind::field_ignored:
                ++ignored;
                break;
        }
    }
    if (links > max_links) out.push_back(fmt::format("and {} more links not created", links - max_links));
    std::vector<std::string> parts;
    if (renamed > 0) parts.push_back(fmt::format("{} name{} changed", renamed, renamed == 1 ? "" : "s"));
    if (ignored > 0) parts.push_back(fmt::format("{} field{} ignored", ignored, ignored == 1 ? "" : "s"));
    if (!parts.empty()) {
        out.push_back(fmt::format("{} to read it as libtorrent does (bitveil info lists them)",
                                  fmt::join(parts, " and ")));
    }
    return out;
}

}  // namespace bt::cli
