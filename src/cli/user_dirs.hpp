#pragma once
// The user's own folders, after the XDG Base Directory specification: where bitveil keeps what is its own
// (resume records) rather than the user's data.
#include <string>

namespace bt::cli {

// $XDG_STATE_HOME/bitveil when XDG_STATE_HOME is set to an absolute path (the specification says to
// ignore a relative one), else $HOME/.local/state/bitveil, with HOME from the environment or the password
// database. Empty when there is no home folder either.
std::string default_resume_dir();
// The daemon's settings and torrents: $XDG_CONFIG_HOME/bitveil (absolute only), else
// $HOME/.config/bitveil; empty without a home folder.
std::string default_config_dir();

}  // namespace bt::cli
