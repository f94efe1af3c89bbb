// Entry point of the bundle: everything else is in cli.ts.
import { main } from "./cli.js";

process.exitCode = await main(process.argv.slice(2));
