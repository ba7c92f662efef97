// parley leads export --bot ID [--format csv|json] [--output FILE] | parley leads list --bot ID [--json]
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "leads/lead_service.h"

namespace parley::cli {
namespace {

Result<std::vector<store::Lead>> all_leads(const Globals& globals, const std::string& bot_id, int limit) {
  PARLEY_ASSIGN_OR_RETURN(auto store, open_data_store(globals));
  PARLEY_ASSIGN_OR_RETURN(const std::string workspace, workspace_of_bot(*store, bot_id));
  std::vector<store::Lead> found;
  PARLEY_TRY(store->read(store::Scope::workspace(workspace), [&](store::ReadTx& tx) -> Status {
    store::LeadFilter filter;
    filter.limit = limit;
    PARLEY_ASSIGN_OR_RETURN(found, tx.leads(bot_id, filter));
    return {};
  }));
  return found;
}

}  // namespace

void add_lead_commands(CLI::App& app, Globals& globals) {
  auto* leads = app.add_subcommand("leads", "The contact details visitors left with a bot");
  leads->require_subcommand(1);

  struct ExportOptions {
    std::string bot;
    std::string format = "csv";
    std::string output;
  };
  auto options = std::make_shared<ExportOptions>();
  auto* exported = leads->add_subcommand("export", "Print (or write) every lead of a bot as CSV or JSON, newest first");
  exported->add_option("--bot", options->bot, "The bot's id")->required();
  exported->add_option("--format", options->format, "csv (default) or json")->check(CLI::IsMember({"csv", "json"}));
  exported->add_option("--output,-o", options->output, "Write to this file instead of standard output");
  exported->callback(command_action(globals, [&globals, options]() -> Status {
    PARLEY_ASSIGN_OR_RETURN(const auto found, all_leads(globals, options->bot, 1'000'000));
    std::string text;
    if (options->format == "json") {
      store::Json rows = store::Json::array();
      for (const auto& lead : found) rows.push_back(leads::lead_json(lead));
      text = rows.dump(2) + "\n";
    } else {
      text = leads::leads_csv(found);
    }
    if (options->output.empty()) {
      std::cout << text << std::flush;
      return {};
    }
    std::ofstream out(options->output, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) return make_error(ErrorCode::internal, "cannot write " + options->output);
    std::cerr << found.size() << " leads written to " << options->output << "\n";
    return {};
  }));

  auto list_bot = std::make_shared<std::string>();
  auto list_json = std::make_shared<bool>(false);
  auto* list = leads->add_subcommand("list", "List the latest 50 leads of a bot");
  list->add_option("--bot", *list_bot, "The bot's id")->required();
  list->add_flag("--json", *list_json, "Print JSON");
  list->callback(command_action(globals, [&globals, list_bot, list_json]() -> Status {
    PARLEY_ASSIGN_OR_RETURN(const auto found, all_leads(globals, *list_bot, 50));
    for (const auto& lead : found) {
      if (*list_json) {
        std::cout << leads::lead_json(lead).dump() << "\n";
      } else {
        std::cout << lead.id << "  " << lead.name << "  " << lead.email << "  " << lead.phone << "\n";
      }
    }
    return {};
  }));
}

}  // namespace parley::cli
