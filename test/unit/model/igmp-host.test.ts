// The host-side model of the differential harness (test/model/igmp-host.ts) against the RFC 3376 text: the §3.2
// merge of socket filters, the §5.1 state-change table, §5.2 current state, §7.2.1 IGMPv2 mode, and the socket calls
// as Linux applies them.

import { describe, expect, it } from 'vitest';
import { RecordType as R } from '../../../src/wire/igmp.js';
import {
  applySocketCall, currentStateRecord, interfaceState, stateChangeRecords, v2Message, type Filter,
} from '../../model/igmp-host.js';

const S1 = '192.0.2.1';
const S2 = '192.0.2.2';
const S3 = '192.0.2.3';
const IN = (...s: string[]): Filter => ({ mode: 'include', sources: s });
const EX = (...s: string[]): Filter => ({ mode: 'exclude', sources: s });

describe('RFC 3376 §3.2: interface state from the sockets', () => {
  it('no socket, or only empty INCLUDE filters: no state', () => {
    expect(interfaceState([])).toBeNull();
    expect(interfaceState([IN()])).toBeNull();
  });
  it('INCLUDE filters merge into the union', () => {
    expect(interfaceState([IN(S2), IN(S1)])).toEqual(IN(S1, S2));
  });
  it('any EXCLUDE: the intersection of the exclude lists minus every included source', () => {
    expect(interfaceState([EX(S1, S2), EX(S2, S3)])).toEqual(EX(S2));
    expect(interfaceState([IN(S1), EX(S1, S2)])).toEqual(EX(S2));
    expect(interfaceState([EX(S1), EX()])).toEqual(EX());
  });
});

describe('RFC 3376 §5.1: state-change records', () => {
  it('INCLUDE → INCLUDE: ALLOW (B-A), BLOCK (A-B)', () => {
    expect(stateChangeRecords(IN(S1), IN(S2))).toEqual([
      { type: R.ALLOW_NEW_SOURCES, sources: [S2] }, { type: R.BLOCK_OLD_SOURCES, sources: [S1] },
    ]);
    expect(stateChangeRecords(null, IN(S1))).toEqual([{ type: R.ALLOW_NEW_SOURCES, sources: [S1] }]);
  });
  it('EXCLUDE → EXCLUDE: ALLOW (A-B), BLOCK (B-A)', () => {
    expect(stateChangeRecords(EX(S1), EX(S2))).toEqual([
      { type: R.ALLOW_NEW_SOURCES, sources: [S1] }, { type: R.BLOCK_OLD_SOURCES, sources: [S2] },
    ]);
  });
  it('a change of mode: TO_EX (B) / TO_IN (B); a leave is TO_IN ({})', () => {
    expect(stateChangeRecords(IN(S1), EX(S2))).toEqual([{ type: R.CHANGE_TO_EXCLUDE_MODE, sources: [S2] }]);
    expect(stateChangeRecords(null, EX())).toEqual([{ type: R.CHANGE_TO_EXCLUDE_MODE, sources: [] }]);
    expect(stateChangeRecords(EX(S1), null)).toEqual([{ type: R.CHANGE_TO_INCLUDE_MODE, sources: [] }]);
  });
  it('no change, no record', () => {
    expect(stateChangeRecords(EX(S1), EX(S1))).toEqual([]);
  });
});

describe('RFC 3376 §5.2 and §7.2.1', () => {
  it('a General Query is answered with IS_IN / IS_EX, or not at all', () => {
    expect(currentStateRecord(IN(S1))).toEqual({ type: R.MODE_IS_INCLUDE, sources: [S1] });
    expect(currentStateRecord(EX())).toEqual({ type: R.MODE_IS_EXCLUDE, sources: [] });
    expect(currentStateRecord(null)).toBeNull();
  });
  it('an IGMPv2 host reports when the group appears and leaves when it goes, whatever the sources', () => {
    expect(v2Message(null, IN(S1))).toBe('report');
    expect(v2Message(IN(S1), EX(S2))).toBeNull();
    expect(v2Message(EX(), null)).toBe('leave');
  });
});

describe('socket calls as Linux applies them', () => {
  it('any-source join, block, unblock, drop', () => {
    let f = applySocketCall(null, 'IP_ADD_MEMBERSHIP');
    expect(f).toEqual(EX());
    f = applySocketCall(f, 'MCAST_BLOCK_SOURCE', S1);
    expect(f).toEqual(EX(S1));
    f = applySocketCall(f, 'IP_UNBLOCK_SOURCE', S1);
    expect(f).toEqual(EX());
    expect(applySocketCall(f, 'MCAST_LEAVE_GROUP')).toBeNull();
  });
  it('source joins; dropping the last source leaves the group', () => {
    let f = applySocketCall(null, 'MCAST_JOIN_SOURCE_GROUP', S2);
    f = applySocketCall(f, 'IP_ADD_SOURCE_MEMBERSHIP', S1);
    expect(f).toEqual(IN(S1, S2));
    f = applySocketCall(f, 'IP_DROP_SOURCE_MEMBERSHIP', S1);
    expect(applySocketCall(f, 'MCAST_LEAVE_SOURCE_GROUP', S2)).toBeNull();
  });
  it('refuses what the kernel refuses', () => {
    expect(() => applySocketCall(IN(S1), 'IP_BLOCK_SOURCE', S2)).toThrow(/EINVAL/);
    expect(() => applySocketCall(EX(), 'IP_ADD_SOURCE_MEMBERSHIP', S1)).toThrow(/EINVAL/);
    expect(() => applySocketCall(EX(), 'IP_ADD_MEMBERSHIP')).toThrow(/EADDRINUSE/);
  });
});
