#include "cli/user_dirs.hpp"

#include <gtest/gtest.h>
#include <pwd.h>
#include <unistd.h>

#include <cstdlib>
#include <optional>
#include <string>

namespace bt::cli {
namespace {

// Sets (or unsets, with nullopt) an environment variable for the scope of a test.
class ScopedEnv {
  public:
    ScopedEnv(const char* name, std::optional<std::string> value) : name_(name) {
        if (const char* old = std::getenv(name)) old_ = old;
        if (value) {
            ::setenv(name, value->c_str(), 1);
        } else {
            ::unsetenv(name);
        }
    }
    ~ScopedEnv() {
        if (old_) {
            ::setenv(name_, old_->c_str(), 1);
        } else {
            ::unsetenv(name_);
        }
    }
    ScopedEnv(const ScopedEnv&) = delete;
    ScopedEnv& operator=(const ScopedEnv&) = delete;

  private:
    const char* name_;
    std::optional<std::string> old_;
};

TEST(DefaultResumeDir, XdgStateHomeWhenAbsolute) {
    ScopedEnv state("XDG_STATE_HOME", "/var/state/");
    ScopedEnv home("HOME", "/home/u");
    EXPECT_EQ(default_resume_dir(), "/var/state/bitveil");
}

TEST(DefaultResumeDir, ARelativeOrEmptyXdgStateHomeIsIgnored) {
    ScopedEnv home("HOME", "/home/u/");
    {
        ScopedEnv state("XDG_STATE_HOME", "state");
        EXPECT_EQ(default_resume_dir(), "/home/u/.local/state/bitveil");
    }
    ScopedEnv state("XDG_STATE_HOME", "");
    EXPECT_EQ(default_resume_dir(), "/home/u/.local/state/bitveil");
}

TEST(DefaultResumeDir, TheRootFolderAsHomeGivesNoDoubleSlash) {
    ScopedEnv state("XDG_STATE_HOME", std::nullopt);
    ScopedEnv home("HOME", "/");
    EXPECT_EQ(default_resume_dir(), "/.local/state/bitveil");
}

TEST(DefaultResumeDir, WithoutHomeThePasswordDatabaseSays) {
    ScopedEnv state("XDG_STATE_HOME", std::nullopt);
    ScopedEnv home("HOME", std::nullopt);
    const passwd* entry = ::getpwuid(::getuid());
    if (entry == nullptr || entry->pw_dir == nullptr || entry->pw_dir[0] != '/')
        GTEST_SKIP() << "this user has no home folder in the password database";
    std::string want = entry->pw_dir;
    while (!want.empty() && want.back() == '/') want.pop_back();
    EXPECT_EQ(default_resume_dir(), want + "/.local/state/bitveil");
}

TEST(DefaultConfigDir, XdgConfigHomeWhenAbsoluteElseDotConfig) {
    ScopedEnv home("HOME", "/home/u/");
    {
        ScopedEnv config("XDG_CONFIG_HOME", "/etc/u/");
        EXPECT_EQ(default_config_dir(), "/etc/u/bitveil");
    }
    ScopedEnv config("XDG_CONFIG_HOME", "relative");
    EXPECT_EQ(default_config_dir(), "/home/u/.config/bitveil");
}

}  // namespace
}  // namespace bt::cli
