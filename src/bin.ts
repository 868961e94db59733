#!/usr/bin/env node
import module from 'node:module';
import { homedir } from 'node:os';
import { join } from 'node:path';

// The SDK's Node 20 notice would be printed in the middle of a run's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
// Node 22.1+ keeps compiled code between runs, a large part of start-up; Node 20 has no such API.
const cache = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
(module as { enableCompileCache?: (dir: string) => unknown }).enableCompileCache?.(join(cache, 'migrate', 'compile'));
// The bundle's stack traces point to src/ through its source maps; parsing them costs every run
// several per cent of start-up, so only --debug (the one way a stack is printed) pays for it.
if (process.argv.includes('--debug')) process.setSourceMapsEnabled(true);
const { main } = await import('./main.js');
process.exitCode = await main(process.argv);
// The command is over. An SDK waiter that was stopped (timeout, Ctrl-C) keeps its poll timer, up
// to 30s, and would hold the process that long after the error was printed: leave soon anyway.
setTimeout(() => process.exit(), 1000).unref();
