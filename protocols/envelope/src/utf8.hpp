#pragma once

#include <string_view>

namespace canswarm::envelope::detail {

/// Returns whether `text` is well-formed UTF-8 (RFC 3629: no overlong
/// forms, no surrogates, nothing above U+10FFFF), as protobuf requires of
/// proto3 string fields.
bool valid_utf8(std::string_view text);

} // namespace canswarm::envelope::detail
