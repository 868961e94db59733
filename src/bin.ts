#!/usr/bin/env node
import module from 'node:module';
import { join } from 'node:path';
import { helpCacheFile, keepHelp, printCachedHelp } from './output/help-cache.js';
import { codeCacheCommand } from './startup/command-word.js';

// The SDK's Node 20 notice would be printed in the middle of a run's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Node 22.1+ keeps compiled code between runs, a large part of start-up; Node 20 has no such API.
// HOME first: node:os is one more module to load on every start.
const cache = process.env.XDG_CACHE_HOME || join(process.env.HOME || (await import('node:os')).homedir(), '.cache');
(module as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache?.(join(cache, 'migrate', 'compile'));
// The bundle's stack traces point to src/ through its source maps; parsing them costs every run
// several per cent of start-up, so only --debug (the one way a stack is printed) pays for it.
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
const help = helpCacheFile(process.argv, cache);
if (help && printCachedHelp(help)) {
  process.exitCode = 0;
} else {
  // The short commands that load the AWS SDK start from one file and a V8 code cache instead.
  const command = codeCacheCommand(process.argv);
  const cached = command ? (await import('./startup/code-cache.js')).loadCachedMain(cache, command) : undefined;
  const { main } = cached ?? (await import('./main.js'));
  process.exitCode = help ? await keepHelp(help, () => main(process.argv)) : await main(process.argv);
  cached?.keep(process.exitCode);
}
// The command is over. An SDK waiter that was stopped (timeout, Ctrl-C) keeps its poll timer, up
// to 30s, and would hold the process that long after the error was printed: leave soon anyway.
setTimeout(() => process.exit(), 1000).unref();
