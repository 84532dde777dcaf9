#include "cli/usage.hpp"

#include <curl/curlver.h>
#include <fmt/core.h>
#include <openssl/crypto.h>
#include <openssl/opensslv.h>

#include <CLI/CLI.hpp>
#include <CLI/Version.hpp>
#include <algorithm>
#include <asio/version.hpp>
#include <string_view>
#include <vector>

#include "cli/commands.hpp"
#include "cli/common.hpp"
#include "cli/suggest.hpp"

namespace bt::cli {

namespace {

std::vector<std::string> option_names(const CLI::App& app) {
    std::vector<std::string> names;
    for (const CLI::Option* opt : app.get_options()) {
        for (const auto& s : opt->get_snames()) names.push_back("-" + s);
        for (const auto& l : opt->get_lnames()) names.push_back("--" + l);
    }
    return names;
}

std::vector<std::string> subcommand_names(const CLI::App& app) {
    std::vector<std::string> names;
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
        names.push_back(sub->get_name());
    }
    return names;
}

bool is_option_word(const std::string& arg) {
    return arg.size() > 1 && arg[0] == '-' && arg != "--";
}

// The first of `leftovers` (the arguments an app could not place) that is an option word (`option`), or
// the first that is not.
const std::string* first_leftover(const std::vector<std::string>& leftovers, bool option) {
    const auto it = std::find_if(leftovers.begin(), leftovers.end(), [option](const std::string& arg) {
        return arg != "--" && is_option_word(arg) == option;
    });
    return it == leftovers.end() ? nullptr : &*it;
}

std::string option_name(const std::string& arg) {
    return arg.substr(0, arg.find('='));
}

// The message of a parse error that is not about an unknown word.
std::string describe(const CLI::App* scope, const CLI::ParseError& error) {
    const std::string what = error.what();
    if (dynamic_cast<const CLI::RequiredError*>(&error) != nullptr) {
        if (scope == nullptr) return "no subcommand given (see 'bitveil --help')";
        for (const CLI::Option* opt : scope->get_options()) {
            if (opt->get_required() && opt->count() == 0) {
                const std::string name = opt->get_name();
                return fmt::format("missing {} '{}' (see 'bitveil {} --help')",
                                   opt->get_positional() ? "argument" : "option", name, scope->get_name());
            }
        }
    }
    if (dynamic_cast<const CLI::ValidationError*>(&error) != nullptr && scope != nullptr) {
        // "--port: expected ..." names the option; "input: expected ..." would name a positional argument
        // by its name in the help, which the user never typed.
        for (const CLI::Option* opt : scope->get_options()) {
            const std::string prefix = opt->get_name() + ": ";
            if (opt->get_positional() && what.starts_with(prefix)) return what.substr(prefix.size());
        }
    }
    if (dynamic_cast<const CLI::ArgumentMismatch*>(&error) != nullptr) {
        // "--port: 1 required INT missing", "--port: At Most 1 required but received 2".
        const auto colon = what.find(": ");
        if (colon != std::string::npos && what.ends_with(" missing")) {
            return fmt::format("{} needs a value", what.substr(0, colon));
        }
        if (colon != std::string::npos && what.find(": At Most 1 required") == colon) {
            return fmt::format("{} is given more than once", what.substr(0, colon));
        }
    }
    if (dynamic_cast<const CLI::ConversionError*>(&error) != nullptr) {
        // "Could not convert: --json = maybe" (a flag given a value it cannot take).
        constexpr std::string_view kHead = "Could not convert: ";
        const auto equals = what.find(" = ");
        if (what.starts_with(kHead) && equals != std::string::npos) {
            return fmt::format("{}: cannot take the value '{}'",
                               what.substr(kHead.size(), equals - kHead.size()), what.substr(equals + 3));
        }
    }
    return what;
}

}  // namespace

void configure_app(CLI::App& app, int& status) {
    app.set_version_flag("--version", &version_text, "print the version and the libraries it uses, and exit");
    app.require_subcommand(1);
    app.footer(
        "Run 'bitveil SUBCOMMAND --help' for a subcommand's options and examples.\n"
        "Exit status: 0 ok, 1 read or write error, 2 invalid input or usage error.\n");
    add_download_command(app, status);  // download and seed
    add_create_command(app, status);
    add_info_command(app, status);
    add_dht_command(app, status);
    add_daemon_command(app, status);
    add_status_command(app, status);
}

std::string short_usage(const CLI::App& app) {
    std::string text =
        fmt::format("{}\nusage: bitveil SUBCOMMAND [OPTIONS] ARGUMENTS...\n\n", app.get_description());
    for (const CLI::App* sub : app.get_subcommands([](const CLI::App*) { return true; })) {
        text += fmt::format("  {:<9} {}\n", sub->get_name(), sub->get_description());
    }
    text +=
        "\nRun 'bitveil SUBCOMMAND --help' for a subcommand's options and examples,\n"
        "'bitveil --help' for more, 'bitveil --version' for the version.\n";
    return text;
}

std::string version_text() {
    // OpenSSL is linked: the library found at run time may be newer than the headers.
    std::string openssl = OpenSSL_version(OPENSSL_VERSION);
    if (openssl != OPENSSL_VERSION_TEXT) openssl += fmt::format(" (built with {})", OPENSSL_VERSION_TEXT);
    return fmt::format(
        "bitveil {}\n"
        "built with:\n"
        "  {}\n"
        "  libcurl {} (loaded only for https:// trackers and proxies)\n"
        "  Asio {}.{}.{}\n"
        "  fmt {}.{}.{}\n"
        "  CLI11 {}",
        kVersion, openssl, LIBCURL_VERSION, ASIO_VERSION / 100000, ASIO_VERSION / 100 % 1000,
        ASIO_VERSION % 100, FMT_VERSION / 10000, FMT_VERSION / 100 % 100, FMT_VERSION % 100, CLI11_VERSION);
}

UsageError describe_parse_error(const CLI::App& app, const CLI::ParseError& error) {
    // At most one subcommand (require_subcommand(1)); the parse got that far if it is listed.
    const auto selected = app.get_subcommands();
    const CLI::App* sub = selected.empty() ? nullptr : selected.front();
    const std::string subject = sub == nullptr ? std::string() : sub->get_name();
    const auto top_leftovers = app.remaining(false);
    const auto sub_leftovers = sub == nullptr ? std::vector<std::string>() : sub->remaining(false);

    if (const auto* arg = first_leftover(sub_leftovers, true)) {
        return {subject, fmt::format("unknown option '{}'{}", option_name(*arg),
                                     did_you_mean(closest_names(*arg, option_names(*sub))))};
    }
    if (const auto* arg = first_leftover(top_leftovers, true)) {
        const auto sub_names = sub == nullptr ? std::vector<std::string>() : option_names(*sub);
        if (std::find(sub_names.begin(), sub_names.end(), option_name(*arg)) != sub_names.end()) {
            return {"", fmt::format("option '{}' goes after the subcommand: bitveil {} {} ...",
                                    option_name(*arg), subject, *arg)};
        }
        return {"", fmt::format("unknown option '{}'{}", option_name(*arg),
                                did_you_mean(closest_names(*arg, option_names(app))))};
    }
    if (const auto* arg = first_leftover(top_leftovers, false)) {
        const auto names = subcommand_names(app);
        const auto suggestions = closest_names(*arg, names);
        if (!suggestions.empty())
            return {"", fmt::format("unknown subcommand '{}'{}", *arg, did_you_mean(suggestions))};
        std::string list;
        for (const auto& name : names) list += (list.empty() ? "" : ", ") + name;
        return {"", fmt::format("unknown subcommand '{}' (the subcommands are {})", *arg, list)};
    }
    if (const auto* arg = first_leftover(sub_leftovers, false)) {
        return {subject, fmt::format("unexpected argument '{}'", *arg)};
    }
    return {subject, describe(sub, error)};
}

}  // namespace bt::cli
