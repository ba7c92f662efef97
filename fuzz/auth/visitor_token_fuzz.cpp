// Visitor tokens as a widget (or an attacker) sends them: "<bot id>\n<token>". Checking never crashes, and a
// token accepted as current is one this instance signed.
#include <cstdint>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "auth/visitor_tokens.h"

namespace {

const parley::auth::VisitorTokens& tokens() {
  static const parley::auth::VisitorTokens instance = [] {
    const auto dir = std::filesystem::temp_directory_path() / ("parley-token-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(dir);
    auto store = std::move(parley::store::open_store({(dir / "parley.db").string()})).value();
    auto loaded = std::move(parley::auth::VisitorTokens::load(*store)).value();
    store.reset();
    std::filesystem::remove_all(dir);
    return loaded;
  }();
  return instance;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const auto newline = input.find('\n');
  const std::string_view bot = input.substr(0, newline);
  const std::string_view token = newline == std::string_view::npos ? std::string_view() : input.substr(newline + 1);
  const auto grant = tokens().check(bot, token);
  if (grant.ok() && !grant->expired && !tokens().verify(bot, token).ok()) std::abort();
  // A token issued for a conversation named by the input opens exactly that conversation.
  const std::string issued = tokens().issue(bot, token);
  const auto verified = tokens().verify(bot, issued);
  if (!token.empty() && token.find('.') == std::string_view::npos && token.size() < 200 && (!verified.ok() || *verified != token)) std::abort();
  return 0;
}
