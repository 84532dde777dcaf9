#include "cli/usage.hpp"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <algorithm>

namespace bt::cli {
namespace {

// Parses `args` with bitveil's real command line (nothing runs: every line here is refused) and gives
// the one line main() prints, as "subject: message".
std::string error_line(std::vector<std::string> args) {
    CLI::App app("bitveil: a BitTorrent client", "bitveil");
    int status = 0;
    configure_app(app, status);
    std::reverse(args.begin(), args.end());  // CLI11 takes them last first
    try {
        app.parse(std::move(args));
    } catch (const CLI::Success&) {
        return "(help or version)";
    } catch (const CLI::ParseError& e) {
        const auto error = describe_parse_error(app, e);
        return error.subject.empty() ? error.message : error.subject + ": " + error.message;
    }
    return "(parsed)";
}

TEST(DescribeParseError, UnknownSubcommandSuggestsTheClosestOrListsThemAll) {
    EXPECT_EQ(error_line({"dowload", "x.torrent"}),
              "unknown subcommand 'dowload' (did you mean 'download'?)");
    EXPECT_EQ(error_line({"ifno"}), "unknown subcommand 'ifno' (did you mean 'info'?)");
    EXPECT_EQ(
        error_line({"bogus"}),
        "unknown subcommand 'bogus' (the subcommands are download, seed, create, info, dht, daemon, status)");
}

TEST(DescribeParseError, UnknownOptionIsNamedWithItsSubcommand) {
    EXPECT_EQ(error_line({"download", "--seed-tme", "5", "x.torrent"}),
              "download: unknown option '--seed-tme' (did you mean '--seed-time'?)");
    EXPECT_EQ(error_line({"download", "--seed-tme=5", "x.torrent"}),
              "download: unknown option '--seed-tme' (did you mean '--seed-time'?)");
    EXPECT_EQ(error_line({"create", "-p", "3KiB"}),
              "create: unknown option '-p' (did you mean '--piece-size' or '--private'?)");
    EXPECT_EQ(error_line({"info", "x.torrent", "--jsn"}),
              "info: unknown option '--jsn' (did you mean '--json'?)");
    EXPECT_EQ(error_line({"info", "x.torrent", "--frobnicate"}), "info: unknown option '--frobnicate'");
    EXPECT_EQ(error_line({"-V"}), "unknown option '-V' (did you mean '--version'?)");
}

TEST(DescribeParseError, UnknownOptionWinsOverTheErrorsItCauses) {
    // Without the typo's value the torrent is missing too; the typo is what the user must fix.
    EXPECT_EQ(error_line({"download", "--prot"}),
              "download: unknown option '--prot' (did you mean '--port'?)");
    EXPECT_EQ(error_line({"download", "--max-per", "3", "--port", "70000", "x"}),
              "download: unknown option '--max-per' (did you mean '--max-peers'?)");
}

TEST(DescribeParseError, SubcommandOptionBeforeTheSubcommand) {
    EXPECT_EQ(error_line({"--seed", "download", "x.torrent"}),
              "option '--seed' goes after the subcommand: bitveil download --seed ...");
}

TEST(DescribeParseError, MissingAndExtraArguments) {
    EXPECT_EQ(error_line({"download"}),
              "download: missing argument 'torrents' (see 'bitveil download --help')");
    EXPECT_EQ(error_line({"create"}), "create: missing argument 'path' (see 'bitveil create --help')");
    EXPECT_EQ(error_line({"info", "--json"}), "info: missing argument 'input' (see 'bitveil info --help')");
    EXPECT_EQ(error_line({"info", "a.torrent", "b.torrent"}), "info: unexpected argument 'b.torrent'");
    EXPECT_EQ(error_line({"create", "dir", "out.torrent"}), "create: unexpected argument 'out.torrent'");
}

TEST(DescribeParseError, OptionValues) {
    EXPECT_EQ(error_line({"download", "--seed-time", "5", "--seed", "x"}),
              "download: --seed-time excludes --seed");
    EXPECT_EQ(error_line({"seed", "x", "--port"}), "seed: --port needs a value");
    EXPECT_EQ(error_line({"download", "x", "--port", "1", "--port", "2"}),
              "download: --port is given more than once");
    EXPECT_EQ(error_line({"download", "--port", "70000", "x"}),
              "download: --port: expected a whole number from 0 to 65535, not '70000'");
    EXPECT_EQ(error_line({"info", "x", "--json=maybe"}), "info: --json: cannot take the value 'maybe'");
    // A positional argument is not named by its name in the help ("input: ...").
    EXPECT_EQ(error_line({"info", ""}), "info: expected a .torrent file, its URL or a magnet link, not ''");
    EXPECT_EQ(error_line({"download", "a.torrent", ""}), "download: expected a .torrent file, not ''");
}

TEST(DescribeParseError, HelpAndVersionAreNotErrors) {
    EXPECT_EQ(error_line({"--help"}), "(help or version)");
    EXPECT_EQ(error_line({"download", "--help"}), "(help or version)");
    EXPECT_EQ(error_line({"--version"}), "(help or version)");
}

TEST(ShortUsage, NamesEverySubcommandInAFewLines) {
    CLI::App app("bitveil: a BitTorrent client", "bitveil");
    int status = 0;
    configure_app(app, status);
    const std::string text = short_usage(app);
    EXPECT_TRUE(text.starts_with("bitveil: a BitTorrent client\n")) << text;
    for (const char* name :
         {"\n  download ", "\n  seed ", "\n  create ", "\n  info ", "\n  daemon ", "\n  status "}) {
        EXPECT_NE(text.find(name), std::string::npos) << name;
    }
    EXPECT_NE(text.find("--help"), std::string::npos);
    EXPECT_LE(std::count(text.begin(), text.end(), '\n'), 14);
}

TEST(VersionText, NamesTheVersionAndTheLibraries) {
    const std::string text = version_text();
    EXPECT_TRUE(text.starts_with("bitveil " BT_VERSION "\n")) << text;
    for (const char* library : {"OpenSSL ", "libcurl ", "Asio ", "fmt ", "CLI11 "}) {
        EXPECT_NE(text.find(library), std::string::npos) << library;
    }
}

}  // namespace
}  // namespace bt::cli
