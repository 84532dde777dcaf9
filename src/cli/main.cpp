// bitveil: command-line entry point. Each subcommand lives in its own file (see commands.hpp); what
// bitveil says about its command line (usage, version, argument errors) is in usage.cpp.
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <exception>
#include <string>

#include "cli/common.hpp"
#include "cli/usage.hpp"

int main(int argc, char** argv) {
    using namespace bt::cli;
    CLI::App app("bitveil: a BitTorrent client", "bitveil");
    int status = kExitOk;
    configure_app(app, status);
    if (argc <= 1) {
        fmt::print(stderr, "{}", short_usage(app));
        return kExitInvalid;
    }
    try {
        app.parse(argc, argv);
    } catch (const CLI::Success& e) {
        return app.exit(e);  // --help and --version, on stdout
    } catch (const CLI::ParseError& e) {
        // Usage errors, one line each (usage.hpp); exit status 2.
        const auto error = describe_parse_error(app, e);
        report_error(error.subject, error.message);
        return kExitInvalid;
    } catch (const std::exception& e) {
        report_error("", std::string("unexpected error: ") + e.what());
        return kExitFailure;
    }
    return status;
}
