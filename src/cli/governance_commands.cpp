// Data governance (issue 17):
//   parley workspace retention [--conversations-days N] [--leads-days M] [--run] [--json]
//   parley erase --visitor ID | --email E [--json]
//   parley conversations export-finetune --bot ID [-o FILE] [--include-negative] [--no-redact]
// The CLI acts in the default workspace (retention, erasure) or the bot's, with the operator's authority; each action
// is audited as "cli".
#include <fstream>
#include <iostream>

#include "cli/commands.h"
#include "common/clock.h"
#include "governance/erasure.h"
#include "governance/finetune.h"
#include "governance/retention.h"

namespace parley::cli {
namespace {

struct Opened {
  std::unique_ptr<store::Store> store;
  std::string workspace_id;
};

Result<Opened> open_default_workspace(const Globals& globals) {
  PARLEY_ASSIGN_OR_RETURN(const Config config, load_config(globals.data_dir));
  PARLEY_ASSIGN_OR_RETURN(auto store, open_data_store(globals));
  PARLEY_ASSIGN_OR_RETURN(std::string workspace, default_workspace(*store, config));
  return Opened{std::move(store), std::move(workspace)};
}

std::string days_text(int days) { return days <= 0 ? "kept forever" : std::to_string(days) + " days"; }

void add_retention_command(CLI::App& app, Globals& globals) {
  auto* workspace = app.add_subcommand("workspace", "Workspace settings");
  workspace->require_subcommand(1);
  struct Options {
    std::optional<int> conversation_days;
    std::optional<int> lead_days;
    bool run = false;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  auto* retention = workspace->add_subcommand(
      "retention", "Show or set how many days conversations and leads are kept after their last activity (0: forever)");
  retention->add_option("--conversations-days", options->conversation_days, "Keep conversations (and their messages) this many days");
  retention->add_option("--leads-days", options->lead_days, "Keep leads this many days");
  retention->add_flag("--run", options->run, "Apply the retention to every bot now (the server does it daily)");
  retention->add_flag("--json", options->json, "Print JSON");
  retention->callback(command_action(globals, [&globals, options]() -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto opened, open_default_workspace(globals));
    store::Retention current;
    std::vector<store::Bot> bots;
    PARLEY_TRY(opened.store->read(store::Scope::workspace(opened.workspace_id), [&](store::ReadTx& tx) -> Status {
      PARLEY_ASSIGN_OR_RETURN(const auto found, tx.workspace(opened.workspace_id));
      if (!found) return make_error(ErrorCode::not_found, "no such workspace: " + opened.workspace_id);
      current = found->retention;
      PARLEY_ASSIGN_OR_RETURN(bots, tx.bots());
      return {};
    }));
    if (options->conversation_days || options->lead_days) {
      store::Retention wanted = current;
      if (options->conversation_days) wanted.conversation_days = *options->conversation_days;
      if (options->lead_days) wanted.lead_days = *options->lead_days;
      PARLEY_TRY(governance::set_retention(*opened.store, opened.workspace_id, wanted, "cli"));
      current = wanted;
    }
    store::Json view = governance::retention_json(current);
    if (options->run) {
      store::PurgeCounts total;
      for (const auto& bot : bots) {
        PARLEY_ASSIGN_OR_RETURN(const auto purged, governance::apply_retention(*opened.store, opened.workspace_id, bot.id,
                                                                              unix_millis(), {}, {}, "cli"));
        total.conversations += purged.conversations;
        total.messages += purged.messages;
        total.leads += purged.leads;
      }
      view["deleted"] = {{"conversations", total.conversations}, {"messages", total.messages}, {"leads", total.leads}};
    }
    if (options->json) {
      std::cout << view.dump() << "\n";
      return {};
    }
    std::cout << "conversations: " << days_text(current.conversation_days) << "\n"
              << "leads:         " << days_text(current.lead_days) << "\n";
    if (options->run) {
      std::cout << "deleted " << view["deleted"]["conversations"] << " conversations (" << view["deleted"]["messages"]
                << " messages) and " << view["deleted"]["leads"] << " leads\n";
    }
    return {};
  }));
}

void add_erase_command(CLI::App& app, Globals& globals) {
  struct Options {
    std::string visitor;
    std::string email;
    bool json = false;
  };
  auto options = std::make_shared<Options>();
  auto* erase = app.add_subcommand(
      "erase", "Erase one person's conversations, messages, leads and the payloads of deliveries that carried them");
  auto* visitor = erase->add_option("--visitor", options->visitor, "The visitor's conversation id (conv_...) or visitor token");
  auto* email = erase->add_option("--email", options->email, "The email address they left in a lead form");
  visitor->excludes(email);
  erase->add_flag("--json", options->json, "Print JSON");
  erase->callback(command_action(globals, [&globals, options]() -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto opened, open_default_workspace(globals));
    PARLEY_ASSIGN_OR_RETURN(const auto counts, governance::erase_person(*opened.store, opened.workspace_id,
                                                                      {options->visitor, options->email}, "cli"));
    if (options->json) {
      std::cout << governance::erasure_json(counts).dump() << "\n";
    } else if (counts.nothing()) {
      std::cout << "nothing to erase: no conversation, lead or delivery of this "
                << (options->email.empty() ? "visitor" : "email") << "\n";
    } else {
      std::cout << "erased " << counts.conversations << " conversations (" << counts.messages << " messages), "
                << counts.leads << " leads, and the payloads of " << counts.deliveries << " deliveries\n";
    }
    return {};
  }));
}

void add_finetune_command(CLI::App& app, Globals& globals) {
  struct Options {
    std::string bot;
    std::string output;
    bool include_negative = false;
    bool no_redact = false;
  };
  auto options = std::make_shared<Options>();
  auto* conversations = app.add_subcommand("conversations", "A bot's conversations");
  conversations->require_subcommand(1);
  auto* exported = conversations->add_subcommand(
      "export-finetune", "Rated conversations as JSON Lines in OpenAI's chat fine-tuning format, personal data redacted");
  exported->add_option("--bot", options->bot, "The bot's id")->required();
  exported->add_option("--output,-o", options->output, "Write to this file instead of standard output");
  exported->add_flag("--include-negative", options->include_negative,
                     "Also conversations rated thumbs-down (their bad answers carry weight 0)");
  exported->add_flag("--no-redact", options->no_redact, "Keep personal data as written (audited)");
  exported->callback(command_action(globals, [&globals, options]() -> Status {
    PARLEY_ASSIGN_OR_RETURN(auto store, open_data_store(globals));
    PARLEY_ASSIGN_OR_RETURN(const std::string workspace, workspace_of_bot(*store, options->bot));
    governance::FinetuneOptions wanted;
    wanted.include_negative = options->include_negative;
    wanted.redact = !options->no_redact;
    PARLEY_ASSIGN_OR_RETURN(const auto result, governance::export_finetune(*store, workspace, options->bot, wanted, "cli"));
    if (options->output.empty()) {
      std::cout << result.jsonl << std::flush;
      return {};
    }
    std::ofstream out(options->output, std::ios::binary | std::ios::trunc);
    out << result.jsonl;
    if (!out) return make_error(ErrorCode::internal, "cannot write " + options->output);
    std::cerr << result.conversations << " conversations written to " << options->output << "\n";
    return {};
  }));
}

}  // namespace

void add_governance_commands(CLI::App& app, Globals& globals) {
  add_retention_command(app, globals);
  add_erase_command(app, globals);
  add_finetune_command(app, globals);
}

}  // namespace parley::cli
