#pragma once
// Conversions between bt::Endpoint and asio's endpoints (net/asio_endpoint.hpp), for the session's code.
#include "net/asio_endpoint.hpp"

namespace bt::session {

using net::from_asio;
using net::to_asio;

}  // namespace bt::session
