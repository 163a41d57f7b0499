import { limitHeapGrowth } from '../core/heap.js';
import { main } from './main.js';
import { processIo } from './io.js';

const argv = process.argv.slice(2);
// Before any parsing: V8 sets its next collection point at every full collection. Not for the
// sandbox, a long-running server whose throughput matters more than its memory.
if (argv[0] !== 'sandbox') limitHeapGrowth();
const io = processIo({ debug: argv.includes('--debug'), noColor: argv.includes('--no-color') });
process.exitCode = await main(argv, io);
