#include "cli/user_dirs.hpp"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

namespace bt::cli {
namespace {

std::string absolute_env(const char* name) {
    const char* value = std::getenv(name);
    if (value == nullptr || value[0] != '/') return {};
    return value;
}

std::string home_folder() {
    if (auto home = absolute_env("HOME"); !home.empty()) return home;
    const passwd* entry = ::getpwuid(::getuid());
    if (entry == nullptr || entry->pw_dir == nullptr || entry->pw_dir[0] != '/') return {};
    return entry->pw_dir;
}

// "/" becomes "", so that appending "/name" never doubles a slash.
std::string without_trailing_slashes(std::string path) {
    while (!path.empty() && path.back() == '/') path.pop_back();
    return path;
}

}  // namespace

std::string default_resume_dir() {
    if (auto state = absolute_env("XDG_STATE_HOME"); !state.empty())
        return without_trailing_slashes(state) + "/bitveil";
    const std::string home = home_folder();
    if (home.empty()) return {};
    return without_trailing_slashes(home) + "/.local/state/bitveil";
}

std::string default_config_dir() {
    if (auto config = absolute_env("XDG_CONFIG_HOME"); !config.empty())
        return without_trailing_slashes(config) + "/bitveil";
    const std::string home = home_folder();
    if (home.empty()) return {};
    return without_trailing_slashes(home) + "/.config/bitveil";
}

}  // namespace bt::cli
