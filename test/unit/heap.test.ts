import v8 from 'node:v8';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { HEAP_GROWING_PERCENT, limitHeapGrowth } from '../../src/core/heap.js';

describe('limitHeapGrowth', () => {
  afterEach(() => vi.restoreAllMocks());

  it('bounds how far the old generation grows past the live data', () => {
    const set = vi.spyOn(v8, 'setFlagsFromString').mockImplementation(() => undefined);
    limitHeapGrowth([]);
    expect(set).toHaveBeenCalledWith(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    expect(HEAP_GROWING_PERCENT).toBeGreaterThan(0);
    expect(HEAP_GROWING_PERCENT).toBeLessThanOrEqual(50);
  });

  it('leaves a value given to node itself alone', () => {
    const set = vi.spyOn(v8, 'setFlagsFromString').mockImplementation(() => undefined);
    limitHeapGrowth(['--heap-growing-percent=80']);
    limitHeapGrowth(['--heap_growing_percent=80']);
    expect(set).not.toHaveBeenCalled();
  });

  it('is applied by both process entries before they run anything, the sandbox server excepted', async () => {
    const fs = await import('node:fs');
    const cli = fs.readFileSync('src/cli/index.ts', 'utf8');
    expect(cli).toContain("if (argv[0] !== 'sandbox') limitHeapGrowth();");
    expect(cli.indexOf('limitHeapGrowth();')).toBeLessThan(cli.indexOf('await main('));
    const action = fs.readFileSync('src/action/index.ts', 'utf8');
    expect(action.indexOf('limitHeapGrowth();')).toBeGreaterThan(-1);
    expect(action.indexOf('limitHeapGrowth();')).toBeLessThan(action.indexOf('await run('));
  });
});
