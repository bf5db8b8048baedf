import type { Db } from '../db/db.ts';
import { listIncidents, type Incident } from '../db/incidents.ts';
import { jobRun, type JobRun } from '../db/queries.ts';
import { runTimeline, seriesRuns, type SeriesRun, type TimelineEvent } from '../db/run-history.ts';
import type { ProviderId } from '../providers/registry.ts';
import { withDeadline } from '../shared/deadline.ts';

export type RunPageData = {
  provider: ProviderId;
  subjectId: string;
  run: JobRun | undefined;
  timeline: TimelineEvent[];
  truncated: boolean;
  seriesId: string;
  seriesName: string | null;
  /** The series' failing incidents, and this run's stuck ones. */
  incidents: Incident[];
  problems: string[];
};

export type SeriesPageData = {
  provider: ProviderId;
  seriesId: string;
  seriesName: string | null;
  runs: SeriesRun[];
  incidents: Incident[];
  problems: string[];
};

const READ_TIMEOUT_MS = 3_000;
const INCIDENTS_LIMIT = 100;
export const SERIES_RUNS_LIMIT = 50;

/** A run's page, or undefined when no event of the run is stored. */
export async function readRunPage(db: Db, provider: ProviderId, subjectId: string): Promise<RunPageData | undefined> {
  const [run, timeline] = await Promise.all([bounded(jobRun(db, provider, subjectId)), bounded(runTimeline(db, provider, subjectId))]);
  const latest = timeline.events[timeline.events.length - 1];
  if (!run && !latest) return undefined;
  const parentId = run?.parentId ?? latest?.parentId ?? null;
  const seriesId = parentId ?? subjectId;
  const problems: string[] = [];
  let incidents: Incident[] = [];
  try {
    incidents = (await bounded(listIncidents(db, { provider, seriesId, limit: INCIDENTS_LIMIT }))).filter(
      (incident) => incident.kind === 'failing' || incident.subjectId === subjectId,
    );
  } catch (error) {
    problems.push(`incidents (database): ${error instanceof Error ? error.message : String(error)}`);
  }
  return {
    provider,
    subjectId,
    run,
    timeline: timeline.events,
    truncated: timeline.truncated,
    seriesId,
    seriesName: parentId === null ? (run?.subjectName ?? latest?.subjectName ?? null) : (run?.parentName ?? latest?.parentName ?? null),
    incidents,
    problems,
  };
}

/** A series' page, or undefined when it has neither runs nor incidents. */
export async function readSeriesPage(db: Db, provider: ProviderId, seriesId: string): Promise<SeriesPageData | undefined> {
  const [runs, incidents] = await Promise.all([
    bounded(seriesRuns(db, provider, seriesId, SERIES_RUNS_LIMIT)),
    bounded(listIncidents(db, { provider, seriesId, limit: INCIDENTS_LIMIT })),
  ]);
  if (runs.length === 0 && incidents.length === 0) return undefined;
  const named = runs.find((run) => (run.parentId === seriesId ? run.parentName : run.subjectName));
  return {
    provider,
    seriesId,
    seriesName: (named ? (named.parentId === seriesId ? named.parentName : named.subjectName) : null) ?? incidents.find((i) => i.seriesName)?.seriesName ?? null,
    runs,
    incidents,
    problems: [],
  };
}

function bounded<T>(promise: Promise<T>): Promise<T> {
  return withDeadline(promise, READ_TIMEOUT_MS, 'run page read');
}
