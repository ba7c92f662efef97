#include "store/sqlite/fts_rank.h"

#include <algorithm>
#include <iterator>
#include <memory>
#include <string>

#include <boost/container/small_vector.hpp>

namespace parley::store::sqlite {
namespace {

constexpr double kK1 = 1.2;
constexpr double kB = 0.75;

// The table's average row length (in tokens), computed once per query.
struct AverageLength {
  double tokens = 0;
};

void parley_bm25(const Fts5ExtensionApi* api, Fts5Context* context, sqlite3_context* result, int argc,
                 sqlite3_value** argv) {
  const int columns = api->xColumnCount(context);
  const int phrases = api->xPhraseCount(context);
  auto* average = static_cast<AverageLength*>(api->xGetAuxdata(context, 0));
  if (average == nullptr) {
    sqlite3_int64 rows = 0, tokens = 0;
    if (api->xRowCount(context, &rows) != SQLITE_OK || api->xColumnTotalSize(context, -1, &tokens) != SQLITE_OK) {
      sqlite3_result_error(result, "parley_bm25: cannot read the table size", -1);
      return;
    }
    average = new AverageLength{rows > 0 ? static_cast<double>(tokens) / static_cast<double>(rows) : 1.0};
    if (api->xSetAuxdata(context, average, [](void* data) { delete static_cast<AverageLength*>(data); }) != SQLITE_OK) {
      sqlite3_result_error_nomem(result);
      return;
    }
  }
  // Per phrase: the weighted count of its instances in the whole row, and in the title column alone. Walked phrase
  // by phrase (xPhraseFirst/Next): xInst would first merge every phrase's positions into one sorted list.
  boost::container::small_vector<double, 32> frequency(static_cast<std::size_t>(phrases), 0.0), title_frequency(frequency);
  const double title_weight = argc > 0 ? sqlite3_value_double(argv[0]) : 1.0;
  boost::container::small_vector<double, 8> column_weight(static_cast<std::size_t>(columns), 1.0);
  for (int column = 0; column < columns && column < argc; ++column) {
    column_weight[static_cast<std::size_t>(column)] = sqlite3_value_double(argv[column]);
  }
  for (int phrase = 0; phrase < phrases; ++phrase) {
    Fts5PhraseIter iterator;
    int column = 0, offset = 0;
    if (api->xPhraseFirst(context, phrase, &iterator, &column, &offset) != SQLITE_OK) {
      sqlite3_result_error(result, "parley_bm25: cannot read the matches", -1);
      return;
    }
    for (; column >= 0; api->xPhraseNext(context, &iterator, &column, &offset)) {
      if (column < columns) frequency[static_cast<std::size_t>(phrase)] += column_weight[static_cast<std::size_t>(column)];
      if (column == 0) title_frequency[static_cast<std::size_t>(phrase)] += title_weight;
    }
  }
  auto* extras = argc > columns + phrases
                     ? static_cast<RankExtras*>(sqlite3_value_pointer(argv[argc - 1], kRankExtrasPointerType))
                     : nullptr;
  RowTokenCounts* known = extras != nullptr ? extras->row_tokens : nullptr;
  const sqlite3_int64 rowid = api->xRowid(context);
  int row_tokens = -1;
  if (known != nullptr) {
    if (const auto it = known->find(rowid); it != known->end()) row_tokens = it->second;
  }
  if (row_tokens < 0) {
    const int length_columns = extras != nullptr ? extras->length_columns : 0;
    bool read = true;
    if (length_columns > 0) {
      row_tokens = 0;
      for (int column = 0; column < length_columns && read; ++column) {
        int tokens = 0;
        read = api->xColumnSize(context, column, &tokens) == SQLITE_OK;
        row_tokens += tokens;
      }
    } else {
      read = api->xColumnSize(context, -1, &row_tokens) == SQLITE_OK;
    }
    if (!read) {
      row_tokens = 0;
    } else if (known != nullptr && known->size() < kMaxCachedRowLengths) {
      known->emplace(rowid, row_tokens);
    }
  }
  const double average_tokens =
      extras != nullptr && extras->average_tokens > 0 ? extras->average_tokens : average->tokens;
  const double norm = kK1 * (1 - kB + kB * static_cast<double>(row_tokens) / std::max(1.0, average_tokens));
  const auto bm25 = [&](const auto& tf) {
    double sum = 0;
    for (int p = 0; p < phrases; ++p) {
      const int argument = columns + p;
      const double idf = argument < argc ? sqlite3_value_double(argv[argument]) : 0.0;
      const double f = tf[static_cast<std::size_t>(p)];
      sum += idf * f * (kK1 + 1) / (f + norm);
    }
    return sum;
  };
  const double score = bm25(frequency);
  if (extras != nullptr && extras->title_scores != nullptr) {
    const double title_score = bm25(title_frequency);
    if (title_score > 0) extras->title_scores->emplace_back(rowid, title_score);
  }
  sqlite3_result_double(result, score);
}

// The connection's FTS5 API, or nullptr when SQLite was built without FTS5.
fts5_api* fts5_of(sqlite3* db) {
  fts5_api* api = nullptr;
  sqlite3_stmt* stmt = nullptr;
  if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &stmt, nullptr) != SQLITE_OK) return nullptr;
  sqlite3_bind_pointer(stmt, 1, static_cast<void*>(&api), "fts5_api_ptr", nullptr);
  sqlite3_step(stmt);
  sqlite3_finalize(stmt);
  return api != nullptr && api->iVersion >= 2 ? api : nullptr;
}

// kCollectionTokenizer: kIndexTokenizer inside, each of its tokens prefixed with the text's collection word.
struct CollectionTokenizer {
  fts5_tokenizer inner_api{};
  Fts5Tokenizer* inner = nullptr;
};

// One xTokenize call: where the prefixed tokens go.
struct CollectionTokens {
  void* context;
  int (*emit)(void*, int, const char*, int, int, int);
  int offset;          // of the terms in the whole text
  std::string token;   // "<collection>_", then each term appended in turn
  std::size_t prefix;  // length of "<collection>_"
};

int create_collection_tokenizer(void* api_pointer, const char** /*arguments*/, int /*count*/, Fts5Tokenizer** out) {
  auto* api = static_cast<fts5_api*>(api_pointer);
  auto tokenizer = std::make_unique<CollectionTokenizer>();
  void* context = nullptr;
  if (api->xFindTokenizer(api, kIndexTokenizer, &context, &tokenizer->inner_api) != SQLITE_OK) return SQLITE_ERROR;
  const char* options[std::size(kIndexTokenizerOptions)];
  std::copy(std::begin(kIndexTokenizerOptions), std::end(kIndexTokenizerOptions), options);
  const int status =
      tokenizer->inner_api.xCreate(context, options, static_cast<int>(std::size(options)), &tokenizer->inner);
  if (status != SQLITE_OK) return status;
  *out = reinterpret_cast<Fts5Tokenizer*>(tokenizer.release());
  return SQLITE_OK;
}

void delete_collection_tokenizer(Fts5Tokenizer* pointer) {
  auto* tokenizer = reinterpret_cast<CollectionTokenizer*>(pointer);
  if (tokenizer->inner != nullptr) tokenizer->inner_api.xDelete(tokenizer->inner);
  delete tokenizer;
}

int collection_tokenize(Fts5Tokenizer* pointer, void* context, int flags, const char* text, int length,
                        int (*emit)(void*, int, const char*, int, int, int)) {
  auto* tokenizer = reinterpret_cast<CollectionTokenizer*>(pointer);
  const std::string_view whole(text, static_cast<std::size_t>(std::max(length, 0)));
  const auto space = whole.find(' ');
  if (space == std::string_view::npos || space == 0) return SQLITE_OK;  // no terms, or no collection: no tokens
  CollectionTokens tokens{context, emit, static_cast<int>(space) + 1, std::string(whole.substr(0, space)) + "_", space + 1};
  const std::string_view terms = whole.substr(space + 1);
  return tokenizer->inner_api.xTokenize(
      tokenizer->inner, &tokens, flags, terms.data(), static_cast<int>(terms.size()),
      [](void* state, int token_flags, const char* term, int term_length, int start, int end) {
        auto* out = static_cast<CollectionTokens*>(state);
        out->token.resize(out->prefix);
        out->token.append(term, static_cast<std::size_t>(term_length));
        return out->emit(out->context, token_flags, out->token.data(), static_cast<int>(out->token.size()),
                         start + out->offset, end + out->offset);
      });
}

}  // namespace

bool register_fts_rank(sqlite3* db) {
  fts5_api* api = fts5_of(db);
  if (api == nullptr) return false;
  fts5_tokenizer collection{create_collection_tokenizer, delete_collection_tokenizer, collection_tokenize};
  return api->xCreateFunction(api, "parley_bm25", nullptr, parley_bm25, nullptr) == SQLITE_OK &&
         api->xCreateTokenizer(api, kCollectionTokenizer, api, &collection, nullptr) == SQLITE_OK;
}

TokenCounter::TokenCounter(sqlite3* db) {
  fts5_api* api = fts5_of(db);
  void* context = nullptr;
  if (api == nullptr || api->xFindTokenizer(api, kIndexTokenizer, &context, &api_) != SQLITE_OK) {
    throw std::runtime_error("SQLite was built without FTS5's unicode61 tokenizer");
  }
  const char* options[std::size(kIndexTokenizerOptions)];
  std::copy(std::begin(kIndexTokenizerOptions), std::end(kIndexTokenizerOptions), options);
  if (api_.xCreate(context, options, static_cast<int>(std::size(options)), &tokenizer_) != SQLITE_OK) {
    throw std::runtime_error("cannot create the full-text tokenizer");
  }
}

TokenCounter::~TokenCounter() {
  if (tokenizer_ != nullptr) api_.xDelete(tokenizer_);
}

int TokenCounter::count(std::string_view text) const {
  int tokens = 0;
  api_.xTokenize(tokenizer_, &tokens, FTS5_TOKENIZE_DOCUMENT, text.data(), static_cast<int>(text.size()),
                 [](void* counted, int /*flags*/, const char*, int, int, int) {
                   ++*static_cast<int*>(counted);
                   return SQLITE_OK;
                 });
  return tokens;
}

}  // namespace parley::store::sqlite
