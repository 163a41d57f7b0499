import { limitHeapGrowth } from '../core/heap.js';
import { main } from './main.js';
import { processIo } from './io.js';

// Before any parsing: V8 sets its next collection point at every full collection.
limitHeapGrowth();
const argv = process.argv.slice(2);
const io = processIo({ debug: argv.includes('--debug'), noColor: argv.includes('--no-color') });
process.exitCode = await main(argv, io);
