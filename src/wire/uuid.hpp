#ifndef STREAMCHAT_SRC_WIRE_UUID_HPP
#define STREAMCHAT_SRC_WIRE_UUID_HPP

#include <string>

namespace streamchat::detail {

/// A random (version 4) UUID in canonical lower-case form, for `x-client-request-id` and
/// client-generated message ids. Seeded per thread from std::random_device.
std::string make_uuid_v4();

} // namespace streamchat::detail

#endif
