/**
 * drivers/base/dd.c: what a failed probe prints (src/kernel/driver_core.ts). really_probe()
 * (<= v6.8) / call_driver_probe() (v6.9+): -ENODEV and -ENXIO are only a pr_debug ("probe of %s
 * rejects match %d", not modelled); any other error is reported, pr_warn before v6.9, dev_err after.
 */
import { describe, expect, it } from 'vitest';
import { probeFailure } from '../src/kernel/driver_core.js';
import { EINVAL, ENODEV, ENOMEM, ENXIO } from '../src/kernel/state.js';
import { findProfile } from '../src/kernels/index.js';

describe('probeFailure()', () => {
  for (const id of ['v6.1', 'v6.18']) {
    it(`${id}: -ENODEV and -ENXIO print nothing`, () => {
      expect(probeFailure(findProfile(id)!, 'device_dax', 'dax0.0', ENODEV)).toBeNull();
      expect(probeFailure(findProfile(id)!, 'device_dax', 'dax0.0', ENXIO)).toBeNull();
    });
  }
  it('v6.1: really_probe() pr_warn "%s: probe of %s failed with error %d"', () => {
    expect(probeFailure(findProfile('v6.1')!, 'dax_pmem', 'pfn0.0', ENOMEM)).toEqual({ level: 4, site: 'drivers/base/dd.c:really_probe', fmt: '%s: probe of %s failed with error %d\n', args: ['dax_pmem', 'pfn0.0', ENOMEM] });
  });
  it('v6.18: call_driver_probe() dev_err "<driver> <device>: probe with driver %s failed with error %d"', () => {
    expect(probeFailure(findProfile('v6.18')!, 'dax_pmem', 'pfn0.0', EINVAL)).toEqual({ level: 3, site: 'drivers/base/dd.c:call_driver_probe', fmt: '%s %s: probe with driver %s failed with error %d\n', args: ['dax_pmem', 'pfn0.0', 'dax_pmem', EINVAL] });
  });
});
