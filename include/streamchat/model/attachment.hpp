#ifndef STREAMCHAT_MODEL_ATTACHMENT_HPP
#define STREAMCHAT_MODEL_ATTACHMENT_HPP

/// @file
/// Message attachments (`Attachment`, docs/protocol.md §7.3).

#include <boost/json/object.hpp>

#include <cstdint>
#include <optional>
#include <string>

namespace streamchat {

/// An attachment; every field is optional on the wire.
struct attachment {
    std::optional<std::string> type{};          ///< `image`, `file`, `video`, `audio`, `giphy`, …
    std::optional<std::string> title{};         ///< Title.
    std::optional<std::string> title_link{};    ///< Link of the title.
    std::optional<std::string> text{};          ///< Body text.
    std::optional<std::string> pretext{};       ///< Text above the attachment.
    std::optional<std::string> fallback{};      ///< Plain-text fallback.
    std::optional<std::string> image_url{};     ///< Image.
    std::optional<std::string> thumb_url{};     ///< Thumbnail.
    std::optional<std::string> asset_url{};     ///< File/video/audio URL.
    std::optional<std::string> og_scrape_url{}; ///< URL the preview was scraped from.
    std::optional<std::string> mime_type{};     ///< MIME type of an uploaded file.
    std::optional<std::int64_t> file_size{};    ///< Size in bytes.
    std::optional<int> original_width{};        ///< Image width in pixels.
    std::optional<int> original_height{};       ///< Image height in pixels.
    std::optional<std::string> author_name{};   ///< Author of a link preview.
    /// `actions`, `fields`, `giphy`, custom data and any other key, kept as JSON.
    boost::json::object extra{};
};

} // namespace streamchat

#endif
