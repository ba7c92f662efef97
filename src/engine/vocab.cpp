#include "engine/vocab.h"

#include <algorithm>
#include <cctype>

#include "common/utf8.h"
#include "engine/gguf.h"
#include "engine/vocab-impl.h"

namespace parley::engine {

void TokenIndex::build(const std::vector<std::string>& texts) {
  std::size_t capacity = 16;
  while (capacity < 2 * texts.size()) capacity *= 2;
  slots_.assign(capacity, kNoToken);
  const std::size_t mask = capacity - 1;
  for (std::size_t id = 0; id < texts.size(); ++id) {
    std::size_t slot = std::hash<std::string_view>{}(texts[id]) & mask;
    while (slots_[slot] != kNoToken && texts[static_cast<std::size_t>(slots_[slot])] != texts[id]) slot = (slot + 1) & mask;
    slots_[slot] = static_cast<int32_t>(id);  // an empty slot, or the earlier duplicate's
  }
}

int32_t TokenIndex::find(const std::vector<std::string>& texts, std::string_view text) const {
  if (slots_.empty()) return kNoToken;
  const std::size_t mask = slots_.size() - 1;
  for (std::size_t slot = std::hash<std::string_view>{}(text) & mask;; slot = (slot + 1) & mask) {
    const int32_t id = slots_[slot];
    if (id == kNoToken || texts[static_cast<std::size_t>(id)] == text) return id;
  }
}

namespace {

constexpr std::string_view kSpaceMark = "\xE2\x96\x81";  // U+2581

// Texts of the control tokens that end a turn in the model families Parley runs; they count as end of generation
// even when the model names a different EOS.
constexpr std::string_view kEndOfTurnTexts[] = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>",
    "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>",  // <｜end▁of▁sentence｜>
};

std::string replace_space_marks(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t pos = 0; pos < text.size();) {
    if (text.substr(pos, kSpaceMark.size()) == kSpaceMark) {
      out += ' ';
      pos += kSpaceMark.size();
    } else {
      out += text[pos++];
    }
  }
  return out;
}

// "<0x41>" -> 0x41
std::optional<unsigned char> parse_byte_token(std::string_view text) {
  const auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  if (text.size() != 6 || !text.starts_with("<0x") || text.back() != '>') return std::nullopt;
  const int high = hex(text[3]);
  const int low = hex(text[4]);
  if (high < 0 || low < 0) return std::nullopt;
  return static_cast<unsigned char>(high * 16 + low);
}

bool is_ascii_space(char c) { return std::isspace(static_cast<unsigned char>(c)) != 0; }

int32_t checked_id(const std::optional<int32_t>& id, std::size_t n_tokens) {
  return id && *id >= 0 && static_cast<std::size_t>(*id) < n_tokens ? *id : kNoToken;
}

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

Status load_model_kind(Vocab::Impl& v, const VocabData& data) {
  if (data.model == "llama") {
    v.model = VocabModel::spm;
  } else if (data.model == "gpt2") {
    v.model = VocabModel::bpe;
    const auto pre = pre_tokenizer_from_name(data.pre);
    if (!pre) {
      return make_error(ErrorCode::unprocessable,
                        "unsupported BPE pre-tokenizer '" + data.pre +
                            "' (supported: default, gpt-2, llama-bpe/llama3, qwen2, smollm/starcoder and aliases)");
    }
    v.pre_tokenizer = *pre;
    v.ignore_merges = *pre == PreTokenizer::llama3;
  } else if (data.model == "bert") {
    v.model = VocabModel::wpm;
  } else {
    return make_error(ErrorCode::unprocessable,
                      "unsupported tokenizer model '" + data.model + "' (supported: llama, gpt2, bert)");
  }
  return {};
}

Status load_tokens(Vocab::Impl& v, VocabData& data) {
  const std::size_t n = data.tokens.size();
  if (n == 0) return make_error(ErrorCode::unprocessable, "tokenizer has no tokens");
  if (n > static_cast<std::size_t>(INT32_MAX)) return make_error(ErrorCode::unprocessable, "too many tokens");
  if (!data.scores.empty() && data.scores.size() != n) {
    return make_error(ErrorCode::unprocessable, "tokenizer.ggml.scores has " + std::to_string(data.scores.size()) +
                                                    " entries for " + std::to_string(n) + " tokens");
  }
  if (!data.token_types.empty() && data.token_types.size() != n) {
    return make_error(ErrorCode::unprocessable, "tokenizer.ggml.token_type has " +
                                                    std::to_string(data.token_types.size()) + " entries for " +
                                                    std::to_string(n) + " tokens");
  }
  v.texts = std::move(data.tokens);
  v.scores = data.scores.empty() ? std::vector<float>(n, 0.0f) : std::move(data.scores);
  v.types.resize(n, TokenType::normal);
  for (std::size_t i = 0; i < data.token_types.size(); ++i) {
    const int32_t type = data.token_types[i];
    v.types[i] = type >= 0 && type <= 6 ? static_cast<TokenType>(type) : TokenType::undefined;
  }
  v.text_to_id.build(v.texts);
  for (const auto& text : v.texts) v.max_token_bytes = std::max(v.max_token_bytes, text.size());
  return {};
}

void load_pieces_and_bytes(Vocab::Impl& v) {
  const std::size_t n = v.texts.size();
  v.byte_tokens.fill(kNoToken);
  v.pieces.resize(n);
  for (std::size_t i = 0; i < n; ++i) {
    const std::string& text = v.texts[i];
    const TokenType type = v.types[i];
    std::string& piece = v.pieces[i];
    if (type == TokenType::unused) continue;
    if (type != TokenType::normal && type != TokenType::byte) {
      piece = text;  // control, user-defined and unknown tokens stand for their text
      continue;
    }
    switch (v.model) {
      case VocabModel::spm:
        if (const auto byte = parse_byte_token(text); byte && type == TokenType::byte) {
          piece.assign(1, static_cast<char>(*byte));
          v.byte_tokens[*byte] = static_cast<int32_t>(i);
        } else {
          piece = replace_space_marks(text);
        }
        break;
      case VocabModel::bpe:
        piece = decode_byte_level(text).value_or(text);
        break;
      case VocabModel::wpm: piece = replace_space_marks(text); break;
    }
  }
  if (v.model == VocabModel::spm) {
    // Without a <0xNN> token, a byte may still have a token of its own text.
    for (int byte = 0; byte < 256; ++byte) {
      if (v.byte_tokens[static_cast<std::size_t>(byte)] == kNoToken) {
        v.byte_tokens[static_cast<std::size_t>(byte)] = v.find(std::string(1, static_cast<char>(byte)));
      }
    }
  }
  if (v.model == VocabModel::bpe) {
    for (int byte = 0; byte < 256; ++byte) {
      v.byte_tokens[static_cast<std::size_t>(byte)] = v.find(encode_byte_level(std::string(1, static_cast<char>(byte))));
    }
  }
}

Status load_merges(Vocab::Impl& v, const std::vector<std::string>& merges) {
  if (v.model != VocabModel::bpe) return {};
  if (merges.empty()) return make_error(ErrorCode::unprocessable, "BPE tokenizer without tokenizer.ggml.merges");
  v.merges.reserve(merges.size());
  for (std::size_t rank = 0; rank < merges.size() && rank < static_cast<std::size_t>(INT32_MAX); ++rank) {
    const std::string& merge = merges[rank];
    const std::size_t space = merge.find(' ', 1);
    if (space == std::string::npos) {
      return make_error(ErrorCode::unprocessable, "malformed BPE merge #" + std::to_string(rank) + ": '" + merge + "'");
    }
    const int32_t left = v.find(std::string_view(merge).substr(0, space));
    const int32_t right = v.find(std::string_view(merge).substr(space + 1));
    std::string joined = merge;
    joined.erase(space, 1);
    const int32_t result = v.find(joined);
    // A merge whose parts or result are not tokens can never produce a token: it is left out.
    if (left == kNoToken || right == kNoToken || result == kNoToken) continue;
    const uint64_t key = (static_cast<uint64_t>(static_cast<uint32_t>(left)) << 32) | static_cast<uint32_t>(right);
    v.merges.emplace(key, BpeMerge{static_cast<int32_t>(rank), result});  // the first (best) rank of duplicates
  }
  return {};
}

void load_special_tokens(Vocab::Impl& v, const VocabData& data) {
  const std::size_t n = v.texts.size();
  // Ids the model states, with the usual ids of each family when it states none.
  const auto with_default = [&](const std::optional<int32_t>& given, std::optional<int32_t> fallback) {
    return checked_id(given ? given : fallback, n);
  };
  const bool spm = v.model == VocabModel::spm;
  const bool wpm = v.model == VocabModel::wpm;
  v.bos = with_default(data.bos, spm ? std::optional<int32_t>(1) : std::nullopt);
  v.eos = with_default(data.eos, spm ? std::optional<int32_t>(2) : std::nullopt);
  v.unk = with_default(data.unk, spm ? std::optional<int32_t>(0) : (wpm ? std::optional<int32_t>(100) : std::nullopt));
  v.sep = with_default(data.sep, wpm ? std::optional<int32_t>(102) : std::nullopt);
  v.pad = with_default(data.pad, wpm ? std::optional<int32_t>(0) : std::nullopt);
  v.cls = with_default(data.cls, wpm ? std::optional<int32_t>(101) : std::nullopt);
  v.mask = with_default(data.mask, wpm ? std::optional<int32_t>(103) : std::nullopt);
  v.eom = checked_id(data.eom, n);
  v.eot = checked_id(data.eot, n);
  if (v.eot == kNoToken) {
    for (const std::string_view text : kEndOfTurnTexts) {
      if (const int32_t id = v.find(text); id != kNoToken && id != v.eos) {
        v.eot = id;
        break;
      }
    }
  }
  v.add_bos = data.add_bos.value_or(spm || wpm || (v.model == VocabModel::bpe && v.pre_tokenizer == PreTokenizer::llama3));
  v.add_eos = data.add_eos.value_or(wpm);
  v.add_space_prefix = spm && data.add_space_prefix.value_or(true);

  for (std::size_t i = 0; i < n; ++i) {
    const TokenType type = v.types[i];
    if ((type == TokenType::control || type == TokenType::user_defined || type == TokenType::unknown) &&
        !v.texts[i].empty()) {
      v.special_tokens.push_back(static_cast<int32_t>(i));
    }
  }
  std::stable_sort(v.special_tokens.begin(), v.special_tokens.end(), [&](int32_t a, int32_t b) {
    return v.texts[static_cast<std::size_t>(a)].size() > v.texts[static_cast<std::size_t>(b)].size();
  });

  // Phi-3's tokenizer drops whitespace after its special tokens (llama.cpp keys this on the model name).
  v.strips_right.assign(n, false);
  const std::string name = lower_ascii(data.name);
  if (name.find("phi-3") != std::string::npos || name.find("phi3") != std::string::npos) {
    for (const int32_t id : v.special_tokens) {
      const std::string& text = v.texts[static_cast<std::size_t>(id)];
      v.strips_right[static_cast<std::size_t>(id)] = text != "<unk>" && text != "<s>" && text != "<|endoftext|>";
    }
  }

  for (const int32_t id : {v.eos, v.eot, v.eom}) {
    if (id != kNoToken) v.end_of_generation.push_back(id);
  }
  for (const std::string_view text : kEndOfTurnTexts) {
    const int32_t id = v.find(text);
    if (id != kNoToken && (v.types[static_cast<std::size_t>(id)] == TokenType::control ||
                           v.types[static_cast<std::size_t>(id)] == TokenType::user_defined)) {
      v.end_of_generation.push_back(id);
    }
  }
  std::sort(v.end_of_generation.begin(), v.end_of_generation.end());
  v.end_of_generation.erase(std::unique(v.end_of_generation.begin(), v.end_of_generation.end()),
                            v.end_of_generation.end());
}

// A run of the input: plain text, or one special token found in it.
struct Fragment {
  std::string_view text;
  int32_t token = kNoToken;
};

// Splits the input at the special tokens it contains, longest tokens first, as llama.cpp does.
std::vector<Fragment> partition(const Vocab::Impl& v, std::string_view text, bool parse_special) {
  std::vector<Fragment> fragments;
  if (text.empty()) return fragments;
  fragments.push_back({text, kNoToken});
  for (const int32_t id : v.special_tokens) {
    const TokenType type = v.types[static_cast<std::size_t>(id)];
    if (!parse_special && (type == TokenType::control || type == TokenType::unknown)) continue;
    const std::string& special = v.texts[static_cast<std::size_t>(id)];
    if (text.find(special) == std::string_view::npos) continue;
    const bool strip_right = v.strips_right[static_cast<std::size_t>(id)];
    std::vector<Fragment> next;
    next.reserve(fragments.size() + 2);
    for (const Fragment& fragment : fragments) {
      if (fragment.token != kNoToken) {
        next.push_back(fragment);
        continue;
      }
      std::string_view rest = fragment.text;
      for (std::size_t found = rest.find(special); found != std::string_view::npos; found = rest.find(special)) {
        if (found > 0) next.push_back({rest.substr(0, found), kNoToken});
        next.push_back({{}, id});
        rest.remove_prefix(found + special.size());
        if (strip_right) {
          while (!rest.empty() && is_ascii_space(rest.front())) rest.remove_prefix(1);
        }
      }
      if (!rest.empty()) next.push_back({rest, kNoToken});
    }
    fragments = std::move(next);
  }
  return fragments;
}

Result<std::optional<int32_t>> read_token_id(const GgufFile& file, std::string_view key) {
  const GgufKeyValue* kv = file.find(key);
  if (kv == nullptr) return std::optional<int32_t>();
  switch (kv->type) {
    case GgufValueType::u8:
    case GgufValueType::i8:
    case GgufValueType::u16:
    case GgufValueType::i16:
    case GgufValueType::u32:
    case GgufValueType::i32:
    case GgufValueType::i64:
      // Out-of-range values (llama.cpp writes 4294967295 for "none") mean the model has no such token.
      if (kv->integer < 0 || kv->integer > INT32_MAX) return std::optional<int32_t>();
      return std::optional<int32_t>(static_cast<int32_t>(kv->integer));
    case GgufValueType::u64:
      if (kv->unsigned_integer > static_cast<uint64_t>(INT32_MAX)) return std::optional<int32_t>();
      return std::optional<int32_t>(static_cast<int32_t>(kv->unsigned_integer));
    default: return make_error(ErrorCode::unprocessable, std::string(key) + " is not an integer");
  }
}

Result<std::optional<bool>> read_flag(const GgufFile& file, std::string_view key) {
  if (!file.has(key)) return std::optional<bool>();
  PARLEY_ASSIGN_OR_RETURN(const bool value, file.get_bool(key));
  return std::optional<bool>(value);
}

}  // namespace

Result<Vocab> Vocab::from_gguf(const GgufFile& file) {
  VocabData data;
  PARLEY_ASSIGN_OR_RETURN(data.model, file.get_string("tokenizer.ggml.model"));
  PARLEY_ASSIGN_OR_RETURN(data.pre, file.get_string_or("tokenizer.ggml.pre", ""));
  PARLEY_ASSIGN_OR_RETURN(data.name, file.get_string_or("general.name", ""));
  PARLEY_ASSIGN_OR_RETURN(data.tokens, file.get_string_array("tokenizer.ggml.tokens"));
  if (file.has("tokenizer.ggml.scores")) {
    PARLEY_ASSIGN_OR_RETURN(data.scores, file.get_f32_array("tokenizer.ggml.scores"));
  }
  if (file.has("tokenizer.ggml.token_type")) {
    PARLEY_ASSIGN_OR_RETURN(data.token_types, file.get_i32_array("tokenizer.ggml.token_type"));
  }
  if (file.has("tokenizer.ggml.merges")) {
    PARLEY_ASSIGN_OR_RETURN(data.merges, file.get_string_array("tokenizer.ggml.merges"));
  }
  const std::pair<std::string_view, std::optional<int32_t>*> ids[] = {
      {"tokenizer.ggml.bos_token_id", &data.bos},      {"tokenizer.ggml.eos_token_id", &data.eos},
      {"tokenizer.ggml.eot_token_id", &data.eot},      {"tokenizer.ggml.eom_token_id", &data.eom},
      {"tokenizer.ggml.unknown_token_id", &data.unk},  {"tokenizer.ggml.seperator_token_id", &data.sep},
      {"tokenizer.ggml.padding_token_id", &data.pad},  {"tokenizer.ggml.cls_token_id", &data.cls},
      {"tokenizer.ggml.mask_token_id", &data.mask},
  };
  for (const auto& [key, target] : ids) {
    PARLEY_ASSIGN_OR_RETURN(*target, read_token_id(file, key));
  }
  PARLEY_ASSIGN_OR_RETURN(data.add_bos, read_flag(file, "tokenizer.ggml.add_bos_token"));
  PARLEY_ASSIGN_OR_RETURN(data.add_eos, read_flag(file, "tokenizer.ggml.add_eos_token"));
  PARLEY_ASSIGN_OR_RETURN(data.add_space_prefix, read_flag(file, "tokenizer.ggml.add_space_prefix"));
  return from_data(std::move(data));
}

Result<Vocab> Vocab::from_data(VocabData data) {
  auto impl = std::make_shared<Impl>();
  PARLEY_TRY(load_model_kind(*impl, data));
  PARLEY_TRY(load_tokens(*impl, data));
  load_pieces_and_bytes(*impl);
  PARLEY_TRY(load_merges(*impl, data.merges));
  load_special_tokens(*impl, data);
  return Vocab(std::move(impl));
}

std::vector<int32_t> Vocab::tokenize(std::string_view text, bool add_special, bool parse_special) const {
  const Impl& v = *impl_;
  std::vector<int32_t> out;
  out.reserve(text.size() / 3 + 2);
  const int32_t first = v.model == VocabModel::wpm ? (v.cls != kNoToken ? v.cls : v.bos) : v.bos;
  const int32_t last = v.model == VocabModel::wpm ? (v.sep != kNoToken ? v.sep : v.eos) : v.eos;
  if (add_special && v.add_bos && first != kNoToken) out.push_back(first);
  bool after_special = true;
  for (const Fragment& fragment : partition(v, text, parse_special)) {
    if (fragment.token != kNoToken) {
      out.push_back(fragment.token);
      after_special = true;
      continue;
    }
    switch (v.model) {
      case VocabModel::spm: tokenize_spm(v, fragment.text, after_special, out); break;
      case VocabModel::bpe: tokenize_bpe(v, fragment.text, out); break;
      case VocabModel::wpm: tokenize_wpm(v, fragment.text, out); break;
    }
    after_special = false;
  }
  if (add_special && v.add_eos && last != kNoToken) out.push_back(last);
  return out;
}

std::string Vocab::token_to_piece(int32_t id, bool render_special) const {
  const Impl& v = *impl_;
  if (!v.valid(id)) return {};
  if (v.types[static_cast<std::size_t>(id)] == TokenType::control && !render_special) return {};
  return v.pieces[static_cast<std::size_t>(id)];
}

std::string Vocab::detokenize(std::span<const int32_t> ids, bool render_special) const {
  std::string text;
  bool at_start = true;
  for (const int32_t id : ids) {
    std::string piece = token_to_piece(id, render_special);
    if (piece.empty()) continue;
    if (at_start && impl_->add_space_prefix && piece.front() == ' ') piece.erase(0, 1);
    at_start = false;
    text += piece;
  }
  return text;
}

int32_t Vocab::n_tokens() const { return static_cast<int32_t>(impl_->texts.size()); }
VocabModel Vocab::model() const { return impl_->model; }

TokenType Vocab::token_type(int32_t id) const {
  return impl_->valid(id) ? impl_->types[static_cast<std::size_t>(id)] : TokenType::undefined;
}

const std::string& Vocab::token_text(int32_t id) const {
  static const std::string kEmpty;
  return impl_->valid(id) ? impl_->texts[static_cast<std::size_t>(id)] : kEmpty;
}

std::optional<int32_t> Vocab::find_token(std::string_view text) const {
  const int32_t id = impl_->find(text);
  return id == kNoToken ? std::nullopt : std::optional<int32_t>(id);
}

bool Vocab::is_eog(int32_t id) const {
  return std::binary_search(impl_->end_of_generation.begin(), impl_->end_of_generation.end(), id);
}

int32_t Vocab::bos() const { return impl_->bos; }
int32_t Vocab::eos() const { return impl_->eos; }
int32_t Vocab::eot() const { return impl_->eot; }
int32_t Vocab::eom() const { return impl_->eom; }
int32_t Vocab::unk() const { return impl_->unk; }
int32_t Vocab::sep() const { return impl_->sep; }
int32_t Vocab::pad() const { return impl_->pad; }
int32_t Vocab::cls() const { return impl_->cls; }
int32_t Vocab::mask() const { return impl_->mask; }
bool Vocab::adds_bos() const { return impl_->add_bos; }
bool Vocab::adds_eos() const { return impl_->add_eos; }
bool Vocab::adds_space_prefix() const { return impl_->add_space_prefix; }

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length of the UTF-8 sequence led by `lead`, or 0 when it cannot start one.
std::size_t expected_length(unsigned char lead) {
  if (lead < 0x80) return 1;
  if (lead >= 0xC2 && lead <= 0xDF) return 2;
  if (lead >= 0xE0 && lead <= 0xEF) return 3;
  if (lead >= 0xF0 && lead <= 0xF4) return 4;
  return 0;
}

// Whether `byte` may follow `lead` at position `index` (1-based) of a sequence: no overlongs, surrogates or values
// past U+10FFFF.
bool valid_continuation(unsigned char lead, std::size_t index, unsigned char byte) {
  unsigned char low = 0x80;
  unsigned char high = 0xBF;
  if (index == 1) {
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
  }
  return byte >= low && byte <= high;
}

}  // namespace

std::string Detokenizer::push(int32_t id) {
  pending_ += vocab_.token_to_piece(id, render_special_);
  std::string out;
  std::size_t i = 0;
  while (i < pending_.size()) {
    const auto lead = static_cast<unsigned char>(pending_[i]);
    const std::size_t length = expected_length(lead);
    if (length == 0) {
      out += kReplacement;
      ++i;
      continue;
    }
    std::size_t have = 1;
    while (have < length && i + have < pending_.size() &&
           valid_continuation(lead, have, static_cast<unsigned char>(pending_[i + have]))) {
      ++have;
    }
    if (have == length) {
      out.append(pending_, i, length);
      i += length;
    } else if (i + have == pending_.size()) {
      break;  // a character still arriving: hold it back
    } else {
      out += kReplacement;  // a broken sequence: one replacement for its valid start
      i += have;
    }
  }
  pending_.erase(0, i);
  return out;
}

std::string Detokenizer::finish() {
  if (pending_.empty()) return {};
  pending_.clear();
  return std::string(kReplacement);
}

}  // namespace parley::engine
