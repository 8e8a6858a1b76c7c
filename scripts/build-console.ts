// `npm run build` runs this after tsc: bundles the console into dist/console/.
import { buildConsole, CONSOLE_OUT } from "../src/console/build.js";

const result = await buildConsole({ force: process.argv.includes("--force") });
process.stdout.write(result.built ? `console built into ${CONSOLE_OUT}: ${result.files.join(", ")}\n` : "console is up to date\n");
