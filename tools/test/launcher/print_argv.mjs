// Stands in for the bundle in the launcher test: prints, as one JSON line, what reached node.
process.stdout.write(
  `${JSON.stringify({ execArgv: process.execArgv, argv: process.argv.slice(2), cwd: process.cwd(), viaWrapper: process.env["VIA_NODE_WRAPPER"] ?? null })}\n`,
);
