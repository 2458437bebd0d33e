import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DEFAULT_LEASE, TokenLeases, type LeaseOptions } from './redis-rate-limiter.js';

/** Leases on a hand-driven lease clock. */
function leases(perSecond: number, burst: number, options: Partial<LeaseOptions> = {}) {
  let now = 1_000;
  const subject = new TokenLeases(perSecond, burst, { ...DEFAULT_LEASE, ...options, now: () => now });
  return { subject, advance: (ms: number) => (now += ms) };
}

describe('TokenLeases', () => {
  it('leases what the bucket refills in one lease, at most the maximum, and nothing for a slow key', () => {
    assert.equal(new TokenLeases(0.01, 10, DEFAULT_LEASE).size, 0, 'at 0.01/s no token refills in 100 ms');
    assert.equal(new TokenLeases(9.99, 10, DEFAULT_LEASE).size, 0, 'under one token per lease: none');
    assert.equal(new TokenLeases(20, 40, DEFAULT_LEASE).size, 2, '20/s over 100 ms');
    assert.equal(new TokenLeases(1e9, 1e9, DEFAULT_LEASE).size, 10_000, 'capped at the maximum');
    assert.equal(new TokenLeases(1000, 10, { ...DEFAULT_LEASE, ms: 50, max: 1000 }).size, 50);
  });

  it('asks for a lease, shared by 2 × instances, only with no call in flight and at most half a lease left', () => {
    const { subject } = leases(1000, 1000, { instances: 3 });
    const first = subject.beforeCall(7);
    assert.deepEqual([first.want, first.share, first.back], [100, 6, 0]);
    const second = subject.beforeCall(7);
    assert.equal(second.want, 0, 'a second call while the first is in flight must not lease too');
    assert.equal(subject.beforeCall(8).want, 100, 'another key leases on its own');
    subject.afterCall(7, first.sentAt, { leased: 60, left: 500 });
    subject.afterCall(7, second.sentAt, { leased: 0, left: 499 });
    assert.equal(subject.unused(7), 60);
    const call = subject.beforeCall(7);
    assert.equal(call.want, 0, 'no lease while more than half of one is unused');
    subject.afterCall(7, call.sentAt, null);
    for (let i = 0; i < 10; i += 1) subject.take(7);
    assert.equal(subject.beforeCall(7).want, 100, 'half a lease left (50): the call tops it up');
  });

  it('calls for a top-up once a take leaves half a lease or less, and not while one is in flight', () => {
    const { subject, advance } = leases(1000, 1000, { ms: 100 });
    assert.equal(subject.topUpDue(1), false, 'no lease, nothing to top up: takes go to Redis themselves');
    const call = subject.beforeCall(1);
    subject.afterCall(1, call.sentAt, { leased: 100, left: 800 });
    const due: boolean[] = [];
    for (let i = 0; i < 51; i += 1) {
      subject.take(1);
      due.push(subject.topUpDue(1));
    }
    assert.equal(due.indexOf(true), 49, 'due from the take that leaves 50 unused (the 50th)');
    advance(30);
    const topUp = subject.beforeCall(1);
    assert.deepEqual([topUp.want, topUp.back], [100, 0]);
    assert.equal(subject.topUpDue(1), false, 'its top-up is in flight');
    advance(80); // 110 ms after the first call: its lease would have expired, the top-up's has not
    subject.afterCall(1, topUp.sentAt, { leased: 100, left: 650 });
    assert.equal(subject.unused(1), 149);
    assert.equal(subject.take(1)?.remaining, 798, 'the bucket as last seen (650) + 148 still unused after this one');
    advance(19);
    assert.ok(subject.take(1)?.allowed === true, 'the topped-up lease runs 100 ms from the top-up’s send');
    advance(1);
    assert.equal(subject.take(1), undefined, 'and not longer');
  });

  it('renews a lease half its time after its call was sent, topped back up to a lease, moving its expiry', () => {
    const { subject, advance } = leases(1000, 1000, { ms: 100 });
    const call = subject.beforeCall(1);
    subject.afterCall(1, call.sentAt, { leased: 100, left: 800 });
    for (let i = 0; i < 20; i += 1) subject.take(1);
    advance(49);
    subject.take(1);
    assert.equal(subject.topUpDue(1), false, '79 unused, 49 ms after the send: nothing due yet');
    advance(1);
    subject.take(1);
    assert.equal(subject.topUpDue(1), true, 'half the lease time gone');
    const renewal = subject.beforeCall(1);
    assert.deepEqual([renewal.want, renewal.back], [22, 0], 'tops the 78 unused back up to 100');
    assert.equal(subject.topUpDue(1), false, 'its renewal is in flight');
    subject.afterCall(1, renewal.sentAt, { leased: 22, left: 778 });
    assert.equal(subject.unused(1), 100);
    advance(99);
    assert.ok(subject.take(1)?.allowed === true, 'all of it handed out until 100 ms after the renewal was sent');
    advance(1);
    assert.equal(subject.take(1), undefined, 'and not longer');
  });

  it('keeps a key using less than half a lease per `ms` leased without a gap, holding at most 1.5 leases', () => {
    const { subject, advance } = leases(1000, 1_000_000, { ms: 100 });
    const first = subject.beforeCall(1);
    subject.afterCall(1, first.sentAt, { leased: first.want, left: 500_000 });
    let gaps = 0;
    let most = 0;
    // 3 tokens every 10 ms for 2 s: 30 per lease time, with the lease's calls answered at once.
    for (let tick = 0; tick < 200; tick += 1) {
      for (let i = 0; i < 3; i += 1) {
        if (subject.take(1) === undefined) gaps += 1;
        if (subject.topUpDue(1)) {
          const call = subject.beforeCall(1);
          subject.afterCall(1, call.sentAt, { leased: call.want, left: 500_000 });
        }
        most = Math.max(most, subject.unused(1));
      }
      advance(10);
    }
    assert.equal(gaps, 0, 'no take found the lease expired or empty');
    assert.ok(most <= 150, `held at most 150 tokens (${most})`);
  });

  it('hands out the leased tokens synchronously, counting RateLimit-Remaining down to the bucket as last seen', () => {
    const { subject } = leases(1000, 100);
    assert.equal(subject.take(1), undefined, 'no lease before a call');
    const call = subject.beforeCall(1);
    subject.afterCall(1, call.sentAt, { leased: 3, left: 50.5 });
    const decisions = [subject.take(1), subject.take(1), subject.take(1)];
    // 50.5 in the bucket + 3 leased: the headers of 53.5 tokens taken one by one.
    const expected = [52, 51, 50].map((remaining) => ({
      allowed: true,
      limit: 100,
      remaining,
      resetSeconds: 1,
      retryAfterSeconds: 0,
    }));
    assert.deepEqual(decisions, expected, 'remaining = the bucket as last seen + the lease tokens still unused');
    assert.equal(subject.take(1), undefined, 'a used-up lease answers nothing: the take goes to Redis');
    assert.equal(subject.unused(1), 0);
  });

  it('stops handing out a lease `ms` after its call was sent, and gives the rest back once', () => {
    const { subject, advance } = leases(1000, 1000, { ms: 100 });
    const call = subject.beforeCall(1);
    advance(60); // the answer comes 60 ms later: the lease still ends 100 ms after the send
    subject.afterCall(1, call.sentAt, { leased: 10, left: 500 });
    assert.ok(subject.take(1)?.allowed === true, 'a leased token within the lease');
    advance(39);
    assert.ok(subject.take(1)?.allowed === true, 'still within 100 ms of the send');
    advance(1);
    assert.equal(subject.take(1), undefined, 'expired: nothing more from the lease');
    const next = subject.beforeCall(1);
    assert.deepEqual([next.back, next.want], [8, 100], 'the 8 unused tokens go back with the next call');
    subject.afterCall(1, next.sentAt, null);
    assert.equal(subject.beforeCall(1).back, 0, 'given back once, even if that call failed');
  });

  it('takes no lease from a failed call and forgets keys with nothing leased', () => {
    const { subject } = leases(1000, 1000);
    const call = subject.beforeCall(1);
    subject.afterCall(1, call.sentAt, null);
    assert.equal(subject.take(1), undefined);
    assert.equal(subject.unused(1), 0);
    const again = subject.beforeCall(1);
    assert.equal(again.want, 100, 'the next call may lease again');
    subject.afterCall(1, again.sentAt, { leased: 0, left: 1 });
    assert.equal(subject.take(1), undefined, 'a lease of 0 (the bucket nearly empty) hands out nothing');
  });
});
