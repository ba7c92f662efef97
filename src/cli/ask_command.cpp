// parley ask --bot ID [--json] "question": the bot's answer, as the chat endpoint would give it.
// parley ask --bot ID --batch FILE: one question per line in, one JSON answer per line out (evaluation runs).
#include <fstream>
#include <iostream>

#include <nlohmann/json.hpp>

#include "api/views.h"
#include "chat/chat_service.h"
#include "cli/commands.h"
#include "cli/providers.h"
#include "semantic/semantic_index.h"

namespace parley::cli {

void add_ask_command(CLI::App& app, Globals& globals) {
  auto* ask = app.add_subcommand("ask", "Ask a bot a question");
  struct Options {
    std::string bot;
    std::string question;
    std::string batch;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  ask->add_option("--bot", options->bot, "Bot id")->required();
  ask->add_flag("--json", options->json, "Print {answer, mode, confidence, sources} as JSON");
  auto* question = ask->add_option("question", options->question, "The question");
  auto* batch = ask->add_option("--batch", options->batch, "File with one question per line; prints JSON lines");
  question->excludes(batch);
  ask->callback(command_action(globals, [&globals, options]() -> Status {
    if (options->question.empty() && options->batch.empty()) {
      return make_error(ErrorCode::invalid_request, "give a question (or --batch FILE)");
    }
    PARLEY_ASSIGN_OR_RETURN(const Config config, load_config(globals.data_dir));
    PARLEY_ASSIGN_OR_RETURN(auto store, open_data_store(globals));
    // Hybrid retrieval with the configured embedding model (vectors as `parley bot embed` or the server stored them).
    std::shared_ptr<semantic::SemanticIndex> semantic;
    if (!config.engine.embedding_model.empty()) {
      auto embedder = load_embedding_model(config);
      if (embedder.ok()) {
        semantic = std::make_shared<semantic::SemanticIndex>(*store, *embedder, semantic::SemanticOptions{.background = false});
      } else {
        std::cerr << "warning: " << embedder.error().message << "; answering with lexical retrieval only\n";
      }
    }
    const search::Retriever retriever(semantic);
    const chat::ChatService chat(*store, retriever);
    const auto as_json = [](const chat::ComposedAnswer& answer) {
      return nlohmann::json{{"answer", answer.text},
                            {"mode", answer.mode},
                            {"confidence", answer.confidence},
                            {"sources", api::citations_view(answer.sources)}};
    };
    if (!options->batch.empty()) {
      std::ifstream in(options->batch);
      if (!in) return make_error(ErrorCode::not_found, "cannot read " + options->batch);
      for (std::string line; std::getline(in, line);) {
        auto answer = chat.answer(store::Scope::system(), options->bot, line);
        std::cout << (answer.ok() ? as_json(*answer)
                                  : nlohmann::json{{"error", {{"code", std::string(error_code_name(answer.error().code))},
                                                              {"message", answer.error().message}}}})
                         .dump()
                  << "\n";
      }
      return {};
    }
    PARLEY_ASSIGN_OR_RETURN(const auto answer, chat.answer(store::Scope::system(), options->bot, options->question));
    if (options->json) {
      std::cout << as_json(answer).dump() << "\n";
      return {};
    }
    std::cout << answer.text << "\n\n[" << answer.mode << ", confidence " << answer.confidence << "]\n";
    for (const auto& source : answer.sources) std::cout << "  - " << source.title << " (" << source.url << ")\n";
    return {};
  }));
}

}  // namespace parley::cli
