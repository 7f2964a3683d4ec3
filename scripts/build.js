// `npm run build`: the launcher, then the server and CLI (tsc) and the console (esbuild, then its
// pre-compressed copies) side by side: they write to different parts of dist/, and together they
// keep two cores busy where one after the other left one idle (~80 s → ~50 s on 2 cores).
const { runCommand } = require('./run-command');

/** Runs the commands one after the other; resolves with the first failing exit code, else 0. */
async function chain(commands) {
  for (const command of commands) {
    const { code } = await runCommand(command);
    if (code !== 0) {
      process.stderr.write(`build: \`${command}\` failed (exit ${code})\n`);
      return code;
    }
  }
  return 0;
}

require('./build-launcher').buildLauncher();
Promise.all([
  chain(['npx nest build server', 'npx nest build cli']),
  chain(['npx ng build --configuration production', 'node scripts/compress-console.mjs']),
]).then((codes) => process.exit(codes.find((c) => c !== 0) ?? 0));
