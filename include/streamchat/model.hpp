#ifndef STREAMCHAT_MODEL_HPP
#define STREAMCHAT_MODEL_HPP

/// @file
/// The chat data model: users, channels, messages, members, read states, reactions,
/// attachments, channel states and events, plus their text JSON conversion.
///
/// Conventions shared by every type: ids are `std::string`, times are `streamchat::timestamp`,
/// optional wire fields are `std::optional`, and `extra` keeps every key that is not a modelled
/// field (custom data is flattened on the wire, docs/protocol.md §7.1), so decoding and re-encoding
/// a payload loses nothing. Only identity fields are required when decoding (user/message/device
/// `id`, channel `cid` or `type`+`id`, reaction `type`, read-state `user`, channel-state
/// `channel`, event `type`, error `code`); the other fields the spec marks required take their
/// defaults when absent and are always written back.

#include <streamchat/model/attachment.hpp>
#include <streamchat/model/channel.hpp>
#include <streamchat/model/channel_state.hpp>
#include <streamchat/model/event.hpp>
#include <streamchat/model/json.hpp>
#include <streamchat/model/member.hpp>
#include <streamchat/model/message.hpp>
#include <streamchat/model/own_user.hpp>
#include <streamchat/model/reaction.hpp>
#include <streamchat/model/read_state.hpp>
#include <streamchat/model/user.hpp>

#endif
