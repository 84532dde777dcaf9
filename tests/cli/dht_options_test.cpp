#include "cli/dht_options.hpp"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <CLI/CLI.hpp>
#include <filesystem>

namespace bt::cli {
namespace {

namespace fs = std::filesystem;

class DhtOptionsTest : public ::testing::Test {
  protected:
    void SetUp() override {
        std::string tmpl = (fs::temp_directory_path() / "bt_dht_options_XXXXXX").string();
        dir_ = ::mkdtemp(tmpl.data());
    }
    void TearDown() override { fs::remove_all(dir_); }
    // The options parsed from `argv` (after the program name).
    DhtOptions parse(std::vector<std::string> argv) {
        CLI::App app;
        DhtOptions options;
        add_dht_options(&app, options, true);
        std::reverse(argv.begin(), argv.end());  // CLI11 takes them last first
        app.parse(argv);
        return options;
    }
    session::Settings apply(const DhtOptions& options) {
        session::Settings settings;
        auto applied = apply_dht_options(options, dir_, true, settings);
        EXPECT_TRUE(applied) << (applied ? "" : applied.error().message);
        return settings;
    }
    std::string dir_;
};

TEST_F(DhtOptionsTest, WithoutOptionsTheDhtRunsThroughThePublicRoutersAndKeepsItsStateInTheStateFolder) {
    const auto settings = apply(parse({}));
    EXPECT_TRUE(settings.dht);
    EXPECT_EQ(settings.dht_bootstrap, kPublicDhtRouters);
    EXPECT_EQ(settings.dht_state_file, dir_ + "/dht.state");
    EXPECT_FALSE(settings.dht_read_only);
}

TEST_F(DhtOptionsTest, GivenBootstrapNodesReplaceThePublicRouters) {
    const auto settings =
        apply(parse({"--dht-bootstrap", "127.0.0.2:6881", "--dht-bootstrap", "[::1]:7000"}));
    EXPECT_EQ(settings.dht_bootstrap, (std::vector<std::string>{"127.0.0.2:6881", "[::1]:7000"}));
    EXPECT_TRUE(apply(parse({"--no-dht-bootstrap"})).dht_bootstrap.empty());
}

TEST_F(DhtOptionsTest, NoDhtTurnsItOffWithNoBootstrapAndNoStateFile) {
    const auto settings = apply(parse({"--no-dht"}));
    EXPECT_FALSE(settings.dht);
    EXPECT_TRUE(settings.dht_bootstrap.empty());
    EXPECT_TRUE(settings.dht_state_file.empty());
}

TEST_F(DhtOptionsTest, NoDhtExcludesBootstrapOptions) {
    EXPECT_THROW(parse({"--no-dht", "--dht-bootstrap", "127.0.0.2:6881"}), CLI::ExcludesError);
    EXPECT_THROW(parse({"--dht-bootstrap", "127.0.0.2:6881", "--no-dht-bootstrap"}), CLI::ExcludesError);
}

TEST_F(DhtOptionsTest, BootstrapNodesAreCheckedLikePeers) {
    for (const char* bad : {"127.0.0.2", "127.0.0.2:0", "host:70000", "[::1:6881", "bad host:1"}) {
        session::Settings settings;
        const auto applied = apply_dht_options(parse({"--dht-bootstrap", bad}), dir_, true, settings);
        ASSERT_FALSE(applied) << bad;
        EXPECT_EQ(applied.error().subject, std::string("--dht-bootstrap ") + bad);
        EXPECT_FALSE(applied.error().message.empty());
    }
}

TEST_F(DhtOptionsTest, AStateFileInUseByAnotherNodeIsNotShared) {
    const auto state = dir_ + "/node.state";
    EXPECT_EQ(apply(parse({"--dht-state", state})).dht_state_file, state);
    // The first holds its lock for the life of the process: a second node runs without state.
    EXPECT_TRUE(apply(parse({"--dht-state", state})).dht_state_file.empty());
}

TEST_F(DhtOptionsTest, ReadOnlyIsPassedOn) {
    EXPECT_TRUE(apply(parse({"--dht-read-only"})).dht_read_only);
}

}  // namespace
}  // namespace bt::cli
