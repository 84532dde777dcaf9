#pragma once
// Shared helpers for the MSE tests: the generated vector files and a caller-like driver.
#include <gtest/gtest.h>

#include <cstdint>
#include <fstream>
#include <map>
#include <ostream>
#include <span>
#include <sstream>
#include <string>
#include <vector>

#include "core/hex.hpp"
#include "mse/handshake.hpp"

namespace bt::mse::test {

using Bytes = std::vector<std::uint8_t>;

// One "key = value" record of tests/data/mse/*.txt (written by tools/gen_mse_vectors.py).
struct Record {
    std::map<std::string, std::string> fields;

    const std::string& text(const std::string& key) const {
        static const std::string missing;
        auto it = fields.find(key);
        EXPECT_NE(it, fields.end()) << "missing field " << key;
        return it == fields.end() ? missing : it->second;
    }
    Bytes bytes(const std::string& key) const {
        auto decoded = from_hex(text(key));
        EXPECT_TRUE(decoded.has_value()) << "bad hex in " << key;
        return decoded.value_or(Bytes{});
    }
    std::size_t number(const std::string& key) const { return std::stoul(text(key)); }
    std::string name() const { return text("name"); }
};

// gtest prints parameters with this (ADL), instead of a raw byte dump.
inline void PrintTo(const Record& record, std::ostream* os) {
    *os << record.name();
}

inline std::vector<Record> load_records(const std::string& file) {
    std::ifstream in(std::string(BT_TEST_DATA_DIR) + "/mse/" + file);
    EXPECT_TRUE(in.good()) << "cannot open " << file;
    std::vector<Record> records;
    Record current;
    std::string line;
    while (std::getline(in, line)) {
        if (!line.empty() && line[0] == '#') continue;
        if (line.empty()) {
            if (!current.fields.empty()) records.push_back(std::move(current));
            current = {};
            continue;
        }
        const auto eq = line.find(" = ");
        if (eq == std::string::npos) continue;
        current.fields[line.substr(0, eq)] = line.substr(eq + 3);
    }
    if (!current.fields.empty()) records.push_back(std::move(current));
    return records;
}

inline Bytes hex(std::string_view text) {
    auto decoded = from_hex(text);
    EXPECT_TRUE(decoded.has_value()) << text;
    return decoded.value_or(Bytes{});
}

inline Bytes concat(std::initializer_list<std::span<const std::uint8_t>> parts) {
    Bytes out;
    for (auto p : parts) out.insert(out.end(), p.begin(), p.end());
    return out;
}

// What a caller sees after driving a handshake with some chunking of the peer's bytes.
struct DriveResult {
    Bytes output;    // everything take_output() returned, in order
    Bytes leftover;  // the caller's unconsumed bytes (stream bytes after the handshake)
    bool done = false;
    std::error_code error;
    std::size_t consumed = 0;
};

// Behaves like the run_mse loop of STYLE.md §3: append each chunk to an inbox, feed the inbox, erase
// what was consumed, collect output. Stops at done or at the first error.
inline DriveResult drive(Handshake& hs, std::span<const std::uint8_t> input,
                         const std::vector<std::size_t>& cuts) {
    DriveResult run;
    auto collect = [&] {
        auto out = hs.take_output();
        run.output.insert(run.output.end(), out.begin(), out.end());
    };
    collect();
    Bytes inbox;
    std::size_t from = 0;
    auto push = [&](std::size_t to) {
        inbox.insert(inbox.end(), input.begin() + static_cast<std::ptrdiff_t>(from),
                     input.begin() + static_cast<std::ptrdiff_t>(to));
        from = to;
        if (run.done || run.error) return;
        auto used = hs.feed(inbox);
        if (!used) {
            run.error = used.error();
            return;
        }
        EXPECT_LE(*used, inbox.size());
        run.consumed += *used;
        inbox.erase(inbox.begin(), inbox.begin() + static_cast<std::ptrdiff_t>(*used));
        collect();
        run.done = hs.done();
    };
    for (std::size_t cut : cuts) {
        if (cut > from && cut <= input.size()) push(cut);
    }
    push(input.size());
    run.leftover = inbox;
    return run;
}

inline DriveResult drive_whole(Handshake& hs, std::span<const std::uint8_t> input) {
    return drive(hs, input, {});
}

inline DriveResult drive_bytewise(Handshake& hs, std::span<const std::uint8_t> input) {
    std::vector<std::size_t> cuts;
    for (std::size_t i = 1; i < input.size(); ++i) cuts.push_back(i);
    return drive(hs, input, cuts);
}

}  // namespace bt::mse::test
