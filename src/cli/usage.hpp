#pragma once
// What bitveil says about its own command line: the short usage of a bare `bitveil`, `bitveil --version`,
// and CLI11's parse errors turned into bitveil's one-line errors (report_error in cli/common.hpp).
#include <string>

namespace CLI {
class App;
class ParseError;
}  // namespace CLI

namespace bt::cli {

// Makes `app` bitveil's command line: --version, the footer and every subcommand (commands.hpp), whose
// callbacks store their exit status in `status`. The app is made as CLI::App("bitveil: a ...", "bitveil").
void configure_app(CLI::App& app, int& status);

// What `bitveil` with no arguments prints: what it is, one line per subcommand, where to read more.
std::string short_usage(const CLI::App& app);

// What `bitveil --version` prints: the version, then the libraries it was built with, one a line.
std::string version_text();

// A parse error as one report_error line: the subcommand concerned (empty for the top level) and the
// message. An unknown subcommand or option wins over every other error (it often causes them) and
// comes with the closest valid names, if any are close.
struct UsageError {
    std::string subject;
    std::string message;
};
UsageError describe_parse_error(const CLI::App& app, const CLI::ParseError& error);

}  // namespace bt::cli
