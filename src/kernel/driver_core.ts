/**
 * The driver core's report of a failed probe (drivers/base/dd.c): really_probe() up to 6.8,
 * call_driver_probe() from 6.9 on, per the profile's probeFailMsg.
 */
import { ENODEV, ENXIO } from './state.js';
import { KERN_ERR, KERN_WARNING, type KMsg } from './printk.js';
import type { KernelProfile } from '../kernels/types.js';

/** The line a failed probe of `dev` by driver `drv` prints, or null (-ENODEV/-ENXIO: debug level only). */
export function probeFailure(p: KernelProfile, drv: string, dev: string, errno: number): KMsg | null {
  if (errno === ENXIO || errno === ENODEV) return null;
  if (p.probeFailMsg === 'v6.9') return { level: KERN_ERR, site: 'drivers/base/dd.c:call_driver_probe', fmt: '%s %s: probe with driver %s failed with error %d\n', args: [drv, dev, drv, errno] };
  return { level: KERN_WARNING, site: 'drivers/base/dd.c:really_probe', fmt: '%s: probe of %s failed with error %d\n', args: [drv, dev, errno] };
}
