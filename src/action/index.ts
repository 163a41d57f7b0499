import { limitHeapGrowth } from '../core/heap.js';
import { run } from './main.js';

limitHeapGrowth();
await run();
