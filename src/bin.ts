#!/usr/bin/env node
// The SDK's Node 20 notice would be printed in the middle of a run's output.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
const { main } = await import('./main.js');
process.exitCode = await main(process.argv);
// The command is over. An SDK waiter that was stopped (timeout, Ctrl-C) keeps its poll timer, up
// to 30s, and would hold the process that long after the error was printed: leave soon anyway.
setTimeout(() => process.exit(), 1000).unref();
