import { main } from './main.js';
import { processIo } from './io.js';

const argv = process.argv.slice(2);
const io = processIo({ debug: argv.includes('--debug'), noColor: argv.includes('--no-color') });
process.exitCode = await main(argv, io);
