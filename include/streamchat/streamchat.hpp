#ifndef STREAMCHAT_STREAMCHAT_HPP
#define STREAMCHAT_STREAMCHAT_HPP

/// @file
/// Umbrella header: everything public in streamchat.

#include <streamchat/version.hpp>
#include <streamchat/error.hpp>
#include <streamchat/diagnostics.hpp>
#include <streamchat/filter.hpp>
#include <streamchat/sort.hpp>
#include <streamchat/token.hpp>
#include <streamchat/model.hpp>
#include <streamchat/timestamp.hpp>
#include <streamchat/user_profile.hpp>
#include <streamchat/image_url.hpp>
#include <streamchat/http_config.hpp>
#include <streamchat/config.hpp>
#include <streamchat/rest_client.hpp>

#endif
