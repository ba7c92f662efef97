// parley ask --bot ID [--json] "question": the bot's answer, as the chat endpoint would give it.
#include <iostream>

#include <nlohmann/json.hpp>

#include "api/views.h"
#include "chat/chat_service.h"
#include "cli/commands.h"

namespace parley::cli {

void add_ask_command(CLI::App& app, Globals& globals) {
  auto* ask = app.add_subcommand("ask", "Ask a bot a question");
  struct Options {
    std::string bot;
    std::string question;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  ask->add_option("--bot", options->bot, "Bot id")->required();
  ask->add_flag("--json", options->json, "Print {answer, mode, confidence, sources} as JSON");
  ask->add_option("question", options->question, "The question")->required();
  ask->callback([&globals, options] {
    auto store = open_data_store(globals);
    if (!store.ok()) {
      globals.exit_code = fail(store.error());
      return;
    }
    const search::Retriever retriever;
    const chat::ChatService chat(**store, retriever);
    auto answer = chat.answer(store::Scope::system(), options->bot, options->question);
    if (!answer.ok()) {
      globals.exit_code = fail(answer.error());
      return;
    }
    if (options->json) {
      std::cout << nlohmann::json{{"answer", answer->text},
                                  {"mode", answer->mode},
                                  {"confidence", answer->confidence},
                                  {"sources", api::citations_view(answer->sources)}}
                       .dump()
                << "\n";
      return;
    }
    std::cout << answer->text << "\n\n[" << answer->mode << ", confidence " << answer->confidence << "]\n";
    for (const auto& source : answer->sources) std::cout << "  - " << source.title << " (" << source.url << ")\n";
  });
}

}  // namespace parley::cli
