import type { BenchChild } from '../lib/child.ts';
import type { BenchContext } from '../lib/context.ts';
import { keysIn } from '../../test/support/alert-keys.ts';
import { hooklineEnv } from '../lib/env.ts';
import type { AlertLog, BurstResult, StandInMessage } from '../lib/messages.ts';
import { median } from '../lib/stats.ts';
import { loadConfig } from '../../src/config/load-config.ts';

export type AlertSide = 'digests' | 'per-event';

/** When each event key was first named, and what the messages were, for one destination. */
export type Mentions = {
  /** Every accepted event named in at least one message within the bound. */
  complete: boolean;
  named: number;
  /** Messages that name at least one of the burst's events. */
  messages: number;
  /** Accepted messages that name none of them (should be 0: the stand-in is fresh for each run). */
  otherMessages: number;
  /** From the burst's first request to the first / last message naming one of its events. */
  firstMentionSeconds: number;
  lastMentionSeconds: number;
  /** Per event: its 202 → the first message naming it. */
  meanLatenessSeconds: number;
  medianLatenessSeconds: number;
  maxLatenessSeconds: number;
  /** Events named by more than one message (a digest sent twice, a retry after a lost answer). */
  namedTwice: number;
  /** How long the run waited at most for every event to be named. */
  boundSeconds: number;
};

export type AlertRun = {
  side: AlertSide;
  events: number;
  /** As the worker's configuration read them from its environment. */
  slackMaxPerSecond: number;
  slackDigestMax: number;
  /** Reports answered 202 (only those are looked for in the messages). */
  accepted: number;
  /** First request sent → last answer. */
  burstSeconds: number;
  slack: Mentions;
  /** Requests the Slack stand-in refused for pace (429), and all it received. */
  rateLimited: number;
  slackRequests: number;
  email?: Mentions & { maxPerMinute: number; digestMax: number };
};

/** The baseline at a size it is not run at: one message per event at the configured pace. */
export type ExtrapolatedRun = { events: number; messages: number; lastMentionSeconds: number; meanLatenessSeconds: number };

export type AlertComparison = {
  events: number;
  /** The baseline figure is extrapolated, not measured. */
  extrapolated: boolean;
  lastMention: { digests: number; perEvent: number; ratio: number };
  messages: { digests: number; perEvent: number };
  meanLateness: { digests: number; perEvent: number; ratio: number };
};

export type Alerts = {
  /** The Slack stand-in's pace: a token bucket, and what it answers over it. */
  standIn: { perSecond: number; burst: number; refusal: string };
  connections: number;
  runs: AlertRun[];
  extrapolated: ExtrapolatedRun[];
  comparisons: AlertComparison[];
  /** Why email was not timed, when it was not. */
  emailNote: string | undefined;
};

const POLL_MS = 100;
/** After the last event was named in Slack: long enough for one more paced message, sent twice or late. */
const GRACE_MS = 1_500;
/** Email at its default pace (6 a minute) is timed only if it should be done within this. */
const EMAIL_BUDGET_SECONDS = 90;

/** Variables the alert runs leave unset, so hookline's defaults apply (hooklineEnv lifts the paces for the throughput runs). */
const LEFT_AT_DEFAULT = ['SLACK_MAX_PER_SECOND', 'SLACK_DIGEST_MAX', 'SLACK_STATUSES', 'EMAIL_MAX_PER_MINUTE', 'EMAIL_DIGEST_MAX', 'EMAIL_STATUSES'];

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function epochMs(): number {
  return performance.timeOrigin + performance.now();
}

/** Tallies the messages a destination accepted against the burst's keys. */
class MentionTally {
  private readonly firstAt = new Map<string, number>();
  private readonly times = new Map<string, number>();
  private readonly messageTimes: number[] = [];
  private other = 0;
  private processed = 0;
  private readonly keys: ReadonlySet<string>;

  constructor(keys: ReadonlySet<string>) {
    this.keys = keys;
  }

  get named(): number {
    return this.firstAt.size;
  }

  get all(): boolean {
    return this.firstAt.size === this.keys.size;
  }

  add(log: readonly StandInMessage[]): void {
    for (; this.processed < log.length; this.processed++) {
      const message = log[this.processed] as StandInMessage;
      const found = keysIn(message.text, this.keys);
      if (found.length === 0) {
        this.other++;
        continue;
      }
      this.messageTimes.push(message.at);
      for (const key of found) {
        this.times.set(key, (this.times.get(key) ?? 0) + 1);
        const first = this.firstAt.get(key);
        if (first === undefined || message.at < first) this.firstAt.set(key, message.at);
      }
    }
  }

  summary(burst: BurstResult, boundMs: number): Mentions {
    const answeredAt = new Map(burst.answers.map((a) => [a.key, a.answeredAt]));
    const lateness = [...this.firstAt].map(([key, at]) => (at - (answeredAt.get(key) ?? Number.NaN)) / 1000);
    const since = (at: number) => (at - burst.startedAt) / 1000;
    return {
      complete: this.all,
      named: this.firstAt.size,
      messages: this.messageTimes.length,
      otherMessages: this.other,
      firstMentionSeconds: this.messageTimes.length ? since(Math.min(...this.messageTimes)) : Number.NaN,
      lastMentionSeconds: this.messageTimes.length ? since(Math.max(...this.messageTimes)) : Number.NaN,
      meanLatenessSeconds: lateness.length ? lateness.reduce((sum, v) => sum + v, 0) / lateness.length : Number.NaN,
      medianLatenessSeconds: median(lateness),
      maxLatenessSeconds: lateness.length ? Math.max(...lateness) : Number.NaN,
      namedTwice: [...this.times.values()].filter((n) => n > 1).length,
      boundSeconds: boundMs / 1000,
    };
  }
}

/** Messages a paced destination needs for `events` alerts: the first goes alone at once, then full digests. */
function expectedMessages(events: number, digestMax: number): number {
  return events <= 1 ? events : 1 + Math.ceil((events - 1) / digestMax);
}

type Shared = { standIns: BenchChild; sender: BenchChild; ingressUrl: string; slackUrl: string; smtpUrl: string };

async function readLog(standIns: BenchChild, slackFrom: number, emailFrom: number): Promise<AlertLog> {
  standIns.send({ type: 'getAlertLog', slackFrom, emailFrom });
  return (await standIns.waitFor('alertLog', 10_000)).log;
}

/**
 * One burst: a fresh Redis, database schema and worker process (so no pace, incident or delivery
 * record carries over), a fresh stand-in (empty logs, full bucket); N reports sent at once; then
 * the stand-in's logs are read every POLL_MS until every accepted event has been named in Slack (and
 * in email, when timed), or the bound passes. Times come from the stand-in's own stamps, not from
 * the polls.
 */
async function runBurst(ctx: BenchContext, shared: Shared, side: AlertSide, events: number, withEmail: boolean): Promise<AlertRun> {
  const { backends } = ctx;
  await backends.flush();
  shared.standIns.send({ type: 'resetAlertLog' });
  await shared.standIns.waitFor('alertLogReset', 10_000);

  const db = backends.database.newTarget();
  const env = hooklineEnv({ redisUrl: backends.redisUrl, db, sinks: { slackUrl: shared.slackUrl, smtpUrl: shared.smtpUrl } });
  for (const name of LEFT_AT_DEFAULT) delete env[name];
  if (side === 'per-event') env.SLACK_DIGEST_MAX = '1';
  if (!withEmail) for (const name of ['SMTP_URL', 'EMAIL_FROM', 'EMAIL_TO']) delete env[name];
  const config = loadConfig(env);
  if (!config.slack) throw new Error('alerts: the worker has no Slack destination');
  const slackIntervalMs = Math.ceil(1_000 / config.slack.maxPerSecond);

  const { child: worker } = await ctx.start(`worker-alerts-${side}-${events}`, 'servers/workers.ts', env);
  try {
    worker.send({ type: 'go' });
    await worker.waitFor('started', 30_000);

    const slackBoundMs = expectedMessages(events, config.slack.digestMax) * slackIntervalMs * 2 + 20_000;
    const emailIntervalMs = config.email ? Math.ceil(60_000 / config.email.maxPerMinute) : 0;
    const emailBoundMs = config.email ? expectedMessages(events, config.email.digestMax) * emailIntervalMs + 30_000 : 0;
    const boundMs = Math.max(slackBoundMs, emailBoundMs);
    ctx.log(
      `alerts: ${side}, ${events} ReachFive failures at ${config.slack.maxPerSecond} Slack message/s (digests of up to ${config.slack.digestMax})` +
        `${config.email ? `, email at ${config.email.maxPerMinute}/min (digests of up to ${config.email.digestMax})` : ''}; waiting at most ${Math.round(boundMs / 1000)} s`,
    );

    const slackLog: StandInMessage[] = [];
    const emailLog: StandInMessage[] = [];
    let burst: BurstResult | undefined;
    let burstError: unknown;
    shared.sender.send({ type: 'burst', spec: { url: shared.ingressUrl, count: events, connections: ctx.settings.alerts.connections, runTag: ctx.tag() } });
    const asked = epochMs();
    shared.sender.waitFor('burstResult', 120_000).then(
      (message) => (burst = message.result),
      (error: unknown) => (burstError = error),
    );

    let slackTally: MentionTally | undefined;
    let emailTally: MentionTally | undefined;
    let slackDoneAt: number | undefined;
    let log: AlertLog = { slack: [], email: [], rateLimited: 0, slackRequests: 0 };
    for (;;) {
      if (burstError) throw burstError;
      log = await readLog(shared.standIns, slackLog.length, emailLog.length);
      slackLog.push(...log.slack);
      emailLog.push(...log.email);
      const now = epochMs();
      if (burst) {
        const keys = new Set(burst.answers.filter((a) => a.status === 202).map((a) => a.key));
        slackTally ??= new MentionTally(keys);
        if (config.email) emailTally ??= new MentionTally(keys);
        slackTally.add(slackLog);
        emailTally?.add(emailLog);
        if (slackTally.all) slackDoneAt ??= now;
        const slackSettled = slackDoneAt !== undefined && now - slackDoneAt >= GRACE_MS;
        if (slackSettled && (!emailTally || emailTally.all)) break;
      }
      if (now - (burst?.startedAt ?? asked) > boundMs) break;
      await sleep(POLL_MS);
    }
    if (!burst || !slackTally) throw new Error(`alerts: the burst of ${events} was not answered within ${Math.round(boundMs / 1000)} s`);

    const accepted = burst.answers.filter((a) => a.status === 202).length;
    const slack = slackTally.summary(burst, slackBoundMs);
    if (!slack.complete) ctx.log(`alerts: ${side}, ${events}: only ${slack.named} of ${accepted} events named in Slack within ${Math.round(slackBoundMs / 1000)} s`);
    const email = emailTally && config.email ? { ...emailTally.summary(burst, emailBoundMs), maxPerMinute: config.email.maxPerMinute, digestMax: config.email.digestMax } : undefined;
    if (email && !email.complete) ctx.log(`alerts: ${side}, ${events}: only ${email.named} of ${accepted} events named in email within ${Math.round(emailBoundMs / 1000)} s`);
    return {
      side,
      events,
      slackMaxPerSecond: config.slack.maxPerSecond,
      slackDigestMax: config.slack.digestMax,
      accepted,
      burstSeconds: (burst.finishedAt - burst.startedAt) / 1000,
      slack,
      rateLimited: log.rateLimited,
      slackRequests: log.slackRequests,
      ...(email ? { email } : {}),
    };
  } finally {
    await ctx.stop(worker);
    await backends.flush();
  }
}

function compare(events: number, digests: AlertRun, perEvent: { messages: number; lastMentionSeconds: number; meanLatenessSeconds: number }, extrapolated: boolean): AlertComparison {
  return {
    events,
    extrapolated,
    lastMention: { digests: digests.slack.lastMentionSeconds, perEvent: perEvent.lastMentionSeconds, ratio: digests.slack.lastMentionSeconds / perEvent.lastMentionSeconds },
    messages: { digests: digests.slack.messages, perEvent: perEvent.messages },
    meanLateness: { digests: digests.slack.meanLatenessSeconds, perEvent: perEvent.meanLatenessSeconds, ratio: digests.slack.meanLatenessSeconds / perEvent.meanLatenessSeconds },
  };
}

/**
 * Bursts of N ReachFive FAILURE reports against hookline at Slack's real pace (SLACK_MAX_PER_SECOND
 * unset: 1 message a second; a stand-in that enforces it with 429s): digests (the defaults) against
 * the per-event baseline (the same hookline with SLACK_DIGEST_MAX=1), one after the other.
 */
export async function alerts(ctx: BenchContext): Promise<Alerts> {
  const settings = ctx.settings.alerts;
  const ingress = await ctx.ingressServer();
  const started = await ctx.start('paced-stand-ins', 'servers/paced-stand-ins.ts', { ...process.env } as Record<string, string>);
  const { child: sender } = await ctx.start('burst-sender', 'load/burst.ts', { ...process.env } as Record<string, string>);
  if (!started.slackUrl || !started.smtpUrl) throw new Error('alerts: the stand-ins gave no URLs');
  const shared: Shared = { standIns: started.child, sender, ingressUrl: ingress.url, slackUrl: started.slackUrl, smtpUrl: started.smtpUrl };

  // Email at its defaults (EMAIL_MAX_PER_MINUTE, EMAIL_DIGEST_MAX), as the worker will read them.
  const emailDefaults = loadConfig({ SMTP_URL: 'smtp://127.0.0.1:25', EMAIL_FROM: 'a@example.test', EMAIL_TO: 'b@example.test' }).email;
  const emailSeconds = (events: number) =>
    emailDefaults ? (expectedMessages(events, emailDefaults.digestMax) - 1) * (60 / emailDefaults.maxPerMinute) : Number.POSITIVE_INFINITY;
  let emailNote: string | undefined;
  let emailEvents = settings.emailEvents;
  if (emailEvents === undefined) {
    emailNote = `email not timed in a quick run (at its default pace, ${emailDefaults?.maxPerMinute} a minute in digests of ${emailDefaults?.digestMax}, 400 events take ~${Math.round(emailSeconds(400))} s)`;
  } else if (emailSeconds(emailEvents) > EMAIL_BUDGET_SECONDS) {
    emailNote = `email not timed: ${emailEvents} events at its default pace need ~${Math.round(emailSeconds(emailEvents))} s, over the ${EMAIL_BUDGET_SECONDS} s budget`;
    emailEvents = undefined;
  }

  const runs: AlertRun[] = [];
  try {
    for (const events of settings.digestEvents) runs.push(await runBurst(ctx, shared, 'digests', events, events === emailEvents));
    for (const events of settings.perEventEvents) runs.push(await runBurst(ctx, shared, 'per-event', events, false));
  } finally {
    await ctx.stop(sender);
    await ctx.stop(started.child);
  }

  const perEventRun = runs.find((r) => r.side === 'per-event');
  const intervalSeconds = 1 / (perEventRun?.slackMaxPerSecond ?? 1);
  const extrapolated: ExtrapolatedRun[] = settings.extrapolatedPerEvent.map((events) => ({
    events,
    messages: events,
    // One message a second: the last of N goes out about N seconds after the burst; an event waits (N − 1) / 2 on average.
    lastMentionSeconds: events * intervalSeconds,
    meanLatenessSeconds: ((events - 1) / 2) * intervalSeconds,
  }));

  const comparisons: AlertComparison[] = [];
  for (const digests of runs.filter((r) => r.side === 'digests')) {
    const measured = runs.find((r) => r.side === 'per-event' && r.events === digests.events);
    const guessed = extrapolated.find((e) => e.events === digests.events);
    if (measured) comparisons.push(compare(digests.events, digests, { messages: measured.slack.messages, lastMentionSeconds: measured.slack.lastMentionSeconds, meanLatenessSeconds: measured.slack.meanLatenessSeconds }, false));
    else if (guessed) comparisons.push(compare(digests.events, digests, guessed, true));
  }

  return {
    standIn: { perSecond: 1, burst: 2, refusal: '429 {"ok":false,"error":"rate_limited"}, Retry-After: 1' },
    connections: settings.connections,
    runs,
    extrapolated,
    comparisons,
    emailNote,
  };
}
