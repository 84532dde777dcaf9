// bitveil: command-line entry point. Each subcommand lives in its own file (see commands.hpp).
#include <fmt/core.h>

#include <CLI/CLI.hpp>
#include <exception>
#include <string>

#include "cli/commands.hpp"
#include "cli/common.hpp"

int main(int argc, char** argv) {
    using namespace bt::cli;
    CLI::App app("bitveil: a BitTorrent client", "bitveil");
    app.set_version_flag("--version", "bitveil " + std::string(kVersion), "print the version and exit");
    app.require_subcommand(1);
    app.footer(
        "Run 'bitveil SUBCOMMAND --help' for a subcommand's options and examples.\n"
        "Exit status: 0 ok, 1 read or write error, 2 invalid input or usage error.\n");
    int status = kExitOk;
    add_info_command(app, status);
    add_create_command(app, status);
    add_download_command(app, status);
    try {
        app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
        // --help and --version arrive here too, with exit code 0; usage errors become status 2.
        const int code = app.exit(e);
        return code == 0 ? kExitOk : kExitInvalid;
    } catch (const std::exception& e) {
        report_error("", std::string("unexpected error: ") + e.what());
        return kExitFailure;
    }
    return status;
}
