#!/usr/bin/env node
import { main, quietOnClosedPipes } from '../dist/src/cli/main.js';

quietOnClosedPipes();

process.exitCode = await main(process.argv.slice(2));
