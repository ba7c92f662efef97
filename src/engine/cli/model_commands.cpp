#include "engine/cli/model_commands.h"

#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "common/progress.h"
#include "engine/cli/model_bench.h"
#include "engine/cli/model_pull.h"
#include "engine/engine.h"
#include "engine/gguf.h"
#include "engine/model-quantize.h"

namespace parley::engine {
namespace {

using nlohmann::json;

[[noreturn]] void fail(const Error& error) {
  std::cerr << "error: " << error.message << "\n";
  throw CLI::RuntimeError(1);
}

template <typename T>
T value_or_fail(Result<T> result) {
  if (!result.ok()) fail(result.error());
  return std::move(result).value();
}

void ok_or_fail(const Status& status) {
  if (!status.ok()) fail(status.error());
}

std::unique_ptr<Engine> open_engine(const std::string& path, int threads) {
  EngineOptions options;
  options.threads = threads;
  options.max_sequences = 1;
  return value_or_fail(Engine::load(path, options));
}

// A metadata value for `model info --json`: scalars as they are, arrays as their length and element type (they
// hold whole vocabularies).
json metadata_value(const GgufKeyValue& kv) {
  switch (kv.type) {
    case GgufValueType::string: return std::string(kv.text);
    case GgufValueType::f32:
    case GgufValueType::f64: return kv.real;
    case GgufValueType::boolean: return kv.integer != 0;
    case GgufValueType::u64: return kv.unsigned_integer;
    case GgufValueType::array:
      return json{{"array", std::string(gguf_value_type_name(kv.element_type))}, {"length", kv.count}};
    default: return kv.integer;
  }
}

void add_info(CLI::App& model) {
  struct Options {
    std::string file;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = model.add_subcommand("info", "Show a GGUF model's architecture, shape, tensor types and metadata");
  cmd->add_option("FILE", o->file, "GGUF file")->required();
  cmd->add_flag("--json", o->json, "Print JSON");
  cmd->callback([o] {
    auto file = value_or_fail(GgufFile::open(o->file));
    std::map<std::string, int> types;
    uint64_t parameters = 0;
    for (const auto& tensor : file.tensors()) {
      ++types[std::string(tensor_type_name(tensor.type))];
      parameters += tensor.n_elements;
    }
    json info{{"file", o->file},
              {"file_size", file.file_size()},
              {"gguf_version", file.version()},
              {"architecture", file.get_string_or("general.architecture", "").value()},
              {"name", file.get_string_or("general.name", "").value()},
              {"tensors", file.tensors().size()},
              {"parameters", parameters},
              {"tensor_types", types}};
    if (auto model_file = GgufFile::open(o->file); model_file.ok()) {
      if (auto loaded = Model::load(std::move(*model_file)); loaded.ok()) {
        const auto& p = (*loaded)->params();
        info["hyperparameters"] = {{"n_vocab", p.n_vocab},     {"n_embd", p.n_embd},       {"n_ff", p.n_ff},
                                   {"n_layer", p.n_layer},     {"n_head", p.n_head},       {"n_head_kv", p.n_head_kv},
                                   {"head_dim", p.head_dim},   {"n_ctx_train", p.n_ctx_train},
                                   {"rope_base", p.rope_base}, {"norm_eps", p.norm_eps},   {"tied_output", p.tied_output}};
      } else {
        info["load_error"] = loaded.error().message;
      }
    }
    const auto chat_template = file.get_string_or("tokenizer.chat_template", "").value();
    info["chat_template"] = chat_template.empty() ? "" : std::string(chat_family_name(recognize_chat_family(chat_template)));
    json metadata = json::object();
    for (const auto& kv : file.metadata()) metadata[std::string(kv.key)] = metadata_value(kv);
    info["metadata"] = metadata;
    if (o->json) {
      std::cout << info.dump(2) << "\n";
      return;
    }
    std::cout << "architecture: " << info["architecture"].get<std::string>() << "\n"
              << "name:         " << info["name"].get<std::string>() << "\n"
              << "file size:    " << file.file_size() << " bytes (GGUF v" << file.version() << ")\n"
              << "tensors:      " << file.tensors().size() << " (" << parameters << " parameters)\n"
              << "types:       ";
    for (const auto& [type, count] : types) std::cout << " " << type << "×" << count;
    std::cout << "\n";
    if (info.contains("hyperparameters")) {
      for (const auto& [key, value] : info["hyperparameters"].items()) std::cout << "  " << key << ": " << value << "\n";
    } else if (info.contains("load_error")) {
      std::cout << "not loadable: " << info["load_error"].get<std::string>() << "\n";
    }
    if (!chat_template.empty()) std::cout << "chat template: " << info["chat_template"].get<std::string>() << "\n";
  });
}

void add_generate(CLI::App& model) {
  struct Options {
    std::string file, prompt;
    bool chat = false, json = false;
    int max_tokens = 128, threads = 0;
    float temperature = 0.8f;
    std::optional<uint64_t> seed;
    std::vector<std::string> stop;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = model.add_subcommand("generate", "Generate text from a prompt");
  cmd->add_option("FILE", o->file, "GGUF file")->required();
  cmd->add_option("--prompt", o->prompt, "Prompt text")->required();
  cmd->add_flag("--chat", o->chat, "Wrap the prompt as a user message in the model's chat template");
  cmd->add_option("--max-tokens", o->max_tokens, "Most tokens to generate")->capture_default_str();
  cmd->add_option("--temperature", o->temperature, "0 for greedy decoding")->capture_default_str();
  cmd->add_option("--seed", o->seed, "Random seed (reproducible sampling)");
  cmd->add_option("--stop", o->stop, "Stop before this text (repeatable)");
  cmd->add_option("--threads", o->threads, "Compute threads (0: one per core)")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print JSON instead of streaming the text");
  cmd->callback([o] {
    auto engine = open_engine(o->file, o->threads);
    GenerationRequest request;
    if (o->chat) {
      request.messages = {{"user", o->prompt}};
    } else {
      request.prompt = o->prompt;
    }
    request.max_tokens = o->max_tokens;
    request.sampling.temperature = o->temperature;
    request.sampling.seed = o->seed;
    request.stop = o->stop;
    if (!o->json) {
      request.on_text = [](std::string_view piece) {
        std::cout << piece << std::flush;
        return true;
      };
    }
    const auto result = value_or_fail(engine->generate(std::move(request)));
    if (!o->json) {
      std::cout << "\n";
      return;
    }
    std::cout << json{{"text", result.text},
                      {"tokens", result.tokens},
                      {"prompt_tokens", result.prompt_tokens},
                      {"completion_tokens", result.completion_tokens},
                      {"finish_reason", finish_reason_name(result.finish_reason)},
                      {"timings",
                       {{"prefill_ms", result.timings.prefill_ms},
                        {"decode_ms", result.timings.decode_ms},
                        {"decode_tokens_per_s",
                         result.timings.decode_ms > 0 ? (result.completion_tokens - 1) / (result.timings.decode_ms / 1000)
                                                      : 0.0}}}}
                     .dump()
              << "\n";
  });
}

void add_embed(CLI::App& model) {
  struct Options {
    std::string file, text;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = model.add_subcommand("embed", "Embed a text with an embedding (BERT-family) model");
  cmd->add_option("FILE", o->file, "GGUF file")->required();
  cmd->add_option("--text", o->text, "Text to embed")->required();
  cmd->add_flag("--json", o->json, "Print JSON");
  cmd->callback([o] {
    auto engine = open_engine(o->file, 0);
    const auto embedding = value_or_fail(engine->embed(o->text));
    if (o->json) {
      std::cout << json{{"dimensions", embedding.size()}, {"embedding", embedding}}.dump() << "\n";
      return;
    }
    for (std::size_t i = 0; i < embedding.size(); ++i) std::cout << (i ? " " : "") << embedding[i];
    std::cout << "\n";
  });
}

void add_tokenize(CLI::App& model) {
  struct Options {
    std::string file, text;
    bool no_special = false, json = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = model.add_subcommand("tokenize", "Show the token ids of a text");
  cmd->add_option("FILE", o->file, "GGUF file")->required();
  cmd->add_option("--text", o->text, "Text to tokenize")->required();
  cmd->add_flag("--no-special", o->no_special, "Add no BOS/EOS and treat special-token text as plain text");
  cmd->add_flag("--json", o->json, "Print JSON (ids and pieces)");
  cmd->callback([o] {
    auto file = value_or_fail(GgufFile::open(o->file));
    const auto vocab = value_or_fail(Vocab::from_gguf(file));
    const auto ids = vocab.tokenize(o->text, !o->no_special, !o->no_special);
    if (o->json) {
      json pieces = json::array();
      for (const int32_t id : ids) pieces.push_back(vocab.token_text(id));
      std::cout << json{{"tokens", ids}, {"pieces", pieces}}.dump() << "\n";
      return;
    }
    for (std::size_t i = 0; i < ids.size(); ++i) std::cout << (i ? " " : "") << ids[i];
    std::cout << "\n";
  });
}

std::vector<int32_t> parse_token_list(const std::string& text) {
  std::vector<int32_t> tokens;
  std::stringstream stream(text);
  std::string item;
  while (std::getline(stream, item, ',')) {
    try {
      std::size_t used = 0;
      const long value = std::stol(item, &used);
      if (used != item.size() || value < 0 || value > INT32_MAX) throw std::invalid_argument(item);
      tokens.push_back(static_cast<int32_t>(value));
    } catch (const std::exception&) {
      fail(make_error(ErrorCode::invalid_request, "--tokens must be comma-separated token ids, not '" + item + "'"));
    }
  }
  return tokens;
}

void add_eval(CLI::App& model) {
  struct Options {
    std::string file, tokens, logits_out;
    int threads = 0;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = model.add_subcommand("eval", "Write the logits after every token (float32, one row of n_vocab per token)");
  cmd->add_option("FILE", o->file, "GGUF file")->required();
  cmd->add_option("--tokens", o->tokens, "Comma-separated token ids")->required();
  cmd->add_option("--logits-out", o->logits_out, "Output file")->required();
  cmd->add_option("--threads", o->threads, "Compute threads (0: one per core)")->capture_default_str();
  cmd->callback([o] {
    const auto tokens = parse_token_list(o->tokens);
    auto engine = open_engine(o->file, o->threads);
    const auto logits = value_or_fail(engine->evaluate(tokens));
    std::ofstream out(o->logits_out, std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(logits.data()), static_cast<std::streamsize>(logits.size() * sizeof(float)));
    if (!out) fail(make_error(ErrorCode::internal, "cannot write '" + o->logits_out + "'"));
    std::cout << tokens.size() << " rows of " << engine->params().n_vocab << " logits written to " << o->logits_out
              << "\n";
  });
}

void add_bench(CLI::App& model) {
  struct Options {
    BenchOptions bench;
    bool json = false;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = model.add_subcommand("bench", "Measure prompt processing and generation speed");
  cmd->add_option("FILE", o->bench.model, "GGUF file")->required();
  cmd->add_option("--threads", o->bench.threads, "Compute threads (0: one per core)")->capture_default_str();
  cmd->add_option("--prompt-tokens", o->bench.prompt_tokens, "Prompt length")->capture_default_str();
  cmd->add_option("--gen-tokens", o->bench.gen_tokens, "Tokens to generate")->capture_default_str();
  cmd->add_option("--repetitions", o->bench.repetitions, "Runs per figure (the median is reported)")->capture_default_str();
  cmd->add_option("--parallel", o->bench.parallel,
                  "Also measure this many sequences, each with its own prompt of --prompt-tokens, generating together");
  cmd->add_option("--passages", o->bench.passages, "Embedding models: passages to embed")->capture_default_str();
  cmd->add_option("--passage-tokens", o->bench.passage_tokens, "Embedding models: tokens per passage")
      ->capture_default_str();
  cmd->add_option("--query-tokens", o->bench.query_tokens, "Embedding models: tokens of the query")->capture_default_str();
  cmd->add_flag("--json", o->json, "Print JSON");
  cmd->callback([o] {
    const auto r = value_or_fail(run_bench(o->bench));
    if (r.passages_per_s > 0) {
      const json embedding{{"passages_per_s", r.passages_per_s},
                           {"tokens_per_s", r.embed_tokens_per_s},
                           {"query_ms", r.query_ms},
                           {"peak_rss_mb", r.peak_rss_mb},
                           {"file_mb", static_cast<double>(r.file_bytes) / (1 << 20)}};
      if (o->json) {
        std::cout << embedding.dump() << "\n";
      } else {
        std::cout << "passages: " << r.passages_per_s << " per s of " << o->bench.passage_tokens << " tokens ("
                  << r.embed_tokens_per_s << " tokens/s)\n"
                  << "query:    " << r.query_ms << " ms (" << o->bench.query_tokens << " tokens)\n"
                  << "peak RSS: " << r.peak_rss_mb << " MB\n";
      }
      return;
    }
    json out{{"prefill_tokens_per_s", r.prefill_tokens_per_s},
             {"decode_tokens_per_s", r.decode_tokens_per_s},
             {"peak_rss_mb", r.peak_rss_mb},
             {"file_mb", static_cast<double>(r.file_bytes) / (1 << 20)},
             {"kv_cache_mb", static_cast<double>(r.kv_cache_bytes) / (1 << 20)}};
    const auto& p = r.parallel;
    if (p.sequences > 0) {
      out["parallel_sequences"] = p.sequences;
      out["parallel_prompt_tokens"] = o->bench.prompt_tokens;
      out["parallel_decode_tokens_per_s"] = p.decode_tokens_per_s;
      out["parallel_sequence_decode_tokens_per_s"] = p.sequence_decode_tokens_per_s;
      out["parallel_ttft_ms_median"] = p.ttft_ms_median;
      out["parallel_ttft_ms_max"] = p.ttft_ms_max;
      out["parallel_total_tokens_per_s"] = p.total_tokens_per_s;
    }
    if (o->json) {
      std::cout << out.dump() << "\n";
      return;
    }
    std::cout << "prefill: " << r.prefill_tokens_per_s << " tokens/s (" << o->bench.prompt_tokens << " tokens)\n"
              << "decode:  " << r.decode_tokens_per_s << " tokens/s (" << o->bench.gen_tokens << " tokens)\n";
    if (p.sequences > 0) {
      std::cout << p.sequences << " sequences with " << o->bench.prompt_tokens << "-token prompts: decode "
                << p.decode_tokens_per_s << " tokens/s in total (" << p.sequence_decode_tokens_per_s
                << " per sequence), time to first token " << p.ttft_ms_median << " ms median, " << p.ttft_ms_max
                << " ms max\n";
    }
    std::cout << "peak RSS: " << r.peak_rss_mb << " MB (file " << out["file_mb"].get<double>() << " MB, KV cache "
              << out["kv_cache_mb"].get<double>() << " MB)\n";
  });
}

void add_synth(CLI::App& model) {
  struct Options {
    SynthShape shape;
    std::string vocab_from, type = "q8_0", out;
    bool untied = false;
  };
  auto o = std::make_shared<Options>();
  o->shape.context_length = 0;  // chosen by architecture unless given
  auto* cmd = model.add_subcommand("synth", "Write a random-weight model of any shape (for benchmarks)");
  cmd->add_option("--arch", o->shape.arch, "llama, qwen2, qwen3 or bert (an embedding encoder)")->capture_default_str();
  cmd->add_option("--context", o->shape.context_length, "Context length (default: 4096, bert 512)");
  cmd->add_option("--dim", o->shape.dim, "Embedding width")->required();
  cmd->add_option("--ff", o->shape.ff, "Feed-forward width")->required();
  cmd->add_option("--layers", o->shape.layers, "Layers")->required();
  cmd->add_option("--heads", o->shape.heads, "Attention heads")->required();
  cmd->add_option("--kv-heads", o->shape.kv_heads, "Key/value heads")->required();
  cmd->add_option("--vocab-from", o->vocab_from, "GGUF file whose tokenizer to use")->required();
  cmd->add_option("--type", o->type, "f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k, q4_k_m, q5_k_m")
      ->capture_default_str();
  cmd->add_option("--out", o->out, "Output GGUF file")->required();
  cmd->add_option("--seed", o->shape.seed, "Random seed")->capture_default_str();
  cmd->add_flag("--untied", o->untied, "Separate output matrix (default: tied to the token embeddings)");
  cmd->add_option("--vocab-size", o->shape.vocab_size,
                  "Rows of the embedding matrix, at least the tokenizer's tokens (default: exactly those)");
  cmd->callback([o] {
    const auto mix = parse_quant_mix(o->type);
    if (!mix) fail(make_error(ErrorCode::invalid_request, "unknown type '" + o->type + "'"));
    o->shape.tied_output = !o->untied;
    if (o->shape.context_length == 0) o->shape.context_length = o->shape.arch == "bert" ? 512 : 4096;
    ok_or_fail(synthesize_model(o->shape, o->vocab_from, *mix, o->out));
    std::cout << "wrote " << o->out << "\n";
  });
}

void add_quantize(CLI::App& model) {
  struct Options {
    std::string in, out, type;
  };
  auto o = std::make_shared<Options>();
  auto* cmd = model.add_subcommand("quantize", "Re-quantize a GGUF model");
  cmd->add_option("IN", o->in, "Input GGUF file")->required();
  cmd->add_option("OUT", o->out, "Output GGUF file")->required();
  cmd->add_option("--type", o->type, "f32, f16, bf16, q8_0, q4_0, q4_1, q5_0, q5_1, q4_k, q5_k, q6_k, q4_k_m, q5_k_m")
      ->required();
  cmd->callback([o] {
    const auto mix = parse_quant_mix(o->type);
    if (!mix) fail(make_error(ErrorCode::invalid_request, "unknown type '" + o->type + "'"));
    ok_or_fail(quantize_model(o->in, o->out, *mix));
    std::cout << "wrote " << o->out << "\n";
  });
}

void add_pull(CLI::App& model, std::function<Status(std::string_view url)> source_policy) {
  auto o = std::make_shared<PullRequest>();
  o->source_policy = std::move(source_policy);
  auto quiet = std::make_shared<bool>(false);
  auto* cmd = model.add_subcommand("pull", "Download a model over HTTPS, verified by its SHA-256");
  cmd->add_option("SOURCE", o->source, "https:// URL or known model name")->required();
  cmd->add_option("--sha256", o->sha256, "Expected SHA-256 (hex)")->required();
  cmd->add_option("--out", o->out, "Destination file")->required();
  cmd->add_flag("--quiet", *quiet, "No progress output");
  cmd->callback([o, quiet] {
    // A bar (MB, MB/s, time left) on a terminal, periodic lines otherwise; Ctrl-C deletes the partial download.
    const Interruption interruption;
    Progress progress("pull", "MB", 0, progress_style_for(stderr, *quiet));
    o->progress = [&progress](uint64_t received, uint64_t total) {
      if (total > 0) progress.set_total(static_cast<double>(total) / 1e6);
      progress.update(static_cast<double>(received) / 1e6);
    };
    o->cancelled = [] { return Interruption::requested(); };
    const auto pulled = pull_model(*o);
    o->progress = nullptr;
    if (!pulled.ok()) progress.clear();
    if (pulled.ok() && !pulled->already_present) progress.finish();
    const auto result = value_or_fail(pulled);
    if (result.already_present) {
      std::cout << o->out << " is already present and verified\n";
    } else {
      std::cout << "downloaded " << result.bytes << " bytes from " << result.url << " to " << o->out
                << " (SHA-256 verified)\n";
    }
  });
}

}  // namespace

void register_model_commands(CLI::App& root, std::function<Status(std::string_view url)> source_policy) {
  auto* model = root.add_subcommand("model", "Inspect, run, benchmark, build and download GGUF models");
  model->require_subcommand(1);
  add_info(*model);
  add_generate(*model);
  add_embed(*model);
  add_tokenize(*model);
  add_eval(*model);
  add_bench(*model);
  add_synth(*model);
  add_quantize(*model);
  add_pull(*model, std::move(source_policy));
}

}  // namespace parley::engine
