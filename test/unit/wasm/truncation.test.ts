// Every protocol at every truncation length: the descriptor says the frame is shorter than the bytes in the slot
// (the rest of the frame is still there, so reading past the descriptor's length would show). Each length must
// give exactly one sensible verdict: a cut IP packet is never punted and never forwarded as multicast by group.

import { describe, expect, it } from 'vitest';
import { sampleFrames } from '../../../src/testkit/frames.js';
import { newCore } from './harness.js';

/** Reasons a cut frame may be dropped for. */
const PARSE_REASONS = new Set(['runt', 'vlan_header', 'ipv4_header', 'ipv6_header']);

describe('truncated frames', () => {
  const core = newCore({ maxBatch: 1 });
  // Unregistered groups flooded, so every whole frame goes somewhere.
  core.setPolicy('flood', 'snoop');
  core.setPortFlags(0n, 0n, 0b1111n);
  for (const { name, frame } of sampleFrames()) {
    it(name, () => {
      // The whole frame is valid: punted or forwarded.
      core.writeFrame(0, frame, 0);
      core.process(1, 1000);
      const whole = core.verdict(0);
      expect(whole.action, `${name} whole`).not.toBe('drop');
      const isIp = whole.l3Offset > 0 && [0x0800, 0x86dd].includes((frame[whole.l3Offset - 2]! << 8) | frame[whole.l3Offset - 1]!);
      const isUnicast = (frame[0]! & 1) === 0;
      for (let len = 0; len < frame.length; len++) {
        core.writeDescriptor(0, core.slotAddress(0) + core.layout.slotHeadroom, len, 0);
        const punted = core.process(1, 1000);
        const v = core.verdict(0);
        const where = `${name} cut to ${len}`;
        expect(punted, where).toBe(0);
        expect(['drop', 'forward'], where).toContain(v.action);
        if (len < 14) expect(v.reason, where).toBe('runt');
        else if (isIp && !isUnicast) {
          // Total/payload length no longer fits: the IP header check catches every cut.
          expect(v.action, where).toBe('drop');
          expect(PARSE_REASONS.has(v.reason), `${where}: ${v.reason}`).toBe(true);
        }
      }
    });
  }
});
