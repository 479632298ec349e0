#ifndef STREAMCHAT_IMAGE_URL_HPP
#define STREAMCHAT_IMAGE_URL_HPP

/// @file
/// Images at the size a row shows them: Stream's CDN resizes an uploaded image when its URL
/// carries `w`, `h`, `resize` and `crop` (docs/protocol.md §2.7). Avatars and attachment
/// thumbnails then cost a few kilobytes instead of the original's megabytes.

#include <streamchat/error.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace streamchat {

/// How the CDN fits the image into the requested box (`resize`).
enum class image_resize_mode {
    clip,  ///< Within the box, aspect ratio kept (the CDN's default).
    crop,  ///< The whole box, aspect ratio kept, the excess cut off (`image_crop` says where).
    fill,  ///< Within the box, aspect ratio kept, the rest of the box filled with background.
    scale, ///< Exactly the box, aspect ratio ignored.
};

/// Which part of the image `crop` keeps (`crop`).
enum class image_crop {
    center, ///< The middle (the CDN's default).
    top,
    bottom,
    left,
    right,
};

/// The wire value, e.g. "clip".
std::string_view to_string(image_resize_mode mode) noexcept;
/// The wire value, e.g. "center".
std::string_view to_string(image_crop crop) noexcept;

/// The size to ask for, in device pixels (multiply layout sizes by the screen's scale first).
struct image_size {
    /// Width; 0 leaves it to the CDN (derived from the height). Default: 0.
    int width = 0;
    /// Height; 0 leaves it to the CDN (derived from the width). Default: 0.
    int height = 0;
    /// Fit into the box. Default: clip, the CDN's own default.
    image_resize_mode resize = image_resize_mode::clip;
    /// Part kept by `crop` mode; none sends no `crop` (the CDN keeps the center). Default: none.
    std::optional<image_crop> crop{};
};

struct image_url_options {
    /// Resize only URLs carrying the original size (`ow`, `oh`). The CDN that resizes adds them to
    /// every upload; older URLs lack them and cannot be resized, so they come back unchanged, as
    /// Stream's own SDKs do. Default: true.
    bool require_original_size = true;
    /// Hosts serving Stream's CDN besides `stream-io-cdn.com` and its subdomains (a proxy in front
    /// of it), compared case-insensitively and exactly. Default: none.
    std::vector<std::string> extra_hosts{};
};

/// Writes into `out` the URL of `url` resized to `size`: the sizing parameters (`w`, `h`,
/// `resize`, `crop`) already present are replaced, every other parameter stays byte for byte and
/// in order (the signature ones, `Key-Pair-Id`, `Policy`, `Signature`, `Expires`, and the original
/// size `oh`, `ow`), and so do the fragment and everything before the query. URLs that the CDN
/// would not resize come back unchanged: other hosts and schemes (`data:`, `file:`), URLs without
/// the original size (see `require_original_size`), and originals above 16,800,000 pixels, which
/// the CDN refuses to resize.
///
/// Errors, with `*why` (if given) saying what is wrong and `out` untouched:
/// - error::invalid_argument: a negative width or height, neither given, or a mode or crop value
///   outside its enumeration;
/// - error::invalid_url: `url` is not an absolute URL (no scheme), contains spaces or control
///   characters, or is an http(s) URL without a host.
error_code resize_image_url(std::string_view url, const image_size& size, std::string& out,
                            const image_url_options& options = {}, std::string* why = nullptr);

/// As resize_image_url(), for display code that always wants something to load: the resized URL,
/// or `url` unchanged when it cannot be resized or the input is wrong.
std::string resized_image_url(std::string_view url, const image_size& size, const image_url_options& options = {});

} // namespace streamchat

#endif
