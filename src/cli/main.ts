import { Command } from "commander";
import { registerCampaignCommands } from "./campaign-commands.js";
import { registerDataCommands } from "./data-commands.js";
import { registerServiceCommands } from "./services.js";
import { registerStudioCommand } from "./studio-command.js";
import { registerSupportCommands } from "./support-commands.js";

const program = new Command()
  .name("rekindle")
  .description("Retention email engine for subscription businesses.")
  .showHelpAfterError();


registerServiceCommands(program);
registerCampaignCommands(program);
registerSupportCommands(program);
registerDataCommands(program);
registerStudioCommand(program);

await program.parseAsync(process.argv);
